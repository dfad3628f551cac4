"""Erasing a lead takes it out of the segment counters and the flip log too."""

import json
from datetime import UTC, datetime

from leadwire.dal.segment_stats import SegmentStats
from leadwire.local.runtime import TABLE_NAME, LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 5}]},
    "segments": [{"id": "big", "name": "Big", "condition": {"score": {"gte": 5}}}],
}


def test_an_erased_lead_leaves_the_counters_and_the_flip_log(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime(
        {WRITE_KEY: "website"}, config_dir=tmp_path, clock_start=datetime(2026, 9, 2, tzinfo=UTC)
    )
    try:
        api = LocalApi(runtime)
        api.send(*(track(lead, "visit", timestamp="2026-09-01T10:00:00Z") for lead in ("a", "b")))
        api.drain()
        assert api.get("/segments")[1]["segments"][0]["memberCount"] == 2
        status, body, _ = api.delete("/leads/a")
        assert status == 200, body
        (big,) = api.get("/segments")[1]["segments"]
        assert (big["memberCount"], big["shareOfLeads"]) == (1, 1.0)
        log = SegmentStats(runtime.dynamodb, TABLE_NAME).flips("big", datetime(2026, 9, 1, tzinfo=UTC))
        assert [(flip.lead_id, flip.kind, flip.at.isoformat()) for flip in log] == [
            ("b", "entered", "2026-09-01T10:00:00+00:00")
        ]
        # a and b entered in one batch: one pack, now holding b's flip only
        raw = [
            item
            for page in runtime.dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME)
            for item in page["Items"]
            if item["pk"]["S"].startswith("FLIPS#")
        ]
        assert len(raw) == 1
        assert '"a"' not in raw[0]["f"]["S"]
    finally:
        runtime.close()
