"""Account segments: which account-level segments an account is in, from its own facts.

An account segment's condition reads the account, never one lead: ``score`` is the account's
score, ``trait`` its traits, ``leads: {in_segment, count}`` how many of its leads are in a lead
segment (a counter the store keeps on the account item). Membership follows the lead segments'
rules: a member stays until ``exit_when`` holds (or ``condition`` stops holding).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadwire.core.leads import Transition
from leadwire.core.rules import Definitions, MembershipChange, holds
from leadwire.core.rules.clock import epoch_seconds, from_epoch_seconds
from leadwire.core.rules.conditions import (
    AllNode,
    AnyNode,
    LeadsNode,
    Node,
    NotNode,
    ScoreNode,
    TraitNode,
    walk,
)
from leadwire.core.rules.definitions import Segment
from leadwire.core.rules.lookup import lookup


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    score: float
    traits: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)  # lead segment id -> leads in it
    members: Mapping[str, int] = field(default_factory=dict)  # account segment id -> entered at


def counted_segments(definitions: Definitions) -> frozenset[str]:
    """The lead segments whose member counts an account keeps (``leads.in_segment`` targets)."""
    return frozenset(
        node.leads.in_segment
        for segment in definitions.account_segments
        for root in (segment.condition, segment.exit_when)
        if root is not None
        for _path, node in walk(root, "")
        if isinstance(node, LeadsNode)
    )


def account_memberships(facts: AccountFacts, definitions: Definitions, now: datetime) -> dict[str, int]:
    """Account segment id -> entered at (epoch seconds), as of ``now``."""
    members: dict[str, int] = {}
    for segment in definitions.account_segments:
        if _member(segment, facts):
            members[segment.id] = facts.members.get(segment.id, epoch_seconds(now))
    return members


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


def _member(segment: Segment, facts: AccountFacts) -> bool:
    if segment.type == "static":
        return facts.account_id in segment.member_ids
    assert segment.condition is not None  # a dynamic segment always has one (validated)
    if segment.exit_when is not None and segment.id in facts.members:
        return not _holds(segment.exit_when, facts)
    return _holds(segment.condition, facts)


def _holds(node: Node, facts: AccountFacts) -> bool:
    if isinstance(node, AllNode):
        return all(_holds(child, facts) for child in node.all)
    if isinstance(node, AnyNode):
        return any(_holds(child, facts) for child in node.any)
    if isinstance(node, NotNode):
        return not _holds(node.not_, facts)
    if isinstance(node, ScoreNode):
        return holds(node.score, facts.score)
    if isinstance(node, TraitNode):
        return holds(node.trait, lookup(facts.traits, node.trait.name))
    if isinstance(node, LeadsNode):
        return holds(node.leads.count, facts.counts.get(node.leads.in_segment, 0))
    raise TypeError(f"{type(node).__name__} is not an account node")  # refused at validation
