"""Reminders: a next-contact date, a note and an owner, on a customer or a conversation.

Every process watches for reminders that fell due; `claim_due_reminders` marks each one told
in the same transaction that finds it, so of several sidecars only one tells the owner: a
`reminder` event with `due` (their page shows a notice) and, when SMTP is set, a mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from chat_server import events
from chat_server.broker import Broker
from chat_server.mail.mailer import Mailer
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store
from chat_server.store.rows import now_ms

log = logging.getLogger(__name__)

CHECK_SECONDS = 15.0
MAX_NOTE_CHARS = 1000
# A reminder is for the future or the recent past; further than this is a typo.
MAX_AHEAD_MS = 5 * 366 * 86_400_000


class BadReminder(ValueError):
    pass


class Reminders:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker,
                 mailer: Mailer) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.mailer = mailer
        self._soon: set[asyncio.Task[None]] = set()

    async def add(self, actor: Record, data: dict[str, Any]) -> Record:
        reader_id, conversation_id = await self._subject(data)
        fields = {"reader_id": reader_id, "conversation_id": conversation_id,
                  "owner_id": await self._owner(data.get("owner_id", actor["id"])),
                  "created_by": actor["id"], "due_at": _due(data.get("due_at")),
                  "note": _note(data.get("note", ""))}
        made = await self.store.add_reminder(**fields)
        await self._tell(made)
        return made

    async def change(self, reminder_id: int, data: dict[str, Any]) -> Record | None:
        """Done (`done: true`, or false to reopen), moved (`due_at`), noted, given to another."""
        fields: dict[str, Any] = {}
        if "done" in data:
            fields["done_at"] = now_ms() if data["done"] is True else None
        if "due_at" in data:
            fields["due_at"] = _due(data["due_at"])
        if "note" in data:
            fields["note"] = _note(data["note"])
        if "owner_id" in data:
            fields["owner_id"] = await self._owner(data["owner_id"])
        if not fields:
            raise BadReminder("nothing to change")
        changed = await self.store.update_reminder(reminder_id, **fields)
        if changed is not None:
            await self._tell(changed)
        return changed

    async def _subject(self, data: dict[str, Any]) -> tuple[str, int | None]:
        conversation_id = data.get("conversation_id")
        if conversation_id is not None:
            if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
                raise BadReminder("conversation_id is a number")
            conversation = await self.store.get_conversation(conversation_id)
            if conversation is None:
                raise BadReminder("no such conversation")
            return str(conversation["reader_id"]), conversation_id
        reader_id = data.get("reader_id")
        if not isinstance(reader_id, str) or await self.store.get_reader(reader_id[:64]) is None:
            raise BadReminder("a reminder is on a customer (reader_id) or a conversation")
        return reader_id, None

    async def _owner(self, owner_id: Any) -> int:
        if not isinstance(owner_id, int) or isinstance(owner_id, bool):
            raise BadReminder("owner_id is an operator's id")
        owner = await self.store.get_operator(owner_id)
        if owner is None or owner["disabled"]:
            raise BadReminder("no such operator")
        return owner_id

    async def _tell(self, reminder: Record, due: bool = False) -> None:
        await self.broker.publish(events.OPERATORS, events.reminder(reminder, due))
        if not due and reminder["done_at"] is None:
            self._check_at(reminder["due_at"])

    def _check_at(self, due_at: int) -> None:
        """A reminder due before the next regular check is told on time, not up to 15 s late."""
        wait = (due_at - now_ms()) / 1000
        if 0 < wait < CHECK_SECONDS:
            task = asyncio.create_task(self._tell_due_after(wait))
            self._soon.add(task)
            task.add_done_callback(self._soon.discard)

    async def _tell_due_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds + 0.05)
        with contextlib.suppress(Exception):  # the regular check tries again
            await self.tell_due()

    # --- falling due -----------------------------------------------------------------------
    async def watch(self) -> None:
        while True:
            try:
                await self.tell_due()
            except Exception:  # a store hiccup must not end the watch
                log.exception("reminder check failed")
            await asyncio.sleep(CHECK_SECONDS)

    async def tell_due(self) -> list[Record]:
        due = await self.store.claim_due_reminders(now_ms())
        for reminder in due:
            await self._tell(reminder, due=True)
            await self._mail(reminder)
        return due

    async def _mail(self, reminder: Record) -> None:
        if not self.mailer.enabled:
            return
        owner = await self.store.get_operator(reminder["owner_id"])
        reader = await self.store.get_reader(reminder["reader_id"])
        if owner is None or owner["disabled"]:
            return
        who = (reader or {}).get("name") or (reader or {}).get("email") or "—"
        where = (f"#{reminder['conversation_id']}" if reminder["conversation_id"]
                 else who)
        link = self.settings.url.rstrip("/") + "/operator/"
        text = (f"Напоминание: {who}\n{reminder['note']}\n\nОбращение: {where}\n{link}\n\n"
                f"Reminder: {who}\n{reminder['note']}\n")
        await self.mailer.send(owner["email"], f"Напоминание / Reminder: {who}", text)


def _due(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadReminder("due_at is a time in milliseconds")
    now = now_ms()
    if not now - MAX_AHEAD_MS < value < now + MAX_AHEAD_MS:
        raise BadReminder("due_at is out of range")
    return value


def _note(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS:
        raise BadReminder(f"the note is text of up to {MAX_NOTE_CHARS} characters")
    return value.strip()
