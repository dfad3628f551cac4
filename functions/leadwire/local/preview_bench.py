"""``leadwire preview-bench``: how fast a segment preview replays stored events on moto.

Stores N synthetic events of M leads over 30 days straight into moto (no pipeline: a preview
reads only events), then runs ``POST /segments/preview``'s code for a 30-day window of a changed
definition, and reports the scan and the replay through the engine apart.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws

from leadwire import schema
from leadwire.admin.previews import Previews
from leadwire.config_loader import definitions_of, load_config_dir
from leadwire.core.delivery.policy import DeliveryPolicy
from leadwire.core.insight.replay import closure, group, replay
from leadwire.core.rules import Definitions
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import EventStore
from leadwire.local.moto_events import MotoEventSource
from leadwire.local.runtime import DEFAULT_CONFIG

TABLE = "leadwire-preview-bench"
END = datetime(2026, 10, 1, tzinfo=UTC)
_NAMES = ["page", "feature_used", "api_call", "email_opened", "trial_signup", "demo_requested", "cart_added"]
PREVIEW = {
    "id": "hot-leads",
    "name": "Hot Leads (threshold 40)",
    "condition": {"score": {"gte": 40}},
    "exit_when": {"score": {"lt": 35}},
}


class _Document:
    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        self._definitions = definitions_of(document)

    def document(self) -> dict[str, Any]:
        return self._document

    def current(self) -> Definitions:
        return self._definitions


def synthetic_events(count: int, leads: int, seed: int = 7) -> list[StoredEvent]:
    rng = random.Random(seed)
    start = END - timedelta(days=30)
    events = []
    for number in range(count):
        lead = f"lead-{rng.randrange(leads):06d}"
        at = start + timedelta(seconds=rng.randrange(30 * 86400))
        name = rng.choice(_NAMES)
        kind = "page" if name == "page" else "track"
        events.append(
            StoredEvent(
                message_id=f"m{number:08d}",
                type=kind,
                lead_id=lead,
                event=None if kind == "page" else name,
                timestamp=at,
                received_at=at,
                source="bench",
                user_id=lead,
                properties={"path": "/pricing"} if kind == "page" else {},
            )
        )
    return events


def run(events: int, leads: int) -> dict[str, Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema.create_table_kwargs(TABLE))
        EventStore(client, TABLE).put_events(synthetic_events(events, leads))
        document = _Document(load_config_dir(DEFAULT_CONFIG))
        scan = MotoEventSource(TABLE, "us-east-1")

        began = time.perf_counter()
        stored = list(scan.events())
        scanned = time.perf_counter()
        definitions = definitions_of(
            {**document.document(), "segments": [*document.document()["segments"][1:], PREVIEW]}
        )
        result = replay(group(stored), closure(definitions, ["hot-leads"]), END)
        replayed = time.perf_counter()

        previews = Previews(scan, document, DeliveryPolicy, lambda: END)
        whole_began = time.perf_counter()
        view = previews.segment(PREVIEW, "P30D")
        whole = time.perf_counter() - whole_began
    return {
        "events": len(stored),
        "leads": result.leads,
        "read_seconds": round(scanned - began, 2),
        "replay_seconds": round(replayed - scanned, 2),
        "replay_events_per_second": round(len(stored) / (replayed - scanned), 1),
        "preview_seconds": round(whole, 2),
        "preview_events_per_second": round(len(stored) / whole, 1),
        "member_count": view.member_count,
    }


def main(events: int, leads: int, as_json: bool) -> int:
    report = run(events, leads)
    if as_json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:28} {value}")
    return 0
