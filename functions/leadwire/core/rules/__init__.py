"""The pure domain core of segmentation: rule language, scoring, lead state, evaluation.

No I/O, no boto3, no environment: adapters pass definitions, state, events and the clock in.
"""

from leadwire.core.rules.aggregates import AggregatePlan, build_plan
from leadwire.core.rules.apply import apply_events, untracked_aggregates
from leadwire.core.rules.comparisons import Comparison, NumberComparison, holds
from leadwire.core.rules.conditions import Condition
from leadwire.core.rules.dedupe import DEDUPE_WINDOW
from leadwire.core.rules.definitions import (
    Decay,
    Definitions,
    Scoring,
    ScoringRule,
    Segment,
    TraitPoints,
    parse_definitions,
)
from leadwire.core.rules.durations import Duration, DurationError, format_duration, parse_duration
from leadwire.core.rules.errors import DefinitionError, Problem
from leadwire.core.rules.evaluator import Evaluation, MembershipChange, diff, evaluate, holds_condition
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.merge import merge_states
from leadwire.core.rules.scoring import score_band

__all__ = [
    "DEDUPE_WINDOW",
    "AggregatePlan",
    "Comparison",
    "Condition",
    "Decay",
    "DefinitionError",
    "Definitions",
    "Duration",
    "DurationError",
    "Evaluation",
    "LeadEvent",
    "LeadState",
    "MembershipChange",
    "NumberComparison",
    "Problem",
    "Scoring",
    "ScoringRule",
    "Segment",
    "TraitPoints",
    "apply_events",
    "build_plan",
    "diff",
    "evaluate",
    "format_duration",
    "holds",
    "holds_condition",
    "merge_states",
    "parse_definitions",
    "parse_duration",
    "score_band",
    "untracked_aggregates",
]
