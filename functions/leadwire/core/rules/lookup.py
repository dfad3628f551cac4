"""Reading a value by dotted path from event properties or traits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


class _Missing:
    """The value of a path that leads nowhere (or to JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


def lookup(container: Mapping[str, Any], path: str) -> Any:
    """``lookup({"company": {"size": 12}}, "company.size") == 12``.

    A key that itself contains dots (``"utm.source"``) wins over traversal. A missing key, a
    non-object along the way and JSON null all give ``MISSING``.
    """
    if path in container:
        value = container[path]
        return MISSING if value is None else value
    current: Any = container
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return MISSING if current is None else current
