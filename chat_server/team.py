"""Teamwork on conversations: round-robin within a group (with each operator's capacity),
the group's queue, transfers with a note, snoozing, and the history of who did what.

Every change is stored first, then published to operators only: a `conversation` event
(where it was and is, for every page's lists) and an `action` event (a line of the
conversation's history, and a notice for whoever a transfer names). The reader hears of none
of it: who answers, in which team, and when is the team's business.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chat_server import events
from chat_server.presence import Presence
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store

log = logging.getLogger(__name__)

SNOOZE_CHECK_SECONDS = 15.0
MAX_SNOOZE_MINUTES = 60 * 24 * 366
Publish = Callable[[str, Any], Awaitable[None]]


class Team:
    def __init__(self, settings: ChatSettings, store: Store, presence: Presence,
                 publish: Publish) -> None:
        self.settings = settings
        self.store = store
        self.presence = presence
        self._publish = publish

    async def _publish_conversation(self, conversation: Record, was: Record | None) -> None:
        await self._publish(events.OPERATORS,
                            events.conversation(conversation, was, for_operators=True))

    # --- history ---------------------------------------------------------------------------
    async def record(self, conversation_id: int, kind: str, actor_id: int | None,
                     **details: Any) -> Record:
        action = await self.store.add_action(conversation_id, kind, actor_id, details)
        await self._publish(events.OPERATORS, events.action(action))
        return action

    # --- round-robin and the queue ---------------------------------------------------------
    async def auto_assign(self, conversation: Record) -> Record:
        """A new or returned conversation of an auto-assigning group goes to the group's
        online operator who waited longest for one and is under capacity; else it waits."""
        group = self.settings.groups.get(conversation["group_name"])
        if conversation["assignee_id"] is not None or not group or not group["auto_assign"]:
            return conversation
        operator = await self._next_operator(conversation["group_name"], group["capacity"])
        if operator is None:
            return conversation
        claimed = await self.store.claim(conversation["id"], operator["id"], group["capacity"])
        if claimed is None:  # someone took it meanwhile, or filled the operator's last place
            return conversation
        await self._publish_conversation(claimed, events.where(conversation))
        await self.record(claimed["id"], "assigned", None, to=operator["id"], how="round_robin")
        return claimed

    async def drain_queue(self, group_name: str) -> int:
        """Give waiting conversations of a group to its operators with room; how many went."""
        group = self.settings.groups.get(group_name)
        if not group or not group["auto_assign"]:
            return 0
        given = 0
        for waiting in await self.store.queue(group_name):
            if (await self.auto_assign(waiting))["assignee_id"] is None:
                break  # nobody has room: the rest wait too
            given += 1
        return given

    async def drain_for(self, operator: Record) -> None:
        """An operator came online or freed a place: their groups' queues move."""
        for group_name in operator.get("groups") or ():
            await self.drain_queue(group_name)

    async def _next_operator(self, group_name: str, capacity: int) -> Record | None:
        online = [op for op in await self.presence.online_operators()
                  if group_name in (op.get("groups") or ())]
        if not online:
            return None
        load = await self.store.open_assigned([op["id"] for op in online])
        free = [op for op in online if load[op["id"]] < capacity]
        return min(free, key=lambda op: (op["last_assigned_at"], op["id"])) if free else None

    # --- transfer ----------------------------------------------------------------------------
    async def transfer(self, conversation: Record, actor: Record, operator_id: int | None,
                       group_name: str, note: str) -> Record:
        """To an operator (and their group stays), or to a group's queue (round-robin takes
        it from there when the group assigns automatically). The reader sees nothing."""
        changes: dict[str, Any] = {"assignee_id": operator_id}
        if group_name:
            changes["group_name"] = group_name
        if conversation["status"] != "open":
            changes.update(status="open", snoozed_until=None)
        moved = await self.store.update_conversation(conversation["id"], **changes)
        await self._publish_conversation(moved, events.where(conversation))
        await self.record(moved["id"], "transferred", actor["id"], to=operator_id,
                          group=group_name or moved["group_name"], note=note.strip())
        if operator_id is None:
            moved = await self.auto_assign(moved)
        return moved

    # --- snooze ------------------------------------------------------------------------------
    async def snooze(self, conversation: Record, actor: Record, minutes: int | None) -> Record:
        until = None if minutes is None else int(time.time() * 1000) + minutes * 60_000
        snoozed = await self.store.update_conversation(
            conversation["id"], status="snoozed", snoozed_until=until)
        await self._publish_conversation(snoozed, events.where(conversation))
        await self.record(snoozed["id"], "snoozed", actor["id"], until=until)
        return snoozed

    async def wake(self, conversation: Record, why: str) -> Record:
        """Back to open: its time came ("timer"), or the reader wrote ("reader"). Woken
        once, whoever else tried at the same moment."""
        woken = await self.store.unsnooze(conversation["id"])
        if woken is None:
            return await self.store.get_conversation(conversation["id"]) or conversation
        await self._publish_conversation(woken, events.where(conversation))
        await self.record(woken["id"], "woke", None, why=why)
        return woken

    async def wake_due(self) -> int:
        due = await self.store.due_snoozes(int(time.time() * 1000))
        for conversation in due:
            await self.wake(conversation, "timer")
        return len(due)

    async def watch_snoozes(self) -> None:
        """Runs for the app's life: every process looks; a snooze wakes once (unsnooze).
        The queues are looked at too, in case a moment that should have moved one (an
        operator coming online in another process, say) was missed."""
        while True:
            await asyncio.sleep(SNOOZE_CHECK_SECONDS)
            try:
                await self.wake_due()
                for group_name in self.settings.groups:
                    await self.drain_queue(group_name)
            except Exception:  # a database hiccup must not end the loop
                log.exception("waking snoozed conversations failed")
