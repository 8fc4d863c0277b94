"""Rows to records: plain dicts with JSON fields decoded, shared by the store's queries."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import CursorResult

from chat_server.store.base import Record

JSON_FIELDS = ("attributes", "context", "reader_attributes", "details")


def now_ms() -> int:
    return int(time.time() * 1000)


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT made (every table here has an integer id)."""
    key = result.inserted_primary_key
    assert key is not None, "not an INSERT"
    return int(key[0])


def to_record(row: Any) -> Record:
    """A row as a record. Keys become plain str (SQLAlchemy's are a str subclass, which
    orjson, encoding the websocket frames, does not take as a key)."""
    return decode_fields({str(key): value for key, value in row.items()})


def decode_fields(record: Record) -> Record:
    """Decode, in place, what the database keeps as text: JSON objects, comma lists, 0/1."""
    for name in JSON_FIELDS:
        if isinstance(record.get(name), str):
            record[name] = json.loads(record[name])
    if isinstance(record.get("groups"), str):
        record["groups"] = [g for g in record["groups"].split(",") if g]
    if "internal" in record:
        record["internal"] = bool(record["internal"])
    return record
