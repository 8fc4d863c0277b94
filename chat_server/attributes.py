"""A host product's facts about its user (plan, paid until, CRM status): the attributes the
widget's identify() sends with a verified user and a back end pushes with an API token.

Only short scalars are kept, so a page shows them as text and a row stays small."""

from __future__ import annotations

from typing import Any

MAX_ATTRIBUTES = 50
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 500


def clean(attributes: dict[str, Any]) -> dict[str, Any]:
    """At most 50 keys of up to 64 characters, each a number, true/false or a short text."""
    out: dict[str, Any] = {}
    for key, value in list(attributes.items())[:MAX_ATTRIBUTES]:
        key = str(key).strip()[:MAX_KEY_CHARS]
        if not key:
            continue
        if isinstance(value, bool | int | float):
            out[key] = value
        elif isinstance(value, str):
            out[key] = value[:MAX_VALUE_CHARS]
    return out


def merged(old: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Old attributes with `changes` over them; a key set to null is removed."""
    result = {**old, **clean({k: v for k, v in changes.items() if v is not None})}
    for key, value in changes.items():
        if value is None:
            result.pop(str(key).strip()[:MAX_KEY_CHARS], None)
    return dict(list(result.items())[:MAX_ATTRIBUTES])
