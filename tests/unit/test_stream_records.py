"""Lambda filter-pattern semantics used by the local stream pump."""

import pytest

from leadwire import schema
from leadwire.stream_records import TableChange, matches, matches_any


def record(event_name, sk):
    return {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": "LEAD#u"}, "sk": {"S": sk}}}}


@pytest.mark.parametrize(
    ("event_name", "sk", "expected"),
    [
        ("INSERT", "EVT#m1", True),
        ("MODIFY", "EVT#m1", False),
        ("INSERT", "STATE", False),
        ("REMOVE", "EVT#m", False),
    ],
)
def test_event_insert_filter_passes_only_new_event_items(event_name, sk, expected):
    assert matches(schema.EVENT_INSERT_FILTER, record(event_name, sk)) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"a": [{"exists": True}]}, True),
        ({"zz": [{"exists": False}]}, True),
        ({"zz": [{"exists": True}]}, False),
        ({"a": [{"anything-but": ["x"]}]}, True),
        ({"a": [{"anything-but": "1"}]}, False),
        ({"a": [{"equals-ignore-case": "1"}]}, True),
        ({"a": ["2", "1"]}, True),
        ({"b": {"c": ["d"]}}, True),
        ({"b": {"c": ["e"]}}, False),
    ],
)
def test_matchers(pattern, expected):
    assert matches(pattern, {"a": "1", "b": {"c": "d"}}) is expected


def test_no_filters_pass_everything_and_any_filter_suffices():
    assert matches_any([], {"x": 1})
    assert matches_any([{"x": [2]}, {"x": [1]}], {"x": 1})


def test_unknown_operator_is_an_error_not_a_silent_pass():
    with pytest.raises(ValueError, match="numeric"):
        matches({"a": [{"numeric": [">", 1]}]}, {"a": 2})


def test_a_consumer_reads_a_record_as_a_table_change():
    image = {"pk": {"S": "LEAD#ann"}, "sk": {"S": "FIRE#f-1"}}
    change = TableChange.of(
        {"eventName": "INSERT", "dynamodb": {"Keys": image, "NewImage": image, "SequenceNumber": "7"}}
    )
    assert (change.event_name, change.sort_key, change.sequence_number) == ("INSERT", "FIRE#f-1", "7")
    assert (change.new_image, change.old_image) == (image, None)
    assert change.is_a("FIRE#")
    assert not change.is_a("EVT#")
    # Without Keys (a hand-built record), the image's own key names the kind
    assert TableChange.of({"dynamodb": {"NewImage": image, "SequenceNumber": 8}}).sort_key == "FIRE#f-1"


def test_a_record_that_is_not_the_tables_is_refused():
    with pytest.raises(ValueError, match="dynamodb"):
        TableChange.of({"eventName": "INSERT"})
    with pytest.raises(ValueError, match="dynamodb"):
        TableChange.of({"eventName": "INSERT", "dynamodb": "not an object"})
