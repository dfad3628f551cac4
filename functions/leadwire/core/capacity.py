"""DynamoDB capacity units computed from item sizes with AWS's rounding.

Sizes follow the DynamoDB developer guide: attribute names count as their UTF-8 length; strings
as UTF-8 length; numbers about one byte per two significant digits plus one; binary as its
length; booleans and nulls one byte; maps and lists three bytes of overhead plus one byte per
element. Write units round each item up to 1 KB, read units up to 4 KB (halved when eventually
consistent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
USD_PER_MILLION_WRITE_UNITS = 0.625
USD_PER_MILLION_READ_UNITS = 0.125


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Size of one typed attribute value (``{"S": "..."}``, ``{"M": {...}}``, ...)."""
    ((kind, payload),) = value.items()
    if kind == "S":
        return len(payload.encode("utf-8"))
    if kind == "N":
        return _number_size(payload)
    if kind == "B":
        return len(payload)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode("utf-8")) for item in payload)
    if kind == "NS":
        return sum(_number_size(item) for item in payload)
    if kind == "BS":
        return sum(len(item) for item in payload)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in payload.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in payload)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size_bytes: int) -> int:
    return max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))


def read_units(size_bytes: int, *, consistent: bool = True) -> float:
    units = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


@dataclass
class CapacityMeter:
    """Counts the units adapters consume; ``leadwire bench`` and the tests read it."""

    write_units: float = 0.0
    read_units: float = 0.0
    writes_by_kind: dict[str, float] = field(default_factory=dict)
    reads_by_kind: dict[str, float] = field(default_factory=dict)

    def record_write(self, item: dict[str, dict[str, Any]], kind: str = "item") -> None:
        units = write_units(item_size(item))
        self.write_units += units
        self.writes_by_kind[kind] = self.writes_by_kind.get(kind, 0.0) + units

    def record_read(self, total_bytes: int, *, consistent: bool = True, kind: str = "item") -> None:
        units = read_units(total_bytes, consistent=consistent)
        self.read_units += units
        self.reads_by_kind[kind] = self.reads_by_kind.get(kind, 0.0) + units

    def usd(self) -> float:
        return (
            self.write_units * USD_PER_MILLION_WRITE_UNITS + self.read_units * USD_PER_MILLION_READ_UNITS
        ) / 1_000_000
