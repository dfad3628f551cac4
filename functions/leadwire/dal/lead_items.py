"""Lead-state, membership and history items: the engine's writes, and back.

The rule-engine state is one compact JSON string (``s``); the attributes the admin API and the
indexes need sit beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from leadwire import schema
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import LeadState
from leadwire.dal.event_items import iso

_OUTBOX: TypeAdapter[list[Transition]] = TypeAdapter(list[Transition])


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def lead_key(lead_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.lead_pk(lead_id)}, schema.SK: {"S": schema.STATE_SK}}


def lead_to_item(record: LeadRecord, version: int) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        **lead_key(record.lead_id),
        "v": {"N": str(version)},
        "s": {"S": record.state.to_json()},
        schema.LEAD_SHARD: {"S": schema.lead_shard(record.lead_id)},
        schema.LEAD_SHARD_SK: {"S": record.lead_id},
    }
    if record.evaluated_at is not None:
        item["ev"] = {"S": iso(record.evaluated_at)}
    if record.next_flip_at is not None:
        item["nf"] = {"S": iso(record.next_flip_at)}
    if record.due_at is not None:
        item[schema.DUE_PK] = {"S": schema.due_pk(record.due_at)}
        item[schema.DUE_SK] = {"S": schema.due_sk(iso(record.due_at), record.lead_id)}
    if record.merged_into is not None:
        item["mi"] = {"S": record.merged_into}
    if record.aliases:
        item["al"] = {"SS": sorted(record.aliases)}
    if record.outbox:
        item["ob"] = {"S": _OUTBOX.dump_json(record.outbox).decode()}
    return item


def lead_from_item(item: dict[str, dict[str, Any]]) -> LeadRecord:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    return LeadRecord(
        lead_id=schema.lead_id_from_pk(item[schema.PK]["S"]),
        state=LeadState.from_json(item["s"]["S"]),
        version=int(item["v"]["N"]),
        evaluated_at=_when(text("ev")),
        next_flip_at=_when(text("nf")),
        due_at=_when((text(schema.DUE_SK) or "").split("#", 1)[0]),
        merged_into=text("mi"),
        aliases=sorted(item.get("al", {}).get("SS", [])),
        outbox=_OUTBOX.validate_json(text("ob") or "[]"),
    )


def history_key(lead_id: str, segment_id: str, entered_at: datetime) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": schema.lead_pk(lead_id)},
        schema.SK: {"S": f"{schema.HISTORY_PREFIX}{segment_id}#{iso(entered_at)}"},
    }


def member_key(segment_id: str, lead_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.segment_pk(segment_id)}, schema.SK: {"S": schema.member_sk(lead_id)}}


def change_id(lead_id: str, transition: Transition) -> str:
    """Stable across retries: the same change of the same interval always has the same id."""
    change = transition.change
    return f"{lead_id}|{change.segment_id}|{iso(transition.entered_at)}|{change.kind}"


def history_entry_item(lead_id: str, transition: Transition) -> dict[str, dict[str, Any]]:
    change = transition.change
    return {
        **history_key(lead_id, change.segment_id, transition.entered_at),
        "lead": {"S": lead_id},
        "seg": {"S": change.segment_id},
        "in": {"S": iso(transition.entered_at)},
        "inCause": {"S": transition.cause},
        "defv": {"S": transition.definition_version},
        "cid": {"S": change_id(lead_id, transition)},
    }


def member_item(lead_id: str, transition: Transition) -> dict[str, dict[str, Any]]:
    return {
        **member_key(transition.change.segment_id, lead_id),
        "lead": {"S": lead_id},
        "in": {"S": iso(transition.entered_at)},
    }


def history_from_item(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    return {
        "segmentId": text("seg"),
        "enteredAt": text("in"),
        "exitedAt": text("out"),
        "cause": {"entered": text("inCause"), "exited": text("outCause")},
        "definitionVersion": text("defv"),
    }
