"""A segment change that would flip many leads waits for confirmation.

Before ``POST /segments`` or ``PUT /segments/{id}`` stores a definition, the segment preview's
replay computes the segment's members under the live definitions and under the proposed one.
When the leads that would enter or exit are more than ``share`` of all leads (and at least
``min_flips``, so a table of a few leads does not ask on every change), nothing is stored and
the API answers 409 ``confirmation_required`` with the comparison; the same request with
``?confirm=true`` applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadwire.admin.previews import SAMPLE_SIZE, MembershipChange
from leadwire.core.errors import LeadwireError


class ConfirmationRequired(LeadwireError):
    status = 409
    code = "confirmation_required"


class FlipGuard:
    def __init__(
        self, compare: Callable[[dict[str, Any]], MembershipChange], *, share: float, min_flips: int
    ) -> None:
        self._compare = compare
        self._share = share
        self._min_flips = min_flips

    def check(self, document: dict[str, Any]) -> None:
        """Raise ``ConfirmationRequired`` when applying ``document`` would flip too many leads."""
        change = self._compare(document)
        entering, exiting = change.entering, change.exiting
        flips = len(entering) + len(exiting)
        share = flips / change.leads if change.leads else 0.0
        if flips < self._min_flips or share <= self._share:
            return
        raise ConfirmationRequired(
            f"segment {change.segment_id!r}: the change would flip {flips} of {change.leads} leads "
            f"({share:.0%}, more than {self._share:.0%}); repeat the request with ?confirm=true to apply it",
            {
                "segmentId": change.segment_id,
                "leads": change.leads,
                "flips": flips,
                "share": round(share, 4),
                "threshold": self._share,
                "membersBefore": len(change.before),
                "membersAfter": len(change.after),
                "entering": len(entering),
                "exiting": len(exiting),
                "sample": {"entering": entering[:SAMPLE_SIZE], "exiting": exiting[:SAMPLE_SIZE]},
            },
        )
