"""Stopping timers: an erased lead's waiting executions are stopped, not left to wake.

An execution's ARN follows from the state machine's and the execution name the TIMER item
records (``arn:...:stateMachine:<machine>`` -> ``arn:...:execution:<machine>:<name>``), so the
stack grants ``states:StopExecution`` on the executions of the timer state machine only.
"""

from __future__ import annotations

from typing import Any, Protocol

ERASED_ERROR = "LeadErased"


class TimerStopper(Protocol):
    def stop(self, execution_name: str) -> bool: ...


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{execution_name}"


class StepFunctionsTimerStopper:
    """``StopExecution`` on the timer state machine (``client`` is a boto3 Step Functions client)."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def stop(self, execution_name: str) -> bool:
        """True if a running execution was stopped; False if there was none (never started, or
        finished: its FIRE, if any, is dropped by the actions consumer)."""
        try:
            self._client.stop_execution(
                executionArn=execution_arn(self._state_machine_arn, execution_name),
                error=ERASED_ERROR,
                cause="the lead was erased",
            )
        except self._client.exceptions.ExecutionDoesNotExist:
            return False
        return True
