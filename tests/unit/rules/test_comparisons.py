from typing import Any

import pytest

from leadwire.core.rules import Comparison, NumberComparison, holds
from leadwire.core.rules.comparisons import count_cap
from leadwire.core.rules.lookup import MISSING, lookup


def _holds(operators: dict[str, Any], value: Any) -> bool:
    return holds(Comparison.model_validate(operators), value)


@pytest.mark.parametrize(
    ("operators", "value", "expected"),
    [
        ({"eq": "pro"}, "pro", True),
        ({"eq": "pro"}, "Pro", False),
        ({"eq": 5}, 5.0, True),
        ({"eq": 5}, 6, False),
        ({"eq": True}, True, True),
        ({"eq": True}, 1, False),
        ({"ne": "pro"}, "free", True),
        ({"ne": "pro"}, "pro", False),
        ({"gt": 10}, 11, True),
        ({"gt": 10}, 10, False),
        ({"gte": 10}, 10, True),
        ({"gte": 10}, 9.99, False),
        ({"lt": 10}, 9, True),
        ({"lt": 10}, 10, False),
        ({"lte": 10}, 10, True),
        ({"lte": 10}, 11, False),
        ({"in": ["a", "b"]}, "b", True),
        ({"in": ["a", "b"]}, "c", False),
        ({"not_in": ["a", "b"]}, "c", True),
        ({"not_in": ["a", "b"]}, "a", False),
        ({"contains": "price"}, "/pricing/price-list", True),
        ({"contains": "price"}, "/pricing", False),
        ({"starts_with": "/pricing"}, "/pricing/teams", True),
        ({"starts_with": "/pricing"}, "/docs/pricing", False),
        ({"exists": True}, "anything", True),
        ({"exists": False}, "anything", False),
    ],
)
def test_each_operator_on_a_present_value(operators: dict[str, Any], value: Any, expected: bool) -> None:
    assert _holds(operators, value) is expected


@pytest.mark.parametrize(
    ("operators", "value", "expected"),
    [
        ({"gt": 1000}, "1200", True),
        ({"eq": 1200}, "1200", True),
        ({"eq": "1200"}, 1200, True),
        ({"lt": 5}, "-1.5e3", True),
        ({"gt": 1000}, "lots", False),
        ({"ne": 1000}, "lots", True),
    ],
)
def test_numeric_strings_are_read_as_numbers_against_numbers(
    operators: dict[str, Any], value: Any, expected: bool
) -> None:
    assert _holds(operators, value) is expected


@pytest.mark.parametrize(
    ("operators", "value", "expected"),
    [
        ({"gt": "999"}, "1200", False),
        ({"gte": "2026-01-01"}, "2026-11-02T12:00:00Z", True),
        ({"lt": "b"}, "a", True),
    ],
)
def test_two_strings_compare_as_strings(operators: dict[str, Any], value: Any, expected: bool) -> None:
    assert _holds(operators, value) is expected


@pytest.mark.parametrize("operators", [{"gt": 0}, {"lt": 2}, {"gte": True}])
def test_booleans_never_order(operators: dict[str, Any]) -> None:
    assert _holds(operators, True) is False


@pytest.mark.parametrize(
    ("operators", "value", "expected"),
    [
        ({"contains": "vip"}, ["beta", "vip"], True),
        ({"contains": "vip"}, ["beta"], False),
        ({"contains": 3}, [1, 2, 3], True),
        ({"in": ["vip", "gold"]}, ["beta", "gold"], True),
        ({"not_in": ["vip", "gold"]}, ["beta", "gold"], False),
        ({"contains": "x"}, 42, False),
    ],
)
def test_list_values_match_by_element(operators: dict[str, Any], value: Any, expected: bool) -> None:
    assert _holds(operators, value) is expected


@pytest.mark.parametrize(
    ("operators", "expected"),
    [
        ({"eq": "x"}, False),
        ({"ne": "x"}, True),
        ({"gt": 0}, False),
        ({"gte": 0}, False),
        ({"lt": 0}, False),
        ({"lte": 0}, False),
        ({"in": ["x"]}, False),
        ({"not_in": ["x"]}, True),
        ({"contains": "x"}, False),
        ({"starts_with": "x"}, False),
        ({"exists": True}, False),
        ({"exists": False}, True),
    ],
)
@pytest.mark.parametrize("missing", [MISSING, None], ids=["absent", "null"])
def test_missing_value_fails_all_but_exists_false_ne_and_not_in(
    operators: dict[str, Any], expected: bool, missing: Any
) -> None:
    assert _holds(operators, missing) is expected


@pytest.mark.parametrize(("value", "expected"), [(5, False), (50, True), (100, True), (101, False)])
def test_operators_are_anded(value: int, expected: bool) -> None:
    assert _holds({"gte": 50, "lte": 100, "ne": 5}, value) is expected


@pytest.mark.parametrize(
    ("container", "path", "expected"),
    [
        ({"company": {"size": 12}}, "company.size", 12),
        ({"utm.source": "ads", "utm": {"source": "mail"}}, "utm.source", "ads"),
        ({"company": "acme"}, "company.size", MISSING),
        ({"plan": None}, "plan", MISSING),
        ({}, "plan", MISSING),
    ],
)
def test_lookup_follows_dotted_paths(container: dict[str, Any], path: str, expected: Any) -> None:
    assert lookup(container, path) == expected


@pytest.mark.parametrize(
    ("operators", "cap"),
    [({"gte": 1}, 2), ({"gte": 3}, 4), ({"lt": 2.5}, 3), ({"in": [1, 7]}, 8), ({"gte": 0}, 1)],
)
def test_count_cap_is_one_more_than_the_largest_threshold(operators: dict[str, Any], cap: int) -> None:
    test = NumberComparison.model_validate(operators)
    assert count_cap(test) == cap
    assert all(holds(test, n) == holds(test, min(n, cap)) for n in range(3 * cap + 3))
