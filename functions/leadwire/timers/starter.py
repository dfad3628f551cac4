"""Starting timers: the port the trigger consumer calls, and its Step Functions adapter.

The consumer puts the TIMER item (status ``waiting``) first, then starts the timer. The execution
name is the idempotency key: Standard workflows keep a name for 90 days, so a start retried after a
crash (same name) finds ``ExecutionAlreadyExists`` or the running execution, never a second timer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from leadwire import schema
from leadwire.core.instants import iso


class TimerRequest(BaseModel):
    """One execution of the timer state machine: its name, when it is due, and its input."""

    model_config = ConfigDict(frozen=True)

    execution_name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    deadline: AwareDatetime
    input: dict[str, Any]


class TimerStarter(Protocol):
    def start(self, request: TimerRequest) -> None: ...


class StepFunctionsTimerStarter:
    """``StartExecution`` on the timer state machine (``client`` is a boto3 Step Functions client)."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def start(self, request: TimerRequest) -> None:
        try:
            self._client.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=request.execution_name,
                input=json.dumps(request.input, separators=(",", ":")),
            )
        except self._client.exceptions.ExecutionAlreadyExists:
            # The same name started before (a retried batch, a restart after a crash): that
            # execution is this timer. Step Functions answers this for a finished execution, or a
            # running one whose input differs; the first start's input wins.
            return


def build_timer_request(
    *,
    execution_name: str,
    timer_pk: str,
    timer_sk: str,
    deadline: datetime,
    fire_id: str,
    trigger_id: str,
    lead_id: str,
    cause: str,
    match: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> TimerRequest:
    """The request for the timer of TIMER item (``timer_pk``, ``timer_sk``), due at ``deadline``.

    When it fires it writes the FIRE item ``LEAD#<lead_id>`` / ``FIRE#<fire_id>`` with the fire
    fields below; ``at`` (the instant the fire is recorded at) defaults to the deadline, and
    ``match`` (the match values) is stored as compact JSON text.
    """
    if deadline.tzinfo is None or (at is not None and at.tzinfo is None):
        raise ValueError("deadline and at must be timezone-aware")
    match_value = dict(match or {})  # a fire's match values by path: it reads back as a Fire
    # The request's deadline is exactly the instant the input (and the TIMER item) spell out.
    deadline = deadline.astimezone(UTC).replace(microsecond=deadline.microsecond // 1000 * 1000)
    return TimerRequest(
        execution_name=execution_name,
        deadline=deadline,
        input={
            "deadline": iso(deadline),
            "timer": {"pk": timer_pk, "sk": timer_sk},
            "fire": {
                "pk": schema.lead_pk(lead_id),
                "sk": schema.fire_sk(fire_id),
                "fireId": fire_id,
                "triggerId": trigger_id,
                "leadId": lead_id,
                "cause": cause,
                "at": iso(at or deadline),
                "match": json.dumps(match_value, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
            },
        },
    )
