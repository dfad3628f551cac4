"""Item sizes and capacity units with AWS's rounding."""

import pytest

from leadwire.core.capacity import CapacityMeter, item_size, read_units, write_units


def test_item_size_counts_names_and_values():
    item = {"pk": {"S": "LEAD#u1"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}
    # pk(2)+7, n(1)+ceil(5/2)+1=4, ok(2)+1
    assert item_size(item) == 9 + 5 + 3


def test_nested_map_and_list_carry_overhead():
    item = {"m": {"M": {"a": {"S": "xy"}}}, "l": {"L": [{"S": "z"}]}}
    assert item_size(item) == (1 + 3 + 1 + 2 + 1) + (1 + 3 + 1 + 1)


@pytest.mark.parametrize(("size", "units"), [(1, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_write_units_round_up_to_1_kb(size, units):
    assert write_units(size) == units


@pytest.mark.parametrize(("size", "consistent", "units"), [(10, True, 1), (4097, True, 2), (4097, False, 1)])
def test_read_units_round_up_to_4_kb_and_halve_when_eventually_consistent(size, consistent, units):
    assert read_units(size, consistent=consistent) == units


def test_meter_prices_units_with_the_design_prices():
    meter = CapacityMeter()
    meter.record_write({"pk": {"S": "x" * 2000}}, kind="event")
    meter.record_read(100)
    assert (meter.write_units, meter.read_units, meter.writes_by_kind) == (2, 1, {"event": 2})
    assert meter.usd() == pytest.approx((2 * 0.625 + 1 * 0.125) / 1e6)
