"""The all-in cost model: each part priced from what a run used."""

import pytest

from leadwire.core.pricing import FunctionRun, Usage, cost_parts, email_usd


def test_each_part_is_priced_from_its_own_usage():
    usage = Usage(
        write_units=2_000_000,
        read_units=4_000_000,
        functions={"segmentation": FunctionRun(1000, 50.0, 1024), "ingestion": FunctionRun(1000, 10.0, 512)},
        api_request_bytes=[30_000] * 999 + [600 * 1024],  # the last one is two 512 KB units
        state_transitions=4000,
        bus_events=2_000_000,
        emails=5000,
    )
    parts = cost_parts(usage)
    assert parts["dynamodb"] == pytest.approx(2 * 0.625 + 4 * 0.125)
    assert parts["lambda_requests"] == pytest.approx(2000 * 0.2 / 1e6)
    assert parts["lambda_gb_seconds"] == pytest.approx((50.0 + 5.0) * 0.0000133334)
    assert parts["api_gateway"] == pytest.approx(1001 / 1e6)
    assert parts["step_functions"] == pytest.approx(0.1)
    assert parts["eventbridge"] == pytest.approx(2.0)
    assert email_usd(usage) == pytest.approx(0.5)
