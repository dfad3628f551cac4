"""Flip-log items: one flip each (``<at>#<leadId>#<kind>``), or a pack of one batch's flips.

A stream batch that moves ten leads into "Hot" writes one pack item in the segment's log instead
of ten flip items: a pack of up to ``PACK_MAX`` flips (about 100 bytes each) costs a write unit
per KB, a flip item one unit each. Its sort key starts with the instant of its *latest* flip
(``<maxAt>#P#<digest>``), so the log's one range query (``sk >= since``) still finds every flip at
or after ``since``: a pack holding one is sorted at or after it. Readers drop a pack's earlier
flips, and read both shapes, so logs written before packs read as they did.

A pack's key is a digest of its flips: a batch delivered again writes the same pack again. A
retry that groups flips differently writes some of them twice, in two packs; readers keep one of
each (the single item's key, (instant, lead, kind), is what identifies a flip).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from leadwire import schema
from leadwire.core.instants import iso, parse_iso

PACK_MAX: Final = 100
PACK_MARK: Final = "#P#"
_KINDS: Final = {"entered": "e", "exited": "x"}
_NAMES: Final = {short: name for name, short in _KINDS.items()}

Item = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Flip:
    """One entry or exit of one lead, as the flip log holds it."""

    segment_id: str
    lead_id: str
    kind: Literal["entered", "exited"]
    at: datetime
    cause: str


def flip_item(pk: str, flip: Flip) -> Item:
    return {
        schema.PK: {"S": pk},
        schema.SK: {"S": f"{iso(flip.at)}#{flip.lead_id}#{flip.kind}"},
        "lead": {"S": flip.lead_id},
        "k": {"S": flip.kind},
        "c": {"S": flip.cause},
    }


def pack_items(pk: str, flips: list[Flip]) -> Iterator[Item]:
    """``flips`` (of one segment) as pack items of at most ``PACK_MAX``, oldest first."""
    ordered = sorted(flips, key=lambda flip: (flip.at, flip.lead_id, flip.kind))
    for start in range(0, len(ordered), PACK_MAX):
        yield _pack(pk, ordered[start : start + PACK_MAX])


def _pack(pk: str, flips: list[Flip]) -> Item:
    rows = [[iso(flip.at), flip.lead_id, _KINDS[flip.kind], flip.cause] for flip in flips]
    text = json.dumps(rows, separators=(",", ":"))
    token = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    return {
        schema.PK: {"S": pk},
        schema.SK: {"S": f"{rows[-1][0]}{PACK_MARK}{token}"},
        "f": {"S": text},
    }


def is_pack(item: Item) -> bool:
    return "f" in item


def flips_of(segment_id: str, item: Item) -> list[Flip]:
    """The flips one log item holds, of either shape."""
    if is_pack(item):
        return [
            Flip(segment_id, lead, _kind(_NAMES[short]), parse_iso(at), cause)
            for at, lead, short, cause in json.loads(item["f"]["S"])
        ]
    return [
        Flip(
            segment_id=segment_id,
            lead_id=item["lead"]["S"],
            kind=_kind(item["k"]["S"]),
            at=parse_iso(item[schema.SK]["S"].split("#", 1)[0]),
            cause=item["c"]["S"],
        )
    ]


def without_lead(item: Item, lead_id: str) -> Item | None:
    """The pack with ``lead_id``'s flips taken out (``None``: nothing else was in it)."""
    rows = [row for row in json.loads(item["f"]["S"]) if row[1] != lead_id]
    if not rows:
        return None
    return {**item, "f": {"S": json.dumps(rows, separators=(",", ":"))}}


def distinct(flips: Iterable[Flip]) -> list[Flip]:
    """One of each flip (by instant, lead and kind), oldest first."""
    seen: dict[tuple[datetime, str, str], Flip] = {}
    for flip in flips:
        seen.setdefault((flip.at, flip.lead_id, flip.kind), flip)
    return sorted(seen.values(), key=lambda flip: (flip.at, flip.lead_id, flip.kind))


def _kind(text: str) -> Literal["entered", "exited"]:
    return "entered" if text == "entered" else "exited"
