"""Delayed triggers on Step Functions: the state machine definition and starting its executions.

Nothing here imports boto3 or moto: clients are injected. ``leadwire.timers.local_timers`` holds
the ``leadwire local`` adapter.
"""

from leadwire.timers.asl import DEFINITION_PATH, TABLE_NAME_PLACEHOLDER, load_definition
from leadwire.timers.starter import (
    StepFunctionsTimerStarter,
    TimerRequest,
    TimerStarter,
    build_timer_request,
)

__all__ = [
    "DEFINITION_PATH",
    "TABLE_NAME_PLACEHOLDER",
    "StepFunctionsTimerStarter",
    "TimerRequest",
    "TimerStarter",
    "build_timer_request",
    "load_definition",
]
