"""Building timer requests, and starting them on Step Functions idempotently."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from leadwire.timers import StepFunctionsTimerStarter, TimerRequest, build_timer_request

DEADLINE = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _request(**overrides: Any) -> TimerRequest:
    arguments: dict[str, Any] = {
        "execution_name": "cart-abandonment-0123",
        "timer_pk": "TIMER#cart-abandonment",
        "timer_sk": "lead-1#abc",
        "deadline": DEADLINE,
        "fire_id": "f-1",
        "trigger_id": "cart-abandonment",
        "lead_id": "lead-1",
        "cause": "msg-1",
        "match": {"cart_id": "c-1"},
    }
    return build_timer_request(**{**arguments, **overrides})


def test_the_input_carries_the_deadline_the_timer_and_the_fire() -> None:
    request = _request()
    assert request.input == {
        "deadline": "2026-03-01T12:30:15.123Z",
        "timer": {"pk": "TIMER#cart-abandonment", "sk": "lead-1#abc"},
        "fire": {
            "pk": "LEAD#lead-1",
            "sk": "FIRE#f-1",
            "fireId": "f-1",
            "triggerId": "cart-abandonment",
            "leadId": "lead-1",
            "cause": "msg-1",
            "at": "2026-03-01T12:30:15.123Z",
            "match": '{"cart_id":"c-1"}',
        },
    }


def test_the_request_deadline_is_the_instant_the_input_spells() -> None:
    request = _request(deadline=DEADLINE.astimezone(timezone(timedelta(hours=2))))
    assert request.deadline == datetime(2026, 3, 1, 12, 30, 15, 123000, tzinfo=UTC)


def test_the_fire_at_may_differ_from_the_deadline() -> None:
    request = _request(at=DEADLINE - timedelta(hours=1))
    assert request.input["fire"]["at"] == "2026-03-01T11:30:15.123Z"


@pytest.mark.parametrize(
    ("match", "text"),
    [({"b": 2, "a": "x"}, '{"a":"x","b":2}'), ({}, "{}"), (None, "{}")],
)
def test_match_values_are_compact_json_text(match: Any, text: str) -> None:
    assert _request(match=match).input["fire"]["match"] == text


def test_a_naive_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _request(deadline=datetime(2026, 3, 1))


@pytest.mark.parametrize("name", ["", "has space", "x" * 81])
def test_an_invalid_execution_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        _request(execution_name=name)


class _ExecutionAlreadyExists(Exception):
    pass


class _FakeStepFunctions:
    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        ExecutionAlreadyExists = _ExecutionAlreadyExists

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        if any(call["name"] == kwargs["name"] for call in self.calls):
            raise _ExecutionAlreadyExists(kwargs["name"])
        self.calls.append(kwargs)
        return {"executionArn": f"arn:execution:{kwargs['name']}"}


def test_start_sends_the_name_and_the_input() -> None:
    client = _FakeStepFunctions()
    StepFunctionsTimerStarter(client, "arn:machine").start(_request())
    (call,) = client.calls
    assert call["stateMachineArn"] == "arn:machine"
    assert call["name"] == "cart-abandonment-0123"
    assert json.loads(call["input"]) == _request().input


def test_a_second_start_of_the_same_name_is_success() -> None:
    client = _FakeStepFunctions()
    starter = StepFunctionsTimerStarter(client, "arn:machine")
    starter.start(_request())
    starter.start(_request(deadline=DEADLINE + timedelta(minutes=1)))
    assert len(client.calls) == 1
