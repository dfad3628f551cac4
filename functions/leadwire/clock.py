"""The one source of "now" for handlers. Wall-clock in AWS; ``leadwire local --clock`` swaps in a
simulated clock so months of events and timers replay in seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def now() -> datetime:
    return _source()


def use(source: Callable[[], datetime] | None) -> None:
    """Install a clock (``None`` restores the wall clock)."""
    global _source
    _source = source or _wall_clock
