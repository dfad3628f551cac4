"""CMP: one or more operators, ANDed, tested against one value.

Semantics (the whole contract, tested in ``tests/unit/rules/test_comparisons.py``):

* A missing value (absent key, or JSON null) fails every operator except ``exists: false``,
  ``ne`` and ``not_in``, which hold.
* Numbers compare numerically. When one side is a number and the other a string that spells a
  number (``"1200"``, ``"-1.5e3"``), the string is read as that number. Two strings compare as
  strings (so ISO dates order correctly, and ``"1200" < "999"``). Booleans equal only booleans
  and never order.
* ``in`` / ``not_in``: the value equals one / none of the listed operands; a list value is in
  when any of its elements is.
* ``contains``: substring of a string value, or an element (by ``eq``) of a list value.
* ``starts_with``: string prefix. All string tests are case-sensitive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cached_property
from typing import Annotated, Any, ClassVar

from pydantic import Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from leadwire.core.rules.lookup import MISSING
from leadwire.core.strict_model import StrictModel

_NUMERIC_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise PydanticCustomError("scalar", "expected a string, number or boolean")


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise PydanticCustomError("number", "expected a number")


Scalar = Annotated[str | int | float | bool, PlainValidator(_scalar)]
Number = Annotated[int | float, PlainValidator(_number)]


class _Operators(StrictModel):
    """Shared checks: known operator keys only, each with a value, at least one present."""

    OPERATOR_NAMES: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _known_operators(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        allowed = {field.alias or name for name, field in cls.model_fields.items()}
        for key in sorted(set(raw) - allowed, key=str):
            raise PydanticCustomError(
                "unknown_operator",
                "unknown operator '{key}'; operators are {operators}",
                {"key": key, "operators": ", ".join(cls.OPERATOR_NAMES)},
            )
        for key in cls.OPERATOR_NAMES:
            if key in raw and raw[key] is None:
                raise PydanticCustomError("operator_value", "operator '{key}' needs a value", {"key": key})
        if not set(raw) & set(cls.OPERATOR_NAMES):
            raise PydanticCustomError(
                "no_operator",
                "needs at least one operator: {operators}",
                {"operators": ", ".join(cls.OPERATOR_NAMES)},
            )
        return raw

    @cached_property
    def operators(self) -> dict[str, Any]:
        """The operators given, by their names in the rule language (``in``, not ``in_``)."""
        given = self.model_dump(by_alias=True, exclude_none=True)
        return {key: given[key] for key in self.OPERATOR_NAMES if key in given}


class Comparison(_Operators):
    """CMP on any JSON value: a property, a trait."""

    OPERATOR_NAMES: ClassVar[tuple[str, ...]] = (
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "exists",
    )
    eq: Scalar | None = None
    ne: Scalar | None = None
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    contains: Scalar | None = None
    starts_with: str | None = None
    exists: bool | None = None


class NumberComparison(_Operators):
    """CMP on a number that always exists: ``score``, ``max_score``, a ``performed`` count."""

    OPERATOR_NAMES: ClassVar[tuple[str, ...]] = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in")
    eq: Number | None = None
    ne: Number | None = None
    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None
    in_: list[Number] | None = Field(default=None, alias="in")
    not_in: list[Number] | None = None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMERIC_TEXT.match(value):
        return float(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sign(difference: float) -> int:
    return (difference > 0) - (difference < 0)


def _order(value: Any, operand: Any) -> int | None:
    """-1, 0 or 1 as ``value`` sorts before, with or after ``operand``; None when incomparable."""
    if isinstance(value, str) and isinstance(operand, str):
        return (value > operand) - (value < operand)
    if not (_is_number(value) or _is_number(operand)):
        return None
    left, right = _as_number(value), _as_number(operand)
    if left is None or right is None:
        return None
    return _sign(left - right)


def _equal(value: Any, operand: Any) -> bool:
    if isinstance(value, bool) or isinstance(operand, bool):
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    return _order(value, operand) == 0


def _is_in(value: Any, operands: list[Any]) -> bool:
    candidates = value if isinstance(value, list) else [value]
    return any(_equal(candidate, operand) for candidate in candidates for operand in operands)


def _contains(value: Any, operand: Any) -> bool:
    if isinstance(value, str):
        return isinstance(operand, str) and operand in value
    if isinstance(value, list):
        return any(_equal(element, operand) for element in value)
    return False


def _ordered(accept: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def test(value: Any, operand: Any) -> bool:
        order = _order(value, operand)
        return order is not None and accept(order)

    return test


_PRESENT_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda value, operand: not _equal(value, operand),
    "gt": _ordered(lambda order: order > 0),
    "gte": _ordered(lambda order: order >= 0),
    "lt": _ordered(lambda order: order < 0),
    "lte": _ordered(lambda order: order <= 0),
    "in": _is_in,
    "not_in": lambda value, operands: not _is_in(value, operands),
    "contains": _contains,
    "starts_with": lambda value, operand: isinstance(value, str) and value.startswith(operand),
    "exists": lambda _value, operand: operand is True,
}
_HOLDS_WHEN_MISSING: dict[str, Callable[[Any], bool]] = {
    "ne": lambda _operand: True,
    "not_in": lambda _operand: True,
    "exists": lambda operand: operand is False,
}


def holds(test: Comparison | NumberComparison, value: Any) -> bool:
    """Every operator of ``test`` holds for ``value`` (``MISSING`` for an absent value)."""
    if value is MISSING or value is None:
        return all(
            _HOLDS_WHEN_MISSING.get(name, lambda _operand: False)(operand)
            for name, operand in test.operators.items()
        )
    return all(_PRESENT_TESTS[name](value, operand) for name, operand in test.operators.items())


def thresholds(test: NumberComparison) -> list[float]:
    """The numbers ``test`` compares against: where a continuously changing value can flip it."""
    numbers: list[float] = []
    for operand in test.operators.values():
        numbers.extend(float(item) for item in (operand if isinstance(operand, list) else [operand]))
    return numbers


def count_cap(test: NumberComparison) -> int:
    """The smallest ``cap`` with ``holds(test, n) == holds(test, min(n, cap))`` for every count n."""
    return max((math.floor(number) + 1 for number in thresholds(test)), default=1)
