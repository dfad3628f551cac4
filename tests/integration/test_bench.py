"""leadwire bench: the workload is deterministic and the report is computed from metered units."""

import pytest

from leadwire.core.capacity import USD_PER_MILLION_READ_UNITS, USD_PER_MILLION_WRITE_UNITS
from leadwire.local.bench import generate_workload, run_bench


def test_the_workload_is_deterministic_and_in_time_order():
    first, second = generate_workload(300, 20), generate_workload(300, 20)
    assert first == second
    assert len(first) == 300
    assert [m["timestamp"] for m in first] == sorted(m["timestamp"] for m in first)
    assert len({m["messageId"] for m in first}) == 300


def test_the_report_counts_every_event_and_prices_the_units():
    report = run_bench(200, 10).to_json()
    assert report["events"] == 200
    assert report["write_units_per_event"] >= 1.0  # the event itself is the floor
    assert report["read_units_per_event"] > 0
    expected = (
        report["write_units_per_event"] * USD_PER_MILLION_WRITE_UNITS
        + report["read_units_per_event"] * USD_PER_MILLION_READ_UNITS
    )
    parts = report["usd_per_million_events_by_part"]
    assert parts["dynamodb"] == pytest.approx(expected, abs=0.01)
    assert report["usd_per_million_events"] == pytest.approx(sum(parts.values()), abs=0.001)
    # Lambda is priced from measured invocations of the stack's functions, API Gateway per request
    assert report["lambda"]["ingestion"]["invocations"] == report["api_requests"] == 2
    assert report["lambda"]["segmentation"]["memory_mb"] == 1024
    assert parts["lambda_gb_seconds"] > 0
    assert parts["api_gateway"] == pytest.approx(2 * 1.0 / 200, abs=1e-4)
    # The floor is measured in the same process; the ratio is throughput over it
    assert report["moto_put_items_per_second"] > 0
    assert report["floor_ratio"] == pytest.approx(
        report["events_per_second"] / report["moto_put_items_per_second"], abs=0.01
    )
    assert sum(report["breakdown_write_units_per_event"].values()) == pytest.approx(
        report["write_units_per_event"], abs=0.01
    )
    assert sum(report["breakdown_read_units_per_event"].values()) == pytest.approx(
        report["read_units_per_event"], abs=0.01
    )
    assert {"event", "lead"} <= report["breakdown_write_units_per_event"].keys()
    # The hot-lead handoff's webhooks reach the CRM stand-in, signed and verified: the bench
    # times deliveries that land (its URL and secret are in SSM), not refusals.
    deliveries = report["deliveries"]
    assert deliveries["webhook sent"] == report["webhooks_verified"] > 0
    assert [kind for kind in deliveries if kind.startswith("webhook ")] == ["webhook sent"]
    assert deliveries["eventbridge sent"] == report["bus_events"]
