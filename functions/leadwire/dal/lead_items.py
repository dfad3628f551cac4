"""Lead-state, membership and history items: the engine's writes, and back.

The rule-engine state is one compact JSON string, stored zlib-compressed (``sz``, bytes) once
it is long enough for that to pay, else as text (``s``): a lead with some history has about 700
bytes of state JSON, 300 compressed, which keeps the whole item under the 1 KB a write unit buys.
The attributes the admin API and the indexes need sit beside it. Every byte is paid on every save
(a write unit per KB), so the item is kept small: the outbox is one JSON array per change
(``ox``, about a third of the size of the model's JSON), the dedupe tokens are raw bytes
(``rb``) and instants epoch milliseconds. ``f`` says the item format (2); items written before
it (format 1: ``ob``, tokens inside ``s``, ISO instants) still load, and their next save writes
format 2. A text ``s`` of any format still loads.

Membership history is one *page* per save that changed memberships (``HIST#@<version>``: the
save's changes in the outbox's encoding), so a save's flips cost one history write however many
there are. Items written before pages hold one interval each (``HIST#<segment>#<enteredAt>``);
``history_intervals`` reads both into the same intervals, and a page may close an interval that
an older item opened.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from leadwire import schema
from leadwire.core.instants import iso
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import LeadState, MembershipChange
from leadwire.core.rules.clock import epoch_millis, from_epoch_millis

# Format 2 (``f``): outbox ``ox``, dedupe tokens as bytes ``rb``, ``ev``/``nf`` in epoch ms.
# Format 1 (no ``f``): outbox ``ob`` (the model's JSON), tokens inside ``s``, ISO instants.
ITEM_FORMAT = 2
_LEGACY_OUTBOX: TypeAdapter[list[Transition]] = TypeAdapter(list[Transition])
_KINDS = {"entered": "+", "exited": "-"}
_KIND_NAMES = {mark: kind for kind, mark in _KINDS.items()}
STATE_COMPRESSED_FROM = 256  # bytes of state JSON: below that, zlib's header is not paid back


def outbox_to_text(outbox: list[Transition]) -> str:
    """Changes grouped by instant and cause, in order (one event usually moves a lead in and out
    of several segments): ``[[at, cause, [segment, "+", version], [segment, "-", version,
    entered_at], ...], ...]``, instants in epoch ms (an entry's interval starts at its instant)."""
    groups: list[list[Any]] = []
    for t in outbox:
        at = epoch_millis(t.change.at)
        start = [] if t.change.kind == "entered" else [epoch_millis(t.entered_at)]
        change = [t.change.segment_id, _KINDS[t.change.kind], t.definition_version, *start]
        if groups and groups[-1][:2] == [at, t.cause]:
            groups[-1].append(change)
        else:
            groups.append([at, t.cause, change])
    return json.dumps(groups, separators=(",", ":"))


def outbox_from_text(text: str) -> list[Transition]:
    transitions = []
    for at, cause, *changes in json.loads(text):
        for segment, kind, version, *start in changes:
            transitions.append(
                Transition(
                    change=MembershipChange(
                        segment_id=segment, kind=_KIND_NAMES[kind], at=from_epoch_millis(at)
                    ),
                    cause=cause,
                    entered_at=from_epoch_millis(start[0] if start else at),
                    definition_version=version,
                )
            )
    return transitions


def _outbox(item: dict[str, dict[str, Any]]) -> list[Transition]:
    if "ox" in item:
        return outbox_from_text(item["ox"]["S"])
    if "ob" in item:
        return _LEGACY_OUTBOX.validate_json(item["ob"]["S"])
    return []


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _instant(value: dict[str, str] | None) -> datetime | None:
    """Epoch ms (``N``, format 2) or ISO 8601 (``S``, format 1)."""
    if value is None:
        return None
    return from_epoch_millis(int(value["N"])) if "N" in value else datetime.fromisoformat(value["S"])


def _recent(item: dict[str, dict[str, Any]], state: LeadState) -> LeadState:
    """Format 2 keeps the dedupe tokens as raw bytes (``rb``: 6 bytes a token, not 8 characters)."""
    raw = item.get("rb", {}).get("B")
    if raw is None:
        return state
    return state.model_copy(update={"recent": base64.urlsafe_b64encode(bytes(raw)).decode("ascii")})


def lead_key(lead_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.lead_pk(lead_id)}, schema.SK: {"S": schema.STATE_SK}}


def lead_to_item(record: LeadRecord, version: int) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        **lead_key(record.lead_id),
        "f": {"N": str(ITEM_FORMAT)},
        "v": {"N": str(version)},
        **_state_attribute(record.state.model_copy(update={"recent": ""}).to_json()),
        schema.LEAD_SHARD: {"S": schema.lead_shard(record.lead_id)},
        schema.LEAD_SHARD_SK: {"S": record.lead_id},
    }
    if record.state.recent:
        item["rb"] = {"B": base64.urlsafe_b64decode(record.state.recent)}
    if record.evaluated_at is not None:
        item["ev"] = {"N": str(epoch_millis(record.evaluated_at))}
    if record.next_flip_at is not None:
        item["nf"] = {"N": str(epoch_millis(record.next_flip_at))}
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


