"""Where a message's attachment can be fetched from, for a reader or for an operator."""

from __future__ import annotations

import hashlib
import hmac

from chat_server.store import Record, Store


def reader_signature(secret_key: str, attachment_id: str, reader_id: str) -> str:
    text = f"attachment:{attachment_id}:{reader_id}".encode()
    return hmac.new(secret_key.encode(), text, hashlib.sha256).hexdigest()[:40]


async def decorate(store: Store, secret_key: str, messages: list[Record],
                   reader_id: str | None) -> None:
    """Add `attachment` (id, name, type, size, url) to messages that carry one. A reader's
    URL is signed for them (an <img> cannot send their token); an operator's relies on the
    session cookie."""
    ids = [m["attachment_id"] for m in messages if m.get("attachment_id")]
    if not ids:  # most messages: no lookup, not even an await
        return
    found = await store.get_attachments(ids)
    for message in messages:
        record = found.get(message.get("attachment_id") or "")
        if record is None:
            continue
        url = f"/api/attachments/{record['id']}"
        if reader_id is not None:
            url += "?v=" + reader_signature(secret_key, record["id"], reader_id)
        message["attachment"] = {"id": record["id"], "name": record["name"],
                                 "content_type": record["content_type"],
                                 "size": record["size"], "url": url}
