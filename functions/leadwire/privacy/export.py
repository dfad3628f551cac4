"""Exporting a lead: everything stored about it and its merged ids, as one JSON document.

It is read item by item from the lead's partitions (and its timer and member items), so a kind
of item added later shows up under its own key instead of being silently left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from leadwire import schema
from leadwire.admin.models import DeliveryView, HistoryEntry, LeadView
from leadwire.core.errors import NotFound
from leadwire.core.instants import iso
from leadwire.dal.delivery_store import delivery_view
from leadwire.dal.event_store import from_item
from leadwire.dal.fire_store import fire_from_item
from leadwire.dal.lead_items import history_intervals, lead_from_item
from leadwire.privacy.erase import Item, PartitionPort, item_kind
from leadwire.privacy.models import ExportDocument

SEND_FIELDS = ("deliveryId", "channel", "category", "at")  # as ``SendLogStore`` writes them
TIMER_FIELDS = ("status", "startedAt", "deadline", "cause", "satisfiedAt")


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {to_camel(name): value for name, value in values.items()}


def _plain(item: Item) -> dict[str, Any]:
    """An item of a kind the export has no view for: its attributes as plain JSON values."""
    return {name: next(iter(value.values())) for name, value in item.items()}


def _suffix(item: Item) -> str:
    """The id in a ``TIMER#<trigger>`` or ``SEG#<segment>`` partition key."""
    return item[schema.PK]["S"].split("#", 1)[1]


class LeadExporter:
    def __init__(
        self,
        ids: Callable[[str], list[str]],
        profile: Callable[[str], LeadView | None],
        partition: PartitionPort,
        segment_ids: Callable[[], Iterable[str]],
        trigger_ids: Callable[[], Iterable[str]],
        now: Callable[[], datetime],
    ) -> None:
        self._ids = ids
        self._profile = profile
        self._partition = partition
        self._segment_ids = segment_ids
        self._trigger_ids = trigger_ids
        self._now = now

    def export(self, lead_id: str) -> ExportDocument:
        ids = self._ids(lead_id)
        by_owner = {owner: self._partition.items(owner) for owner in ids}
        if not any(by_owner.values()):
            raise NotFound(f"no lead {lead_id!r}", {"leadId": lead_id})
        sections: dict[str, list[Any]] = {
            "events": [],
            "history": [],
            "deliveries": [],
            "fires": [],
            "sendLog": [],
            "other": [],
        }
        state: dict[str, Any] | None = None
        history_items: dict[str, list[Item]] = {}
        for owner, items in by_owner.items():
            for item in items:
                kind = item_kind(item)
                if kind == "events":
                    sections["events"].append(_camel(from_item(item).model_dump(mode="json")))
                elif kind == "history":
                    history_items.setdefault(owner, []).append(item)
                elif kind == "deliveries":
                    sections["deliveries"].append(DeliveryView.model_validate(delivery_view(item)))
                elif kind == "fires":
                    fire = fire_from_item(item)
                    sections["fires"].append(_camel({**fire.model_dump(mode="json"), "at": iso(fire.at)}))
                elif kind == "sendLog":
                    sections["sendLog"].extend(
                        dict(zip(SEND_FIELDS, send, strict=True)) for send in json.loads(item["sends"]["S"])
                    )
                elif kind == "state":
                    if owner == ids[0]:  # a merged id's own state holds nothing the lead's lacks
                        state = lead_from_item(item).state.model_dump(mode="json", by_alias=False)
                else:
                    sections["other"].append(_plain(item))
        sections["history"] = [  # pages and interval items read back as intervals
            HistoryEntry.model_validate({**entry, "leadId": owner})
            for owner, items in history_items.items()
            for entry in history_intervals(items)
        ]
        timers = [
            {"triggerId": _suffix(t), **{f: t[f]["S"] for f in TIMER_FIELDS if f in t}}
            for owner in ids
            for t in self._partition.timers(self._trigger_ids(), owner)
        ]
        members = [m for owner in ids for m in self._partition.member_items(self._segment_ids(), owner)]
        sections["events"].sort(key=lambda e: (e["timestamp"], e["messageId"]))
        sections["history"].sort(key=lambda h: (h.entered_at, h.segment_id))
        return ExportDocument(
            lead_id=ids[0],
            exported_at=iso(self._now()),
            ids=ids,
            profile=self._profile(ids[0]),
            state=state,
            events=sections["events"],
            history=sections["history"],
            deliveries=sections["deliveries"],
            fires=sections["fires"],
            timers=timers,
            send_log=sections["sendLog"],
            segments=sorted({_suffix(m) for m in members}),
            other=sections["other"],
        )
