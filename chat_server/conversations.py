"""What happens to a conversation, whichever door (websocket or REST) the request came in by.

Every change is written to the store first and announced on the broker after, so nobody
ever hears of a message that a crash could take back. The events and their channels are in
events.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, NamedTuple

from chat_server import events, routing
from chat_server.article_search import ArticleSearch
from chat_server.articles import Articles
from chat_server.auth import Signer
from chat_server.broker import Broker
from chat_server.mail import reader_email
from chat_server.mail.mailer import Mailer
from chat_server.operator_names import OperatorNames
from chat_server.presence import Presence
from chat_server.reminders import Reminders
from chat_server.saved_replies import TeamReplies
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store
from chat_server.tags import Tags
from chat_server.team import Team
from chat_server.views import Views, public_conversation

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,188}\.[^@\s<>\"'.]{2,}$")
RATING_VALUES = ("happy", "neutral", "sad")


class Posted(NamedTuple):
    message: Record  # as operators see it (views.py)
    created: bool  # False: a resend of a message already stored
    conversation: Record  # after the message (an unassigned one is now the replier's)
    was: Record | None  # events.where(the conversation before)


class NotFound(LookupError):
    """No such conversation, or not one this reader may touch (the same answer on purpose)."""


class Chat:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker,
                 mailer: Mailer, articles: Articles) -> None:
        self.settings = settings
        self.signer = Signer(settings.secret_key)
        self.store = store
        self.broker = broker
        self.mailer = mailer
        self.articles = articles
        self.presence = Presence(settings, store, broker)
        self.names = OperatorNames(store)
        self.views = Views(store, settings.secret_key, self.names)
        self.team = Team(settings, store, self.presence, broker.publish)
        self.presence.came_online = self.team.drain_for
        self.tags = Tags(settings, store, broker.publish)
        self.reminders = Reminders(settings, store, broker, mailer)
        self.team_replies = TeamReplies.load(settings.site_dir)
        self.article_search = ArticleSearch(settings.site_dir, settings.site_base_url)
        # Readers with an open widget in this process; a reply to anyone else goes by email.
        self.reader_sockets: Counter[str] = Counter()
        self._background: set[asyncio.Task[Any]] = set()

    # --- reader side -----------------------------------------------------------------------
    async def reader_message(self, reader: Record, data: dict[str, Any], origin: str = "",
                              owned: set[int] | None = None) -> tuple[Record, Record, bool]:
        """A reader's message: a new conversation or one of their own. `origin` names the
        socket it came by, which gets an `ack` instead of an echo; `owned` holds the ids
        this socket already proved are the reader's (a conversation never changes hands)."""
        conversation_id = data.get("conversation_id")
        body = data["body"].strip()
        owned = set() if owned is None else owned
        was: Record | None = None  # a new conversation was nowhere
        if conversation_id is None:
            context = _clean_context(data.get("context"))
            if data.get("lang"):  # the hello's, checked: saved replies and articles follow it
                context.setdefault("lang", str(data["lang"]))
            topic = self._topic(data.get("topic"))
            fields = await self._routing(data.get("article"), routing.Request(
                lang=str(data.get("lang") or ""), path=routing.page_path(context.get("page", "")),
                topic=topic))
            fields["context"] = context
            conversation, message, created = await self.store.start_conversation(
                reader["id"], data["client_id"], body, **fields)
            if created:
                await self.tags.tag_new(conversation, reader["id"], topic,
                                        self._collection(data.get("article")), context)
        else:
            if conversation_id not in owned:
                await self.own_conversation(reader, conversation_id)
            message, created, conversation = await self.store.post_message(
                conversation_id, "reader", reader["id"], body, data["client_id"])
            was = events.where(conversation)
            if created and conversation["status"] == "closed":
                # Writing again reopens: the reader must not talk into a void.
                conversation = await self.store.update_conversation(conversation_id,
                                                                    status="open")
                await self.team.record(conversation_id, "reopened", None, why="reader")
        owned.add(conversation["id"])
        if created:
            await self._announce(conversation, message, origin, was)
            if conversation["status"] == "snoozed":  # "until the reader writes", or early
                conversation = await self.team.wake(conversation, "reader")
            if was is None or was["status"] != "open":
                conversation = await self.team.auto_assign(conversation)
        else:
            # A resend (the widget had no ack): the process that stored it may have died
            # before announcing it. Pages and widgets keep a message id once, and `was` is
            # where the conversation is now, so no inbox count moves.
            await self._announce(conversation, message, origin, events.where(conversation))
        return conversation, message, created

    def _collection(self, article: dict[str, str] | None) -> str:
        entry = self.articles.get(article["id"], article["lang"]) if article else None
        return str(entry.get("collection") or "") if entry else ""

    def _topic(self, topic: Any) -> str:
        """What the reader picked, if it is one of chat.topics: a made-up one routes nowhere."""
        return topic if isinstance(topic, str) and topic in self.settings.topics else ""

    async def own_conversation(self, reader: Record, conversation_id: int) -> Record:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None or conversation["reader_id"] != reader["id"]:
            raise NotFound(conversation_id)
        return conversation

    async def use_email(self, conversation: Record, email: str) -> Record:
        """Replies to this conversation go to `email` while the reader is away (an address
        they confirmed: mail/reader_email.py)."""
        conversation = await self.store.update_conversation(conversation["id"], email=email)
        await self._publish_conversation(conversation, events.where(conversation))
        return conversation

    async def confirm_email(self, reader_id: str, conversation_id: int, email: str) -> bool:
        """The reader opened the confirmation link: the address is theirs. False when the
        reader or their conversation is gone."""
        reader = await self.store.get_reader(reader_id)
        if reader is None:
            return False
        try:
            conversation = await self.own_conversation(reader, conversation_id)
        except NotFound:
            return False
        await self.store.update_reader(reader_id, email=email, confirmed_email=email)
        await self.use_email(conversation, email)
        return True

    async def _routing(self, article: dict[str, str] | None, request: routing.Request
                       ) -> dict[str, Any]:
        """The group the rules of chat.routes choose (routing.py); a conversation about an
        article also goes to its author. `article` is {id, lang, rating}, checked by the
        socket (reader_ws._article)."""
        settings = self.settings
        entry = self.articles.get(article["id"], article["lang"]) if article else None
        if entry:
            request = replace(request, collection=str(entry.get("collection") or ""))
        fields: dict[str, Any] = {
            "group_name": routing.choose_group(settings.routes, settings.default_group, request)}
        # Only an article the site has: a made-up id would sit in the inbox as if it were one.
        if article is None or entry is None:
            return fields
        article_id, lang, rating = article["id"], article["lang"], article["rating"]
        fields.update(article_id=article_id, article_lang=lang)
        if rating in RATING_VALUES:
            fields["rating"] = rating
        author_email = self.settings.authors.get(self.articles.author(article_id, lang), "")
        if author_email:
            operator = await self.store.operator_by_email(author_email)
            if operator and not operator["disabled"]:
                fields["assignee_id"] = operator["id"]
        return fields

    # --- operator side ---------------------------------------------------------------------
    async def operator_message(self, operator: Record, conversation_id: int, body: str,
                               client_id: str | None, internal: bool, origin: str = ""
                               ) -> Posted:
        """An operator's reply or note. The result is what the operator's own page needs to
        show it at once: the message as colleagues see it and the conversation after it."""
        try:
            message, created, conversation = await self.store.post_message(
                conversation_id, "operator", str(operator["id"]), body.strip(), client_id,
                internal)
        except LookupError as exc:
            raise NotFound(conversation_id) from exc
        was = events.where(conversation)
        if created:
            if conversation["assignee_id"] is None and not internal:
                # Whoever answers an unassigned conversation takes it.
                conversation = await self.store.update_conversation(
                    conversation_id, assignee_id=operator["id"])
                await self.team.record(conversation_id, "assigned", operator["id"],
                                       to=operator["id"], how="reply")
            await self._announce(conversation, message, origin, was)
            if not internal:
                self._email_if_away(conversation, message, operator)
        [shown] = await self.views.for_operators([message])
        return Posted(shown, created, conversation, was)

    async def assign(self, conversation_id: int, operator_id: int | None,
                     actor: Record | None = None) -> Record:
        if operator_id is not None and await self._active_operator(operator_id) is None:
            raise NotFound(operator_id)
        before, conversation = await self._change(conversation_id, assignee_id=operator_id)
        await self.team.record(conversation_id, "assigned", _id_of(actor),
                               to=operator_id)
        if before["assignee_id"] is not None:
            await self._freed(before["assignee_id"])
        return conversation

    async def set_status(self, conversation_id: int, status: str,
                         actor: Record | None = None) -> Record:
        before, conversation = await self._change(conversation_id, status=status,
                                                  snoozed_until=None)
        await self.team.record(conversation_id, "closed" if status == "closed" else "reopened",
                               _id_of(actor))
        if status == "closed" and before["assignee_id"] is not None:
            await self._freed(before["assignee_id"])
        return conversation

    async def transfer(self, conversation_id: int, actor: Record, operator_id: int | None,
                       group_name: str, note: str) -> Record:
        conversation = await self._existing(conversation_id)
        if operator_id is not None and await self._active_operator(operator_id) is None:
            raise NotFound(operator_id)
        known = set(self.settings.groups) | {self.settings.default_group}
        if group_name and group_name not in known:
            raise NotFound(group_name)
        moved = await self.team.transfer(conversation, actor, operator_id, group_name, note)
        if conversation["assignee_id"] not in (None, moved["assignee_id"]):
            await self._freed(conversation["assignee_id"])
        return moved

    async def snooze(self, conversation_id: int, actor: Record, minutes: int | None) -> Record:
        conversation = await self._existing(conversation_id)
        snoozed = await self.team.snooze(conversation, actor, minutes)
        if conversation["assignee_id"] is not None:
            await self._freed(conversation["assignee_id"])
        return snoozed

    async def _freed(self, operator_id: int) -> None:
        """An operator has one conversation fewer: their groups' queues may move."""
        operator = await self.store.get_operator(operator_id)
        if operator is not None:
            await self.team.drain_for(operator)

    async def _active_operator(self, operator_id: int) -> Record | None:
        operator = await self.store.get_operator(operator_id)
        return operator if operator is not None and not operator["disabled"] else None

    async def _existing(self, conversation_id: int) -> Record:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            raise NotFound(conversation_id)
        return conversation

    async def _change(self, conversation_id: int, **fields: Any) -> tuple[Record, Record]:
        before = await self._existing(conversation_id)
        conversation = await self.store.update_conversation(conversation_id, **fields)
        await self._publish_conversation(conversation, events.where(before))
        return before, conversation

    async def mark_read(self, conversation: Record, side: events.Side, message_id: int) -> None:
        read_id = await self.store.mark_read(conversation["id"], side, message_id)
        event = events.read(conversation["id"], side, read_id)
        await self.broker.publish(events.OPERATORS, event)
        await self.broker.publish(events.reader_channel(conversation["reader_id"]), event)

    async def typing(self, conversation: Record, side: events.Side, typing: bool,
                     name: str = "") -> None:
        event = events.typing(conversation["id"], side, typing, name)
        target = (events.OPERATORS if side == "reader"
                  else events.reader_channel(conversation["reader_id"]))
        await self.broker.publish(target, event)
        if side == "operator":  # other operators see a colleague typing too
            await self.broker.publish(events.OPERATORS, event)

    # --- announcements ---------------------------------------------------------------------
    async def _announce(self, conversation: Record, message: Record, origin: str = "",
                        was: Record | None = None) -> None:
        [for_operators] = await self.views.for_operators([message])
        await self.broker.publish(events.OPERATORS, events.message(
            for_operators, conversation, origin, was, for_operators=True))
        if not message["internal"]:
            [for_reader] = await self.views.for_reader([message], conversation["reader_id"])
            await self.broker.publish(
                events.reader_channel(conversation["reader_id"]),
                events.message(for_reader, public_conversation(conversation), origin))

    async def attachment_message(self, conversation: Record, kind: str, author_id: str,
                                 name: str, client_id: str | None, attachment_id: str
                                 ) -> tuple[Record, bool]:
        """A message carrying an uploaded file; its body is the file's name."""
        was = events.where(conversation)
        if kind == "reader" and conversation["status"] != "open":
            await self.store.update_conversation(conversation["id"], status="open",
                                                 snoozed_until=None)
        message, created, fresh = await self.store.post_message(
            conversation["id"], kind, author_id, name, client_id, attachment_id=attachment_id)
        if created:
            await self._announce(fresh, message, was=was)
        return message, created

    async def _publish_conversation(self, conversation: Record, was: Record | None) -> None:
        await self.broker.publish(events.OPERATORS,
                                  events.conversation(conversation, was, for_operators=True))
        await self.broker.publish(events.reader_channel(conversation["reader_id"]),
                                  events.conversation(public_conversation(conversation)))

    def _email_if_away(self, conversation: Record, message: Record, operator: Record) -> None:
        if not self.mailer.enabled or self.reader_sockets[conversation["reader_id"]] > 0:
            return
        self.in_background(reader_email.send_reply(self, conversation, message, operator))

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Mail and such: not awaited by the socket or request that caused it, but kept
        (a task nobody holds may be collected) and awaited by `drain`."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for emails still being sent (shutdown, tests)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _id_of(actor: Record | None) -> int | None:
    return None if actor is None else int(actor["id"])


def _clean_context(context: Any) -> dict[str, str]:
    """Keep a few short strings the operator's context panel shows; drop everything else."""
    if not isinstance(context, dict):
        return {}
    # search: what the reader searched for and did not find; entry_page and referrer: the
    # way into this visit; suggestions: the articles the widget offered before the first
    # question (titles, " · "), suggestion_opened: the one the reader opened.
    keys = ("page", "title", "article_id", "lang", "browser", "timezone", "local_time",
            "referrer", "search", "entry_page", "suggestions", "suggestion_opened")
    return {k: str(context[k])[:500] for k in keys if isinstance(context.get(k), str | int)}
