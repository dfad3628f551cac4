"""Segment counters, summed per stream batch from the leads' outboxes, agree with the member items."""

import base64
import json
from collections import Counter
from datetime import timedelta

from leadwire import schema
from leadwire.dal.segment_stats import SegmentStats
from leadwire.local.bench import BENCH_START, REQUEST_SIZE, WRITE_KEY, generate_workload
from leadwire.local.runtime import TABLE_NAME, LocalRuntime


def test_after_a_clickstream_every_counter_equals_its_segment_s_member_items():
    runtime = LocalRuntime({WRITE_KEY: "bench"}, clock_start=BENCH_START)
    auth = [("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode())]
    try:
        workload = generate_workload(600, 30)
        for start in range(0, len(workload), REQUEST_SIZE):
            request = workload[start : start + REQUEST_SIZE]
            body = json.dumps({"batch": request}).encode()
            assert runtime.handle("POST", "/v1/batch", "", auth, body, "127.0.0.1").status == 200
            runtime.drain()
        # days later: the sweep moves leads out of time-bound segments in batches of its own
        runtime.run_until(BENCH_START + timedelta(days=10))
        members: Counter[str] = Counter()
        for page in runtime.dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME):
            for item in page["Items"]:
                pk, sk = item[schema.PK]["S"], item[schema.SK]["S"]
                if pk.startswith(schema.SEGMENT_PREFIX) and sk.startswith(schema.MEMBER_PREFIX):
                    members[pk.removeprefix(schema.SEGMENT_PREFIX)] += 1
        segment_ids = [
            s["id"]
            for s in json.loads(runtime.handle("GET", "/segments", "", [], b"", "127.0.0.1").body)["segments"]
        ]
        counted, _ = SegmentStats(runtime.dynamodb, TABLE_NAME).counts(segment_ids)
        assert sum(members.values()) > 50  # the workload moved leads in and out of many segments
        assert counted == {segment_id: members[segment_id] for segment_id in segment_ids}
    finally:
        runtime.close()
