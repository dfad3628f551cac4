"""Segment size guidance: a segment over half of all leads is too broad, under 1% too narrow."""

from __future__ import annotations

from typing import Literal

TOO_LARGE_SHARE = 0.5
TOO_SMALL_SHARE = 0.01

SizeWarning = Literal["too_large", "too_small"]


def share_of(members: int, leads: int) -> float:
    """``members`` as a share (0..1) of ``leads``; 0 while there are no leads."""
    if leads <= 0:
        return 0.0
    return min(members / leads, 1.0)


def size_warning(share: float, leads: int) -> SizeWarning | None:
    """``too_large`` above 50%, ``too_small`` under 1%, else None (also None with no leads yet)."""
    if leads <= 0:
        return None
    if share > TOO_LARGE_SHARE:
        return "too_large"
    if share < TOO_SMALL_SHARE:
        return "too_small"
    return None
