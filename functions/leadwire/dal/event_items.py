"""The stored event item: one compact DynamoDB item per event, and back.

Attribute names are short because every byte counts toward the 1 KB write unit. Free-form data
(properties, traits, kept context) is one compact JSON string: smaller than a typed map, and the
engine reads it whole anyway.
"""

from __future__ import annotations

import json
from typing import Any

from leadwire import schema
from leadwire.core.instants import iso, parse_iso
from leadwire.core.tracking import StoredEvent

_OPTIONAL = (
    ("e", "event"),
    ("uid", "user_id"),
    ("aid", "anonymous_id"),
    ("gid", "group_id"),
    ("prev", "previous_id"),
)
_PAYLOAD = ("properties", "traits", "context")


def to_item(event: StoredEvent) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        schema.PK: {"S": schema.lead_pk(event.lead_id)},
        schema.SK: {"S": schema.event_sk(event.message_id)},
        "t": {"S": event.type},
        "ts": {"S": iso(event.timestamp)},
        "rcv": {"S": iso(event.received_at)},
        "src": {"S": event.source},
    }
    for attribute, name in _OPTIONAL:
        value = getattr(event, name)
        if value is not None:
            item[attribute] = {"S": value}
    if event.sequence:
        item["q"] = {"N": str(event.sequence)}
    payload = {name[0]: getattr(event, name) for name in _PAYLOAD if getattr(event, name)}
    if payload:
        item["d"] = {"S": json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)}
    return item


def from_item(item: dict[str, dict[str, Any]]) -> StoredEvent:
    """Reads an item as returned by the low-level client or found in a stream image."""

    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    payload = json.loads(text("d") or "{}")
    return StoredEvent(
        message_id=item[schema.SK]["S"].removeprefix(schema.EVENT_PREFIX),
        lead_id=schema.lead_id_from_pk(item[schema.PK]["S"]),
        type=item["t"]["S"],
        timestamp=parse_iso(item["ts"]["S"]),
        received_at=parse_iso(item["rcv"]["S"]),
        source=item["src"]["S"],
        properties=payload.get("p", {}),
        traits=payload.get("t", {}),
        context=payload.get("c", {}),
        sequence=int(item["q"]["N"]) if "q" in item else 0,
        **{name: text(attribute) for attribute, name in _OPTIONAL},
    )
