"""Spike alerts, pure: how far a segment's membership swung within its alert window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadwire.core.insight.analytics import FlipRecord


@dataclass(frozen=True)
class Swing:
    start_members: int  # members when the window began
    entered: int
    exited: int

    @property
    def change(self) -> float:
        """The net change as a share of the members at the start (at least one, so a segment
        growing from nothing counts its entries)."""
        return abs(self.entered - self.exited) / max(self.start_members, 1)


def swing(members_now: int, flips: Iterable[FlipRecord], since: datetime) -> Swing:
    """The swing of the flips at or after ``since``, given the members now."""
    inside = [flip for flip in flips if flip.at >= since]
    entered = sum(1 for flip in inside if flip.kind == "entered")
    exited = len(inside) - entered
    return Swing(start_members=max(members_now - entered + exited, 0), entered=entered, exited=exited)


def spike_reason(segment_id: str, observed: Swing, max_change: float, within: str) -> str:
    return (
        f"segment {segment_id} changed by {observed.change:.0%} (+{observed.entered}/-{observed.exited} "
        f"from {observed.start_members}) within {within}, over its alert's max_change {max_change:.0%}"
    )
