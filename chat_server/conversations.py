"""What happens to a conversation, whichever door (websocket or REST) the request came in by.

Every change is written to the store first and announced on the broker after, so nobody
ever hears of a message that a crash could take back. Channels:

- `operators`: everything, for every operator page (notes and typing included);
- `visitor:<id>`: what that reader may see of their own conversations (never notes);
- `visitors`: availability changes, for every widget.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from chat_server import reader_email
from chat_server.articles import Articles
from chat_server.attachment_urls import decorate
from chat_server.auth import Signer
from chat_server.broker import Broker
from chat_server.hours import BusinessHours
from chat_server.mailer import Mailer
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store

log = logging.getLogger(__name__)

ONLINE_TIMEOUT_MS = 90_000  # an operator page sends a heartbeat every 30 s
NAMES_TTL = 10.0
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']{1,188}\.[^@\s<>\"'.]{2,}$")
RATING_VALUES = ("happy", "neutral", "sad")


class NotFound(LookupError):
    """No such conversation, or not one this reader may touch (the same answer on purpose)."""


def public_message(message: Record, names: dict[int, str]) -> Record:
    """A message as a reader sees it: no internal flags, operators by display name only."""
    author_name = ""
    if message["author_kind"] == "operator":
        author_name = names.get(int(message["author_id"]), "")
    return {
        "id": message["id"],
        "conversation_id": message["conversation_id"],
        "author_kind": message["author_kind"],
        "author_name": author_name,
        "body": message["body"],
        "client_id": message["client_id"] if message["author_kind"] == "visitor" else None,
        "created_at": message["created_at"],
        "attachment_id": message.get("attachment_id"),
    }


def public_conversation(conversation: Record) -> Record:
    return {
        key: conversation[key]
        for key in ("id", "status", "created_at", "updated_at", "last_message_id",
                    "operator_read_id", "article_id", "article_lang", "rating", "email")
    }


class Chat:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker,
                 mailer: Mailer, articles: Articles) -> None:
        self.settings = settings
        self.signer = Signer(settings.secret_key)
        self.store = store
        self.broker = broker
        self.mailer = mailer
        self.articles = articles
        self.hours = BusinessHours(settings.timezone, settings.hours_start, settings.hours_end,
                                   settings.workdays, settings.closed_dates)
        # Readers with an open widget in this process; a reply to anyone else goes by email.
        self.visitor_sockets: Counter[str] = Counter()
        self._background: set[asyncio.Task[Any]] = set()
        self._names: tuple[float, dict[int, str]] = (0.0, {})
        self._names_loading: asyncio.Future[dict[int, str]] | None = None

    # --- availability ----------------------------------------------------------------------
    async def operator_names(self) -> dict[int, str]:
        # Names change rarely and every message needs them: a few seconds of staleness
        # (a renamed operator, a new one from another process) is cheaper than a query.
        # One query reloads them; messages arriving meanwhile use the stale names, or wait
        # for that query when there are none yet, instead of each sending its own.
        stamp, names = self._names
        if time.monotonic() - stamp <= NAMES_TTL:
            return names
        if self._names_loading is not None:
            return names if stamp else await asyncio.shield(self._names_loading)
        loading = self._names_loading = asyncio.get_running_loop().create_future()
        try:
            names = {op["id"]: op["name"] for op in await self.store.list_operators()}
            self._names = (time.monotonic(), names)
        finally:
            loading.set_result(names)  # on failure, waiters get the stale names
            self._names_loading = None
        return names

    async def online_operators(self) -> list[Record]:
        cutoff = int(time.time() * 1000) - ONLINE_TIMEOUT_MS
        return [op for op in await self.store.list_operators()
                if op["status"] == "online" and op["seen_at"] >= cutoff and not op["disabled"]]

    async def availability(self, now: datetime | None = None) -> Record:
        now = now or datetime.now(UTC)
        within = self.hours.is_open(now)
        online = len(await self.online_operators())
        back = self.hours.next_open(now)
        return {
            "live": within and online > 0,
            "within_hours": within,
            "operators_online": online,
            "next_open": back.isoformat() if back and not within else None,
            "reply_minutes": self.settings.reply_minutes,
            "timezone": self.settings.timezone,
            "hours": [self.settings.hours_start, self.settings.hours_end],
        }

    async def set_presence(self, operator_id: int, status: str) -> None:
        await self.store.update_operator(operator_id, status=status,
                                         seen_at=int(time.time() * 1000))
        await self.broker.publish("operators", {"kind": "presence", "operator_id": operator_id,
                                                "status": status})
        # Computed once here and carried in the event, not once per open widget.
        await self.broker.publish("visitors", {"kind": "availability",
                                               "availability": await self.availability()})

    # --- reader side -----------------------------------------------------------------------
    async def visitor_message(self, visitor: Record, data: dict[str, Any], origin: str = "",
                              owned: set[int] | None = None) -> tuple[Record, Record, bool]:
        """A reader's message: a new conversation or one of their own. `origin` names the
        socket it came by, which gets an `ack` instead of an echo; `owned` holds the ids
        this socket already proved are the reader's (a conversation never changes hands)."""
        conversation_id = data.get("conversation_id")
        body = data["body"].strip()
        owned = set() if owned is None else owned
        if conversation_id is None:
            fields = await self._routing(data.get("article"))
            fields["context"] = _clean_context(data.get("context"))
            conversation, message, created = await self.store.start_conversation(
                visitor["id"], data["client_id"], body, **fields)
        else:
            if conversation_id not in owned:
                await self.own_conversation(visitor, conversation_id)
            message, created, conversation = await self.store.post_message(
                conversation_id, "visitor", visitor["id"], body, data["client_id"])
            if created and conversation["status"] == "closed":
                # Writing again reopens: the reader must not talk into a void.
                conversation = await self.store.update_conversation(conversation_id,
                                                                    status="open")
        owned.add(conversation["id"])
        if created:
            await self._announce(conversation, message, origin)
        return conversation, message, created

    async def own_conversation(self, visitor: Record, conversation_id: int) -> Record:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None or conversation["visitor_id"] != visitor["id"]:
            raise NotFound(conversation_id)
        return conversation

    async def use_email(self, conversation: Record, email: str) -> Record:
        """Replies to this conversation go to `email` while the reader is away (an address
        they confirmed: reader_email.py)."""
        conversation = await self.store.update_conversation(conversation["id"], email=email)
        await self._publish_conversation(conversation)
        return conversation

    async def confirm_email(self, visitor_id: str, conversation_id: int, email: str) -> bool:
        """The reader opened the confirmation link: the address is theirs. False when the
        reader or their conversation is gone."""
        visitor = await self.store.get_visitor(visitor_id)
        if visitor is None:
            return False
        try:
            conversation = await self.own_conversation(visitor, conversation_id)
        except NotFound:
            return False
        await self.store.update_visitor(visitor_id, email=email, confirmed_email=email)
        await self.use_email(conversation, email)
        return True

    async def _routing(self, article: dict[str, str] | None) -> dict[str, Any]:
        """A conversation about an article goes to its author; others to the default group.
        `article` is {id, lang, rating}, checked by the socket (visitor_ws._article)."""
        fields: dict[str, Any] = {"group_name": self.settings.default_group}
        if article is None:
            return fields
        # Only an article the site has: a made-up id would sit in the inbox as if it were one.
        article_id, lang, rating = article["id"], article["lang"], article["rating"]
        if not self.articles.get(article_id, lang):
            return fields
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
                               ) -> tuple[Record, bool]:
        try:
            message, created, conversation = await self.store.post_message(
                conversation_id, "operator", str(operator["id"]), body.strip(), client_id,
                internal)
        except LookupError as exc:
            raise NotFound(conversation_id) from exc
        if created:
            if conversation["assignee_id"] is None and not internal:
                # Whoever answers an unassigned conversation takes it.
                conversation = await self.store.update_conversation(
                    conversation_id, assignee_id=operator["id"])
            await self._announce(conversation, message, origin)
            if not internal:
                self._email_if_away(conversation, message, operator)
        return message, created

    async def assign(self, conversation_id: int, operator_id: int | None) -> Record:
        if operator_id is not None and await self.store.get_operator(operator_id) is None:
            raise NotFound(operator_id)
        return await self._change(conversation_id, assignee_id=operator_id)

    async def set_status(self, conversation_id: int, status: str) -> Record:
        return await self._change(conversation_id, status=status)

    async def _change(self, conversation_id: int, **fields: Any) -> Record:
        if await self.store.get_conversation(conversation_id) is None:
            raise NotFound(conversation_id)
        conversation = await self.store.update_conversation(conversation_id, **fields)
        await self._publish_conversation(conversation)
        return conversation

    async def mark_read(self, conversation: Record, side: str, message_id: int) -> None:
        read_id = await self.store.mark_read(conversation["id"], side, message_id)
        event = {"kind": "read", "conversation_id": conversation["id"], "side": side,
                 "message_id": read_id}
        await self.broker.publish("operators", event)
        await self.broker.publish(f"visitor:{conversation['visitor_id']}", event)

    async def typing(self, conversation: Record, side: str, typing: bool, name: str = "") -> None:
        event = {"kind": "typing", "conversation_id": conversation["id"], "side": side,
                 "typing": typing, "name": name}
        target = "operators" if side == "visitor" else f"visitor:{conversation['visitor_id']}"
        await self.broker.publish(target, event)
        if side == "operator":  # other operators see a colleague typing too
            await self.broker.publish("operators", event)

    # --- announcements ---------------------------------------------------------------------
    async def _announce(self, conversation: Record, message: Record, origin: str = "") -> None:
        names = await self.operator_names()
        for_operators = {**message, "author_name": _name_of(message, names)}
        await decorate(self.store, self.settings.secret_key, [for_operators], None)
        await self.broker.publish("operators", {
            "kind": "message", "message": for_operators,
            "conversation": conversation, "origin": origin})
        if not message["internal"]:
            for_reader = public_message(message, names)
            await decorate(self.store, self.settings.secret_key, [for_reader],
                           conversation["visitor_id"])
            await self.broker.publish(f"visitor:{conversation['visitor_id']}", {
                "kind": "message", "message": for_reader,
                "conversation": public_conversation(conversation), "origin": origin})

    async def attachment_message(self, conversation: Record, kind: str, author_id: str,
                                 name: str, client_id: str | None, attachment_id: str
                                 ) -> tuple[Record, bool]:
        """A message carrying an uploaded file; its body is the file's name."""
        if kind == "visitor" and conversation["status"] == "closed":
            await self.store.update_conversation(conversation["id"], status="open")
        message, created, fresh = await self.store.post_message(
            conversation["id"], kind, author_id, name, client_id, attachment_id=attachment_id)
        if created:
            await self._announce(fresh, message)
        return message, created

    async def _publish_conversation(self, conversation: Record) -> None:
        await self.broker.publish("operators", {"kind": "conversation",
                                                "conversation": conversation})
        await self.broker.publish(f"visitor:{conversation['visitor_id']}", {
            "kind": "conversation", "conversation": public_conversation(conversation)})

    def _email_if_away(self, conversation: Record, message: Record, operator: Record) -> None:
        if not self.mailer.enabled or self.visitor_sockets[conversation["visitor_id"]] > 0:
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


def _name_of(message: Record, names: dict[int, str]) -> str:
    if message["author_kind"] == "operator":
        return names.get(int(message["author_id"]), "")
    return ""


def _clean_context(context: Any) -> dict[str, str]:
    """Keep a few short strings the operator's context panel shows; drop everything else."""
    if not isinstance(context, dict):
        return {}
    keys = ("page", "title", "article_id", "lang", "browser", "timezone", "local_time",
            "referrer")
    return {k: str(context[k])[:500] for k in keys if isinstance(context.get(k), str | int)}
