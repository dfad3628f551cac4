"""The time context's composition root: the due index the sweep reads, and the timer state
machine that delayed triggers start and erasure stops (``leadwire local``'s held timers when its
runtime handed them in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from leadwire import wiring
from leadwire.dal.due_index import DueIndex
from leadwire.settings import engine_settings

if TYPE_CHECKING:
    from leadwire.timers.starter import TimerStarter
    from leadwire.timers.stopper import TimerStopper


@wiring.cached
def due_index() -> DueIndex:
    return DueIndex(wiring.dynamodb(), wiring.table())


def timer_starter() -> TimerStarter:
    from leadwire.timers.starter import StepFunctionsTimerStarter

    local = wiring.local()
    if local is not None and local.timers is not None:
        return local.timers
    arn = engine_settings().state_machine_arn
    if arn is None:
        raise RuntimeError("STATE_MACHINE_ARN is not set: delayed triggers cannot be scheduled")
    return StepFunctionsTimerStarter(boto3.client("stepfunctions"), arn)


def timer_stopper() -> TimerStopper | None:
    """Step Functions, or ``leadwire local``'s held timers; None where no timer machine is set."""
    from leadwire.timers.stopper import StepFunctionsTimerStopper

    local = wiring.local()
    if local is not None and local.timers is not None:
        return local.timers
    arn = engine_settings().state_machine_arn
    return StepFunctionsTimerStopper(boto3.client("stepfunctions"), arn) if arn else None
