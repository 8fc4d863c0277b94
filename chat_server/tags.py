"""Tags on conversations: the team's list (chat.tags plus the ones an admin adds in the page),
the tags an operator sets, and the automatic ones a new conversation gets.

Automatic tags have names with a ':' or from AUTOMATIC, which an operator's tag can never
have (builder.config.kinds.tag_name refuses ':' and the page's list marks them), so a
filter by `kind:bug` finds only what the reader said was a bug.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from builder.config.kinds import Invalid, tag_name
from chat_server import events
from chat_server.hours import BusinessHours
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store

Publish = Callable[[str, Any], Awaitable[None]]
MAX_TAGS_PER_CONVERSATION = 30
MAX_DESCRIPTION_CHARS = 200
DEFAULT_COLOUR = "#64748b"
# Automatic tags, with what the page calls them; "collection:" and "kind:" take a value.
AUTOMATIC: dict[str, dict[str, str]] = {
    "first-contact": {"ru": "первое обращение", "en": "first contact"},
    "returning": {"ru": "снова пишет", "en": "returning"},
    "after-hours": {"ru": "в нерабочее время", "en": "after hours"},
    "sad-rating": {"ru": "после 😞", "en": "after 😞"},
    "failed-search": {"ru": "не нашёл в поиске", "en": "failed search"},
}
PREFIXES = ("collection:", "kind:")


class BadTag(ValueError):
    """A tag an operator may not set: its message says why."""


def is_automatic(name: str) -> bool:
    return name in AUTOMATIC or name.startswith(PREFIXES)


def checked(names: Any) -> list[str]:
    """Tags from a request: a list of strings, each a valid name; automatic ones pass
    through only as they are (an operator may keep or remove them, not invent them)."""
    if not isinstance(names, list) or len(names) > MAX_TAGS_PER_CONVERSATION:
        raise BadTag(f"expected a list of at most {MAX_TAGS_PER_CONVERSATION} tags")
    out = []
    for name in names:
        if not isinstance(name, str):
            raise BadTag("every tag is a string")
        if is_automatic(name) and len(name) <= 120:
            out.append(name)
            continue
        try:
            out.append(tag_name(name))
        except Invalid as exc:
            raise BadTag(str(exc)) from exc
    return list(dict.fromkeys(out))


class Tags:
    def __init__(self, settings: ChatSettings, store: Store, publish: Publish) -> None:
        self.settings = settings
        self.store = store
        self._publish = publish
        self.hours = BusinessHours(settings.timezone, settings.hours_start, settings.hours_end,
                                   settings.workdays, settings.closed_dates)

    async def catalog(self) -> list[Record]:
        """Every tag the page offers: configured (not removable in the page), then added."""
        configured = [{**t, "source": "config"} for t in self.settings.tags]
        names = {t["name"] for t in configured}
        added = [{"name": t["name"], "colour": t["colour"],
                  "description": {"*": t["description"]}, "source": "admin"}
                 for t in await self.store.stored_tags() if t["name"] not in names]
        automatic = [{"name": name, "colour": "#94a3b8", "description": titles,
                      "source": "auto"} for name, titles in AUTOMATIC.items()]
        kinds = [{"name": "kind:" + topic, "colour": "#94a3b8", "source": "auto",
                  "description": self.settings.topic_titles.get(topic, {"*": topic})}
                 for topic in self.settings.topics]
        return configured + added + automatic + kinds

    async def add_to_catalog(self, name: Any, colour: Any, description: Any,
                             admin: Record) -> Record:
        [tag] = checked([name])
        if is_automatic(tag):
            raise BadTag("automatic tags are not added by hand")
        if not isinstance(colour, str) or len(colour) != 7 or not colour.startswith("#") or \
                any(c not in "0123456789abcdefABCDEF" for c in colour[1:]):
            colour = DEFAULT_COLOUR
        text = description.strip()[:MAX_DESCRIPTION_CHARS] if isinstance(description, str) else ""
        if tag in {t["name"] for t in self.settings.tags}:
            raise BadTag(f"{tag!r} is in config.yml's chat.tags: change it there")
        saved = await self.store.add_stored_tag(tag, colour.lower(), text, admin["id"])
        await self._publish(events.OPERATORS, events.tag_catalog())
        return saved

    async def remove_from_catalog(self, name: str) -> bool:
        removed = await self.store.delete_stored_tag(name)
        if removed:
            await self._publish(events.OPERATORS, events.tag_catalog())
        return removed

    async def set(self, conversation_id: int, names: list[str], operator: Record) -> list[str]:
        """The conversation's tags become `names`; the change is a line of its history."""
        added, removed = await self.store.set_conversation_tags(conversation_id, names,
                                                                operator["id"])
        now = (await self.store.conversation_tags([conversation_id]))[conversation_id]
        if added or removed:
            await self._publish(events.OPERATORS, events.tags(conversation_id, now))
            action = await self.store.add_action(conversation_id, "tagged", operator["id"],
                                                 {"added": added, "removed": removed})
            await self._publish(events.OPERATORS, events.action(action))
        return now

    async def tag_new(self, conversation: Record, reader_id: str, topic: str,
                      collection: str, context: dict[str, str]) -> list[str]:
        """The automatic tags of a conversation that has just begun."""
        earlier = await self.store.reader_conversations(reader_id)
        names = ["returning" if len(earlier) > 1 else "first-contact"]
        if not self.hours.is_open(datetime.now(UTC)):
            names.append("after-hours")
        if conversation.get("rating") == "sad":
            names.append("sad-rating")
        if context.get("search"):
            names.append("failed-search")
        if collection:
            names.append("collection:" + collection[:100])
        if topic:
            names.append("kind:" + topic)
        added = await self.store.add_conversation_tags(conversation["id"], names)
        if added:
            # The whole list, as after a set: an operator may have tagged it first.
            now = (await self.store.conversation_tags([conversation["id"]]))[conversation["id"]]
            await self._publish(events.OPERATORS, events.tags(conversation["id"], now))
        return added
