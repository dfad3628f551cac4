"""Lead-state, membership and history items: the engine's writes, and back.

The rule-engine state is one compact JSON string (``s``); the attributes the admin API and the
indexes need sit beside it. The outbox is written compactly (``ox``: one JSON array per change,
instants in epoch milliseconds, about a third of the size of the model's JSON); items written
before that hold it as the model's JSON (``ob``), which still loads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from leadwire import schema
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import LeadState, MembershipChange
from leadwire.core.rules.clock import epoch_millis, from_epoch_millis
from leadwire.dal.event_items import iso

_LEGACY_OUTBOX: TypeAdapter[list[Transition]] = TypeAdapter(list[Transition])
_KINDS = {"entered": "+", "exited": "-"}
_KIND_NAMES = {mark: kind for kind, mark in _KINDS.items()}


def outbox_to_text(outbox: list[Transition]) -> str:
    """``[[segment, "+"|"-", at, entered_at, cause, definition_version], ...]`` (epoch ms)."""
    rows = [
        [
            t.change.segment_id,
            _KINDS[t.change.kind],
            epoch_millis(t.change.at),
            epoch_millis(t.entered_at),
            t.cause,
            t.definition_version,
        ]
        for t in outbox
    ]
    return json.dumps(rows, separators=(",", ":"))


def outbox_from_text(text: str) -> list[Transition]:
    return [
        Transition(
            change=MembershipChange(segment_id=segment, kind=_KIND_NAMES[kind], at=from_epoch_millis(at)),
            cause=cause,
            entered_at=from_epoch_millis(entered_at),
            definition_version=version,
        )
        for segment, kind, at, entered_at, cause, version in json.loads(text)
    ]


def _outbox(item: dict[str, dict[str, Any]]) -> list[Transition]:
    if "ox" in item:
        return outbox_from_text(item["ox"]["S"])
    if "ob" in item:
        return _LEGACY_OUTBOX.validate_json(item["ob"]["S"])
    return []


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
        item["ox"] = {"S": outbox_to_text(record.outbox)}
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
        outbox=_outbox(item),
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
