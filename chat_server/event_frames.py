"""Broker events (events.py) as each socket's frames: what a reader's widget and an operator's
page are told of the same event, side by side in one place."""

from __future__ import annotations

from typing import Any

from chat_server.protocol import conversation_frame, frame


def for_reader(event: dict[str, Any]) -> str | None:
    """A reader hears of messages and conversations (their channel holds only their own),
    operators typing and reading, and availability; nothing else."""
    kind = event.get("kind")
    if kind in ("message", "conversation"):
        return conversation_frame(event)
    if kind == "typing" and event["side"] == "operator":
        return frame("typing", conversation_id=event["conversation_id"],
                     typing=event["typing"], name=event.get("name", ""))
    if kind == "read" and event["side"] == "operator":
        return frame("read", conversation_id=event["conversation_id"],
                     message_id=event["message_id"])
    if kind == "availability":
        return frame("availability", **event["availability"])
    return None


def for_operator(event: dict[str, Any], operator_name: str) -> str | None:
    """An operator hears of everything but their own typing. (An ended session is not a
    frame: operator_ws closes the socket for it.)"""
    kind = event.get("kind")
    if kind in ("message", "conversation"):
        return conversation_frame(event)
    if kind == "typing":
        if event["side"] == "operator" and event.get("name") == operator_name:
            return None
        return frame("typing", conversation_id=event["conversation_id"],
                     side=event["side"], typing=event["typing"], name=event.get("name", ""))
    if kind == "read":
        return frame("read", conversation_id=event["conversation_id"], side=event["side"],
                     message_id=event["message_id"])
    if kind == "presence":
        return frame("presence", operator_id=event["operator_id"], status=event["status"])
    if kind == "action":
        return frame("action", action=event["action"])
    if kind == "viewing":
        return frame("viewing", operator_id=event["operator_id"],
                     conversation_id=event["conversation_id"], socket=event["socket"])
    if kind in ("tags", "reminder", "customer", "tag_catalog"):
        return frame(kind, **{k: v for k, v in event.items() if k != "kind"})
    return None
