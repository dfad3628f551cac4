"""Why a lead is (or is not) in a segment: the evaluator's trace as a tree mirroring the definition.

Each node is ``{"node": KIND, "holds", "children"?, "value"?, "expected"?}``: ``value`` is what
the evaluator observed (the decayed score, the trait value, the count in the window, the instant
of the last activity, the sequence progress), ``expected`` the test from the definition. The
verdicts come from ``trace_segment``, the engine's own judging code in tracing mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.rules.account_facts import AccountFacts
from leadwire.core.rules.clock import from_epoch_millis
from leadwire.core.rules.conditions import (
    PerformedNode,
)
from leadwire.core.rules.definitions import Definitions
from leadwire.core.rules.evaluator import SegmentTrace, Trace, trace_account_segment, trace_segment
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.sequences import SequenceState


@dataclass(frozen=True)
class Explanation:
    member: bool
    holds: bool
    tree: dict[str, Any]
    exit_when: dict[str, Any] | None


_MEMBERS = {"lead": "leads", "account": "accounts"}


def _require_level(definitions: Definitions, segment_id: str, level: str) -> None:
    segment = next((s for s in definitions.segments if s.id == segment_id), None)
    if segment is None:
        raise NotFound(f"no segment {segment_id!r}", {"segmentId": segment_id})
    if segment.level != level:
        raise InvalidRequest(
            f"{segment_id!r} is {'an' if segment.level == 'account' else 'a'} {segment.level} segment: "
            f"its members are {_MEMBERS[segment.level]}, not {_MEMBERS[level]}",
            {"field": "segmentId"},
        )


def explain(state: LeadState, definitions: Definitions, segment_id: str, now: datetime) -> Explanation:
    _require_level(definitions, segment_id, "lead")
    return _explanation(trace_segment(state, definitions, segment_id, now))


def explain_account(
    facts: AccountFacts, definitions: Definitions, segment_id: str, now: datetime
) -> Explanation:
    """Why an account is (or is not) in an account segment: ``evaluate_account`` in tracing mode."""
    _require_level(definitions, segment_id, "account")
    return _explanation(trace_account_segment(facts, definitions, segment_id, now))


def _explanation(traced: SegmentTrace) -> Explanation:
    if traced.condition is None:  # static: the frozen list decides
        tree = {"node": "static", "holds": traced.member, "value": traced.member, "expected": "listed"}
        return Explanation(member=traced.member, holds=traced.member, tree=tree, exit_when=None)
    return Explanation(
        member=traced.member,
        holds=traced.condition.verdict.value,
        tree=tree_of(traced.condition),
        exit_when=None if traced.exit_when is None else tree_of(traced.exit_when),
    )


def tree_of(trace: Trace) -> dict[str, Any]:
    node = trace.node
    out: dict[str, Any] = {"node": node.KIND, "holds": trace.verdict.value}
    if trace.children:
        out["children"] = [tree_of(child) for child in trace.children]
        return out
    out["value"] = _value(trace)
    out["expected"] = _expected(trace)
    if trace.verdict.changes_at is not None:
        out["changesAt"] = _iso(trace.verdict.changes_at)
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _value(trace: Trace) -> Any:
    observed = trace.verdict.observed
    if isinstance(observed, float):
        return round(observed, 2)
    if isinstance(observed, datetime):
        return _iso(observed)
    if isinstance(observed, SequenceState):
        start = observed.completed_start
        return {
            "completedStart": None if start is None else _iso(from_epoch_millis(start)),
            "stepsSeen": sum(1 for step in observed.candidates if step),
        }
    return observed


def _expected(trace: Trace) -> Any:
    """The leaf's test as the definition states it (``performed`` with its default count too)."""
    node = trace.node
    if isinstance(node, PerformedNode):
        return node.performed.model_dump(mode="json", exclude_none=True)
    return node.model_dump(mode="json", by_alias=True, exclude_none=True)[node.KIND]
