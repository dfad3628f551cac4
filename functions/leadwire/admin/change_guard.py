"""A segment change that would flip many leads waits for confirmation.

Before ``POST /segments`` or ``PUT /segments/{id}`` stores a definition, the segment preview
(``Previews.proposed_members``: one replay of the stored events, as ``POST /segments/preview``
does) says who would be a member under the proposed definition, and the stored member items say
who is one now: the difference is what the re-evaluation job would flip. When those flips are
more than ``share`` of all leads (and at least ``min_flips``, so a table of a few leads does not
ask on every change), nothing is stored and the API answers 409 ``confirmation_required`` with
the comparison; the same request with ``?confirm=true`` applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from leadwire.admin.previews import SAMPLE_SIZE, ProposedMembers
from leadwire.core.errors import LeadwireError

MEMBER_PAGE = 1000


class ConfirmationRequired(LeadwireError):
    status = 409
    code = "confirmation_required"


class MembersPort(Protocol):
    def members(
        self, segment_id: str, limit: int, after_lead: str | None
    ) -> tuple[list[dict[str, str]], str | None]: ...


def stored_members(store: MembersPort, segment_id: str) -> set[str]:
    """Every lead the member items hold for ``segment_id`` (none for a new segment)."""
    found: set[str] = set()
    after: str | None = None
    while True:
        page, after = store.members(segment_id, MEMBER_PAGE, after)
        found.update(member["leadId"] for member in page)
        if after is None:
            return found


@dataclass(frozen=True)
class ChangeEffect:
    """A segment's members now (stored) against its members under a proposed definition (replayed)."""

    segment_id: str
    before: set[str]
    after: set[str]
    leads: int  # every lead replayed

    @property
    def entering(self) -> list[str]:
        return sorted(self.after - self.before)

    @property
    def exiting(self) -> list[str]:
        return sorted(self.before - self.after)


class FlipGuard:
    def __init__(
        self,
        preview: Callable[[dict[str, Any]], ProposedMembers],
        current: Callable[[str], set[str]],
        *,
        share: float,
        min_flips: int,
    ) -> None:
        self._preview = preview
        self._current = current
        self._share = share
        self._min_flips = min_flips

    def compare(self, document: dict[str, Any]) -> ChangeEffect:
        proposed = self._preview(document)
        return ChangeEffect(
            segment_id=proposed.segment_id,
            before=self._current(proposed.segment_id),
            after=set(proposed.members),
            leads=proposed.leads,
        )

    def check(self, document: dict[str, Any]) -> None:
        """Raise ``ConfirmationRequired`` when applying ``document`` would flip too many leads.

        Account segments are not checked: their members follow their leads' segment memberships,
        which the preview's replay of lead events does not model (it answers for lead segments)."""
        if document.get("level") == "account":
            return
        change = self.compare(document)
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
