"""Stopping timers: an erased lead's waiting executions are stopped, not left to wake; so is one
whose timer the awaited event satisfied, or a later start took over (it would only wake to find
nothing to do, at two billed state transitions more than the one its Wait already took).

An execution's ARN follows from the state machine's and the execution name the TIMER item
records (``arn:...:stateMachine:<machine>`` -> ``arn:...:execution:<machine>:<name>``), so the
stack grants ``states:StopExecution`` on the executions of the timer state machine only.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Protocol

StopReason = Literal["erased", "satisfied", "overtaken"]
ERASED_ERROR: Final = "LeadErased"
# What a stopped execution says in its history and in the console: (error, cause).
_REASONS: Final[dict[str, tuple[str, str]]] = {
    "erased": (ERASED_ERROR, "the lead was erased"),
    "satisfied": ("TimerSatisfied", "the awaited event came in time"),
    "overtaken": (
        "TimerOvertaken",
        "a later start took the timer over; this instance waits under its own key",
    ),
}


class TimerStopper(Protocol):
    def stop(self, execution_name: str, why: StopReason = "erased") -> bool: ...


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{execution_name}"


class StepFunctionsTimerStopper:
    """``StopExecution`` on the timer state machine (``client`` is a boto3 Step Functions client)."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def stop(self, execution_name: str, why: StopReason = "erased") -> bool:
        """True if a running execution was stopped; False if there was none (never started, or
        finished: its FIRE, if any, is dropped by the actions consumer)."""
        error, cause = _REASONS[why]
        try:
            self._client.stop_execution(
                executionArn=execution_arn(self._state_machine_arn, execution_name), error=error, cause=cause
            )
        except self._client.exceptions.ExecutionDoesNotExist:
            return False
        return True
