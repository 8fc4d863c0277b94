"""Rows to records: plain dicts with JSON fields decoded, shared by the store's queries."""

from __future__ import annotations

import json
import time
from typing import Any

from chat_server.store.base import Record

JSON_FIELDS = ("attributes", "context")


def now_ms() -> int:
    return int(time.time() * 1000)


def to_record(row: Any) -> Record:
    record = dict(row)
    for name in JSON_FIELDS:
        if isinstance(record.get(name), str):
            record[name] = json.loads(record[name])
    if isinstance(record.get("groups"), str):
        record["groups"] = [g for g in record["groups"].split(",") if g]
    if "internal" in record:
        record["internal"] = bool(record["internal"])
    return record
