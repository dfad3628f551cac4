"""The pure domain core of triggers: definitions, matching, timer keys, anniversaries, variants.

No I/O, no boto3, no environment, no wall clock: adapters pass definitions, events and ``now`` in.
"""

from leadwire.core.triggers.anniversary import AnniversaryUnavailable, explain, next_anniversary
from leadwire.core.triggers.definitions import parse_triggers
from leadwire.core.triggers.errors import TriggerDefinitionError
from leadwire.core.triggers.matching import (
    Awaiting,
    ChangeKind,
    anniversary_triggers,
    awaiting,
    triggers_for_change,
    triggers_for_event,
)
from leadwire.core.triggers.models import (
    ACTION_TYPES,
    DEFAULT_HORIZON,
    Action,
    Anniversary,
    AnniversaryOn,
    EmailAction,
    EmitEventAction,
    EnterOn,
    EventBridgeAction,
    EventOn,
    ExitOn,
    OncePer,
    ReentryPolicy,
    Trigger,
    Until,
    Variant,
    Wait,
    WebhookAction,
)
from leadwire.core.triggers.timers import (
    Claimed,
    Overtaken,
    TimerKey,
    deadline,
    execution_name,
    horizon_allows,
    match_values,
    overtaken_key,
    reentry_allows,
    timer_key,
)
from leadwire.core.triggers.variants import choose_variant, is_held_out

__all__ = [
    "ACTION_TYPES",
    "DEFAULT_HORIZON",
    "Action",
    "Anniversary",
    "AnniversaryOn",
    "AnniversaryUnavailable",
    "Awaiting",
    "ChangeKind",
    "Claimed",
    "EmailAction",
    "EmitEventAction",
    "EnterOn",
    "EventBridgeAction",
    "EventOn",
    "ExitOn",
    "OncePer",
    "Overtaken",
    "ReentryPolicy",
    "TimerKey",
    "Trigger",
    "TriggerDefinitionError",
    "Until",
    "Variant",
    "Wait",
    "WebhookAction",
    "anniversary_triggers",
    "awaiting",
    "choose_variant",
    "deadline",
    "execution_name",
    "explain",
    "horizon_allows",
    "is_held_out",
    "match_values",
    "next_anniversary",
    "overtaken_key",
    "parse_triggers",
    "reentry_allows",
    "timer_key",
    "triggers_for_change",
    "triggers_for_event",
]
