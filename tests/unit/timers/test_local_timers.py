"""LocalTimers without moto: holding, ordering, idempotency and failures, against a fake client."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadwire.timers import build_timer_request
from leadwire.timers.local_timers import LocalTimers, TimerExecutionFailed

T0 = datetime(2030, 1, 1, tzinfo=UTC)
WALL = datetime(2026, 11, 24, tzinfo=UTC)


class _FakeStepFunctions:
    def __init__(self, status: str = "SUCCEEDED") -> None:
        self.started: list[dict[str, Any]] = []
        self._status = status

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started.append(kwargs)
        return {"executionArn": kwargs["name"]}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {"status": self._status, "error": "States.Runtime", "cause": "boom"}

    def get_execution_history(self, executionArn: str, maxResults: int) -> dict[str, Any]:
        entered = [{"type": "WaitStateEntered"}, {"type": "TaskStateEntered"}]
        return {"events": [{"type": "ExecutionStarted"}, *entered, {"type": "TaskStateExited"}]}


def _request(name: str, deadline: datetime) -> Any:
    return build_timer_request(
        execution_name=name,
        timer_pk="TIMER#t",
        timer_sk=f"lead#{name}",
        deadline=deadline,
        fire_id=name,
        trigger_id="t",
        lead_id="lead",
        cause="m",
    )


def _timers(client: _FakeStepFunctions) -> LocalTimers:
    return LocalTimers(client, "arn:machine", lambda: T0, wall_clock=lambda: WALL)


def test_next_deadline_is_the_earliest_held_within_reach() -> None:
    timers = _timers(_FakeStepFunctions())
    timers.start(_request("late", T0 + timedelta(hours=2)))
    timers.start(_request("early", T0 + timedelta(hours=1)))
    assert timers.next_deadline(T0 + timedelta(hours=3)) == T0 + timedelta(hours=1)
    assert timers.next_deadline(T0 + timedelta(minutes=59)) is None


def test_due_timers_run_earliest_first() -> None:
    client = _FakeStepFunctions()
    timers = _timers(client)
    timers.start(_request("late", T0 + timedelta(hours=2)))
    timers.start(_request("early", T0 + timedelta(hours=1)))
    assert timers.run_due(T0 + timedelta(hours=2)) == 2
    assert [call["name"] for call in client.started] == ["early", "late"]
    assert timers.pending == []


def test_a_deadline_ahead_of_the_wall_clock_is_moved_into_the_past() -> None:
    # moto's Wait sleeps in real time: the held timer is already due on the runtime's clock
    client = _FakeStepFunctions()
    timers = _timers(client)
    timers.start(_request("future", T0))
    timers.run_due(T0)
    sent = json.loads(client.started[0]["input"])
    assert sent["deadline"] < "2026-11-24T00:00:00.000Z"
    assert sent["fire"]["at"] == "2030-01-01T00:00:00.000Z"


def test_a_deadline_long_past_is_sent_as_is() -> None:
    client = _FakeStepFunctions()
    timers = _timers(client)
    timers.start(_request("past", datetime(2020, 1, 1, tzinfo=UTC)))
    timers.run_due(T0)
    assert json.loads(client.started[0]["input"])["deadline"] == "2020-01-01T00:00:00.000Z"


def test_a_name_is_started_once_even_after_it_ran() -> None:
    client = _FakeStepFunctions()
    timers = _timers(client)
    timers.start(_request("same", T0))
    timers.run_due(T0)
    timers.start(_request("same", T0 + timedelta(hours=1)))
    assert timers.run_due(T0 + timedelta(hours=1)) == 0
    assert len(client.started) == 1


def test_a_failed_execution_raises_and_is_not_retried() -> None:
    client = _FakeStepFunctions(status="FAILED")
    timers = _timers(client)
    timers.start(_request("broken", T0))
    with pytest.raises(TimerExecutionFailed, match=r"broken ended FAILED: States\.Runtime: boom"):
        timers.run_due(T0)
    assert timers.run_due(T0) == 0


def test_state_transitions_are_counted_per_execution_as_billed():
    client = _FakeStepFunctions()
    timers = LocalTimers(client, "arn", lambda: T0, wall_clock=lambda: WALL)
    timers.start(_request("a", T0))
    timers.start(_request("b", T0))
    timers.run_due(T0)
    assert (timers.executions, timers.transitions) == (2, 4)
