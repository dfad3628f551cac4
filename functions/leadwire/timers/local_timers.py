"""Timers for ``leadwire local``: hold each start until the runtime's clock reaches its deadline.

moto's Step Functions really sleep in a Wait state and know nothing of a simulated clock, so a
timer is not started when the consumer asks: it is held, and once the clock (simulated or wall)
has passed its deadline the runtime's drain runs the real definition with moto. The execution's
Wait then returns at once, and the rest of the definition (mark the timer fired, or not) runs
exactly as deployed. Each execution's history gives the transitions it would bill, and the writes
its tasks make (each DynamoDB task scheduled is one write, billed even when its condition fails),
which the adapters' meter does not see otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from leadwire.core.capacity import CapacityMeter
from leadwire.core.instants import iso
from leadwire.dal.metering import PROCESS_METER
from leadwire.timers.starter import TimerRequest
from leadwire.timers.stopper import StopReason

EXECUTION_TIMEOUT_SECONDS: Final = 30.0
# moto compares Wait timestamps with the host's naive local time: a deadline a day in the past
# is past whatever the host's time zone.
_PAST_MARGIN: Final = timedelta(days=1)


class TimerExecutionFailed(RuntimeError):
    """A local timer execution ended in a status other than SUCCEEDED."""


@dataclass(order=True, frozen=True, slots=True)
class _Held:
    deadline: datetime
    sequence: int
    request: TimerRequest = field(compare=False)


class Executions(Protocol):
    def start(self, call: Callable[[], str]) -> str:
        """Make the ``StartExecution`` ``call`` (its execution ARN); it may wait for the end."""
        ...

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events (a finished one's: one page holds them all)."""
        ...


class ClientExecutions:
    """Executions as any Step Functions client gives them."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def start(self, call: Callable[[], str]) -> str:
        return call()

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._client.get_execution_history(
            executionArn=execution_arn, maxResults=1000
        )["events"]
        return events


class LocalTimers:
    """A ``TimerStarter`` that runs each timer's execution once the clock reaches its deadline."""

    def __init__(
        self,
        stepfunctions_client: Any,
        state_machine_arn: str,
        clock: Any,
        *,
        wall_clock: Any = None,
        timeout_seconds: float = EXECUTION_TIMEOUT_SECONDS,
        executions: Executions | None = None,
        meter: CapacityMeter | None = None,
    ) -> None:
        """``clock`` is a zero-argument callable giving the runtime's (possibly simulated) now.
        ``executions`` starts executions and reads their histories; by default through the
        client (``local.moto_executions`` has a faster way for moto)."""
        self._client = stepfunctions_client
        self._state_machine_arn = state_machine_arn
        self._clock = clock
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._timeout = timeout_seconds
        self._executions = executions or ClientExecutions(stepfunctions_client)
        self._meter = meter or PROCESS_METER
        self._held: dict[str, _Held] = {}
        self._started: set[str] = set()  # every name ever started: Step Functions keeps them 90 days
        self._sequence = 0
        self.executions = 0
        self.transitions = 0  # states entered, as Step Functions Standard bills them

    def start(self, request: TimerRequest) -> None:
        """Hold ``request`` until its deadline; a name already held or run is a no-op, as in AWS."""
        name = request.execution_name
        if name in self._held or name in self._started:
            return
        self._sequence += 1
        self._held[name] = _Held(request.deadline.astimezone(UTC), self._sequence, request)

    def stop(self, execution_name: str, why: StopReason = "erased") -> bool:
        """Drop a held timer (an erased lead's, a satisfied one's): it never runs, and its name
        stays taken, as a stopped execution's does in AWS. True if one was held; it is counted as
        the one transition (its Wait entered) that a stopped execution is billed in AWS."""
        self._started.add(execution_name)
        if self._held.pop(execution_name, None) is None:
            return False
        self.transitions += 1
        return True

    @property
    def pending(self) -> list[TimerRequest]:
        """The held requests, earliest deadline first."""
        return [held.request for held in sorted(self._held.values())]

    def next_deadline(self, until: datetime) -> datetime | None:
        """The earliest deadline of a held timer, if it is no later than ``until``."""
        earliest = min(self._held.values(), default=None)
        if earliest is None or earliest.deadline > until:
            return None
        return earliest.deadline

    def run_due(self, now: datetime) -> int:
        """Run every held timer due by ``now`` (earliest first) to completion; returns how many ran.

        Raises ``TimerExecutionFailed`` with the execution's error and cause if one fails; that
        timer is not retried (its name is taken, as in AWS), the rest stay held for the next call.
        """
        ran = 0
        while (held := min(self._held.values(), default=None)) is not None and held.deadline <= now:
            request = held.request
            del self._held[request.execution_name]
            self._started.add(request.execution_name)
            self._run(request)
            ran += 1
        return ran

    def _run(self, request: TimerRequest) -> None:
        execution_input = dict(request.input)
        # The wait already happened on the runtime's clock: make sure moto's Wait does not sleep.
        latest_past = self._wall_clock() - _PAST_MARGIN
        if request.deadline > latest_past:
            execution_input["deadline"] = iso(latest_past)
        arn = self._executions.start(
            lambda: self._client.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=request.execution_name,
                input=json.dumps(execution_input, separators=(",", ":")),
            )["executionArn"]
        )
        self._wait_for(arn, request)

    def _wait_for(self, execution_arn: str, request: TimerRequest) -> None:
        name = request.execution_name
        give_up = time.monotonic() + self._timeout
        pause = 0.001
        while True:
            execution = self._client.describe_execution(executionArn=execution_arn)
            status = execution["status"]
            if status == "SUCCEEDED":
                self._count(execution_arn, request)
                return
            if status != "RUNNING":
                raise TimerExecutionFailed(
                    f"timer execution {name} ended {status}: "
                    f"{execution.get('error', '?')}: {execution.get('cause', '')}"
                )
            if time.monotonic() > give_up:
                raise TimerExecutionFailed(f"timer execution {name} still running after {self._timeout}s")
            time.sleep(pause)
            pause = min(pause * 2, 0.005)  # moto runs the execution on a thread: poll it closely

    def _count(self, execution_arn: str, request: TimerRequest) -> None:
        history = self._executions.history(execution_arn)
        self.executions += 1
        self.transitions += sum(1 for e in history if e["type"].endswith("StateEntered"))
        timer = request.input["timer"]
        key = {"pk": {"S": timer["pk"]}, "sk": {"S": timer["sk"]}}  # the item each task writes
        for _ in range(sum(1 for e in history if e["type"] == "TaskScheduled")):
            self._meter.record_write(key, kind="timer")