def _state_attribute(state_json: str) -> dict[str, dict[str, Any]]:
    raw = state_json.encode()
    if len(raw) >= STATE_COMPRESSED_FROM:
        packed = zlib.compress(raw)
        if len(packed) < len(raw):
            return {"sz": {"B": packed}}
    return {"s": {"S": state_json}}


def state_from_item(item: dict[str, dict[str, Any]]) -> LeadState:
    """The rule-engine state of a lead-state item, compressed (``sz``) or not (``s``)."""
    if "sz" in item:
        return LeadState.from_json(zlib.decompress(item["sz"]["B"]).decode())
    return LeadState.from_json(item["s"]["S"])


def lead_from_item(item: dict[str, dict[str, Any]]) -> LeadRecord:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    return LeadRecord(
        lead_id=schema.lead_id_from_pk(item[schema.PK]["S"]),
        state=_recent(item, state_from_item(item)),
        version=int(item["v"]["N"]),
        evaluated_at=_instant(item.get("ev")),
        next_flip_at=_instant(item.get("nf")),
        due_at=_when((text(schema.DUE_SK) or "").split("#", 1)[0]),
        merged_into=text("mi"),
        aliases=sorted(item.get("al", {}).get("SS", [])),
        outbox=_outbox(item),
    )


# Segment ids are slugs, so no interval item's sort key has "@" where a page's has it.
HISTORY_PAGE_MARK = "@"


def history_page_key(lead_id: str, version: int) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": schema.lead_pk(lead_id)},
        schema.SK: {"S": f"{schema.HISTORY_PREFIX}{HISTORY_PAGE_MARK}{version:012d}"},
    }


def history_page_item(lead_id: str, version: int, transitions: list[Transition]) -> dict[str, dict[str, Any]]:
    """The membership changes of one save of ``lead_id`` (the one that stored ``version``)."""
    return {
        **history_page_key(lead_id, version),
        "lead": {"S": lead_id},
        "ch": {"S": outbox_to_text(transitions)},
    }


def is_history_page(item: dict[str, dict[str, Any]]) -> bool:
    return item[schema.SK]["S"].startswith(schema.HISTORY_PREFIX + HISTORY_PAGE_MARK)


def page_version(item: dict[str, dict[str, Any]]) -> int:
    """The lead-state version whose save wrote the page (its key says it)."""
    return int(item[schema.SK]["S"].removeprefix(schema.HISTORY_PREFIX + HISTORY_PAGE_MARK))


def page_changes(item: dict[str, dict[str, Any]]) -> list[Transition]:
    return outbox_from_text(item["ch"]["S"])


def history_intervals(items: list[dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The membership intervals that history items record (either layout), in order of entry.
    An interval's cause and definition version are those of its entry."""
    intervals: dict[tuple[str, str, str], dict[str, Any]] = {}
    pages = sorted((i for i in items if is_history_page(i)), key=lambda i: i[schema.SK]["S"])
    for item in items:
        if not is_history_page(item):
            entry = history_from_item(item)
            intervals[(item["lead"]["S"], entry["segmentId"], entry["enteredAt"])] = entry
    for page in pages:
        for transition in page_changes(page):
            segment, entered = transition.change.segment_id, iso(transition.entered_at)
            entry = intervals.setdefault(
                (page["lead"]["S"], segment, entered),
                {
                    "segmentId": segment,
                    "enteredAt": entered,
                    "exitedAt": None,
                    "cause": {"entered": None, "exited": None},
                    "definitionVersion": transition.definition_version,
                },
            )
            if transition.change.kind == "entered":
                entry["cause"]["entered"] = transition.cause
                entry["definitionVersion"] = transition.definition_version
            else:
                entry["exitedAt"] = iso(transition.change.at)
                entry["cause"]["exited"] = transition.cause
    return sorted(intervals.values(), key=lambda e: (e["enteredAt"], e["segmentId"]))


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


@dataclass(frozen=True, slots=True)
class HistoryInterval:
    """A history item of the format before pages: one interval of one segment."""

    lead_id: str
    segment_id: str
    entered_at: datetime
    enter_change_id: str
    exited_at: datetime | None
    exit_change_id: str | None


def interval_from_item(item: dict[str, dict[str, Any]]) -> HistoryInterval | None:
    """The interval an item holds; None when it is not an interval item (a page, or another kind)."""

    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    lead, segment, entered = text("lead"), text("seg"), text("in")
    if lead is None or segment is None or entered is None:
        return None
    exited = text("out")
    return HistoryInterval(
        lead_id=lead,
        segment_id=segment,
        entered_at=datetime.fromisoformat(entered),
        enter_change_id=text("cid") or f"{lead}|{segment}|{entered}",
        exited_at=datetime.fromisoformat(exited) if exited else None,
        exit_change_id=(text("cidOut") or f"{lead}|{segment}|{exited}") if exited else None,
    )
