"""Account segments: which account-level segments an account is in, from its own facts.

An account segment's condition reads the account, never one lead: ``score`` is the account's
score (decaying like a lead's), ``trait`` its traits, ``leads: {in_segment, count}`` how many of
its leads are in a lead segment (a counter the store keeps on the account item). Membership
follows the lead segments' rules, judged by the same evaluator (``evaluate_account``): a member
stays until ``exit_when`` holds (or ``condition`` stops holding).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from leadwire.core.leads import Transition
from leadwire.core.rules import Definitions, MembershipChange
from leadwire.core.rules.account_facts import AccountFacts, Curve
from leadwire.core.rules.clock import epoch_seconds, from_epoch_seconds
from leadwire.core.rules.conditions import LeadsNode, walk
from leadwire.core.rules.evaluator import Evaluation, evaluate_account

__all__ = [
    "AccountFacts",
    "Curve",
    "account_evaluation",
    "account_memberships",
    "account_transitions",
    "counted_segments",
]


def counted_segments(definitions: Definitions) -> frozenset[str]:
    """The lead segments whose member counts an account keeps (``leads.in_segment`` targets)."""
    return frozenset(
        node.leads.in_segment
        for segment in definitions.account_segments
        for root in (segment.condition, segment.exit_when)
        if root is not None
        for _path, node in walk(root)
        if isinstance(node, LeadsNode)
    )


def account_evaluation(facts: AccountFacts, definitions: Definitions, now: datetime) -> Evaluation:
    return evaluate_account(facts, definitions, now)


def account_memberships(facts: AccountFacts, definitions: Definitions, now: datetime) -> dict[str, int]:
    """Account segment id -> entered at (epoch seconds), as of ``now``."""
    evaluation = evaluate_account(facts, definitions, now)
    return {key: epoch_seconds(at) for key, at in evaluation.memberships.items()}


def account_transitions(
    before: Mapping[str, int],
    after: Mapping[str, int],
    now: datetime,
    cause: str,
    versions: Mapping[str, str],
) -> list[Transition]:
    """Exits then entries, as lead transitions are recorded (``cause``: the lead that moved it)."""
    at = now.replace(microsecond=0)
    exits = [
        Transition(
            change=MembershipChange(segment_id=key, kind="exited", at=at),
            cause=cause,
            entered_at=from_epoch_seconds(before[key]),
            definition_version=versions.get(key, "removed"),
        )
        for key in sorted(before)
        if key not in after
    ]
    entries = [
        Transition(
            change=MembershipChange(segment_id=key, kind="entered", at=from_epoch_seconds(after[key])),
            cause=cause,
            entered_at=from_epoch_seconds(after[key]),
            definition_version=versions.get(key, "removed"),
        )
        for key in sorted(after)
        if key not in before
    ]
    return exits + entries
