"""The timer state machine definition, executed by moto's ASL interpreter against the table.

The same file the CDK stack deploys; every deadline here is in the past, so the Wait returns at
once (moto's Wait really sleeps).
"""

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.fires import Fire
from leadwire.dal.fire_store import fire_to_item
from leadwire.dal.timer_store import fire_of_fired_timer
from leadwire.local.sim_clock import SimulatedClock
from leadwire.timers import TimerRequest, build_timer_request, load_definition
from leadwire.timers.local_timers import ClientExecutions, LocalTimers

from .conftest import TABLE

ROLE = "arn:aws:iam::123456789012:role/leadwire-timers"
PAST = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TRIGGER = "cart-abandonment"
LEAD = "lead-1"
# Billed state transitions (states entered) per execution: see timer.asl.json.
FIRED_TRANSITIONS = 2  # Wait, MarkFired (which writes the fire into the timer item)
NOT_FIRED_TRANSITIONS = 3  # Wait, MarkFired (condition failed), Done


@pytest.fixture
def sfn_aws() -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


@pytest.fixture
def table(sfn_aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(**schema.create_table_kwargs(TABLE))
    return client


@pytest.fixture
def sfn(sfn_aws: None) -> Any:
    return boto3.client("stepfunctions", region_name="us-east-1")


@pytest.fixture
def machine(sfn: Any, table: Any) -> str:
    return sfn.create_state_machine(name="leadwire-timers", definition=load_definition(TABLE), roleArn=ROLE)[
        "stateMachineArn"
    ]


def _timer_key(cart: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": schema.timer_pk(TRIGGER)}, "sk": {"S": f"{LEAD}#{cart}"}}


def _put_timer(table: Any, cart: str, status: str, deadline: datetime = PAST) -> None:
    table.put_item(
        TableName=TABLE,
        Item={
            **_timer_key(cart),
            "status": {"S": status},
            "deadline": {"S": deadline.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
            "execution": {"S": f"exec-{cart}"},
            "cause": {"S": f"msg-{cart}"},
        },
    )


def _request(cart: str, name: str | None = None, deadline: datetime = PAST) -> TimerRequest:
    return build_timer_request(
        execution_name=name or f"exec-{cart}",
        timer_pk=schema.timer_pk(TRIGGER),
        timer_sk=f"{LEAD}#{cart}",
        deadline=deadline,
        fire_id=f"fire-{cart}",
        trigger_id=TRIGGER,
        lead_id=LEAD,
        cause=f"msg-{cart}",
        match={"cart_id": cart},
    )


def _start(sfn: Any, machine: str, request: TimerRequest) -> str:
    arn: str = sfn.start_execution(
        stateMachineArn=machine, name=request.execution_name, input=json.dumps(request.input)
    )["executionArn"]
    return arn


def _finish(sfn: Any, execution_arn: str) -> dict[str, Any]:
    give_up = time.monotonic() + 30
    while (execution := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < give_up, "execution did not finish"
        time.sleep(0.005)
    result: dict[str, Any] = execution
    return result


def _run(sfn: Any, machine: str, request: TimerRequest) -> str:
    arn = _start(sfn, machine, request)
    execution = _finish(sfn, arn)
    assert execution["status"] == "SUCCEEDED", execution
    return arn


def _fired(table: Any, cart: str) -> Fire | None:
    """The fire the state machine wrote into the timer item with its mark (what the trigger
    consumer writes the FIRE item from), or None while the timer has not fired."""
    item = table.get_item(TableName=TABLE, Key=_timer_key(cart), ConsistentRead=True).get("Item")
    if item is None or item["status"]["S"] != "fired":
        assert item is None or "fire" not in item
        return None
    return fire_of_fired_timer(item)


def _fired_all(table: Any) -> list[Fire]:
    items = table.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": schema.timer_pk(TRIGGER)}},
        ConsistentRead=True,
    )["Items"]
    return [fire_of_fired_timer(item) for item in items if item["status"]["S"] == "fired"]


def _status(table: Any, cart: str) -> str | None:
    item = table.get_item(TableName=TABLE, Key=_timer_key(cart), ConsistentRead=True).get("Item")
    return item["status"]["S"] if item else None


def _states_entered(sfn: Any, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    return [event["type"] for event in events if event["type"].endswith("StateEntered")]


def test_a_waiting_timer_past_its_deadline_fires(sfn: Any, machine: str, table: Any) -> None:
    # Given a timer still waiting when its deadline passed
    _put_timer(table, "c-1", "waiting")
    # When its execution runs
    _run(sfn, machine, _request("c-1"))
    # Then the timer says fired and holds its fire: the FIRE item the consumer writes from it
    # has the fields the state machine used to write itself
    fire = _fired(table, "c-1")
    assert fire is not None
    assert {name: value["S"] for name, value in fire_to_item(fire).items()} == {
        "pk": "LEAD#lead-1",
        "sk": "FIRE#fire-c-1",
        "fireId": "fire-c-1",
        "triggerId": TRIGGER,
        "leadId": LEAD,
        "cause": "msg-c-1",
        "at": "2024-05-01T12:00:00.000Z",
        "match": '{"cart_id":"c-1"}',
    }
    assert _status(table, "c-1") == "fired"


def test_a_satisfied_timer_does_not_fire(sfn: Any, machine: str, table: Any) -> None:
    _put_timer(table, "c-1", "satisfied")
    _run(sfn, machine, _request("c-1"))
    assert _fired(table, "c-1") is None
    assert _status(table, "c-1") == "satisfied"


def test_a_missing_timer_does_not_fire(sfn: Any, machine: str, table: Any) -> None:
    _run(sfn, machine, _request("c-1"))
    assert _status(table, "c-1") is None


def test_a_second_execution_after_the_first_fired_does_nothing(sfn: Any, machine: str, table: Any) -> None:
    _put_timer(table, "c-1", "waiting")
    _run(sfn, machine, _request("c-1"))
    first = table.get_item(TableName=TABLE, Key=_timer_key("c-1"), ConsistentRead=True)["Item"]
    second = _run(sfn, machine, _request("c-1", name="exec-c-1-again"))
    assert table.get_item(TableName=TABLE, Key=_timer_key("c-1"), ConsistentRead=True)["Item"] == first
    assert _states_entered(sfn, second)[-1] == "SucceedStateEntered"


def test_two_concurrent_executions_for_one_timer_fire_once(sfn: Any, machine: str, table: Any) -> None:
    _put_timer(table, "c-1", "waiting")
    first = _start(sfn, machine, _request("c-1"))
    second = _start(sfn, machine, _request("c-1", name="exec-c-1-duplicate"))
    assert {_finish(sfn, arn)["status"] for arn in (first, second)} == {"SUCCEEDED"}
    marks = [
        event["type"]
        for arn in (first, second)
        for event in sfn.get_execution_history(executionArn=arn)["events"]
        if event["type"] in ("TaskSucceeded", "TaskFailed")
    ]
    assert sorted(marks) == ["TaskFailed", "TaskSucceeded"]  # one marked, the other's condition failed
    assert _status(table, "c-1") == "fired"


def test_once_marked_fired_a_late_awaited_event_no_longer_satisfies_the_timer(table: Any) -> None:
    # The mark decides before the FIRE item is written: an awaited event processed after the mark
    # finds no waiting timer (TimerStore.satisfy's condition), so the fire stands.
    from leadwire.core.triggers import TimerKey
    from leadwire.dal.timer_store import TimerStore, timer_item_key

    key = TimerKey(TRIGGER, LEAD, ("c-1",))
    table.put_item(
        TableName=TABLE,
        Item={
            **timer_item_key(key),
            "status": {"S": "fired"},
            "startedAt": {"S": "2024-05-01T11:00:00.000Z"},
            "deadline": {"S": "2024-05-01T12:00:00.000Z"},
            "cause": {"S": "msg-c-1"},
        },
    )
    assert TimerStore(table, TABLE).satisfy(key, PAST - timedelta(minutes=1)) is None
    item = table.get_item(TableName=TABLE, Key=timer_item_key(key), ConsistentRead=True)["Item"]
    assert item["status"]["S"] == "fired"


def test_a_timer_taken_over_by_a_later_start_does_not_fire_for_the_earlier_one(
    sfn: Any, machine: str, table: Any
) -> None:
    # Given the item now waits for a later start of the same cart (another cause)
    _put_timer(table, "c-1", "waiting")
    table.update_item(
        TableName=TABLE,
        Key=_timer_key("c-1"),
        UpdateExpression="SET #cause = :later",
        ExpressionAttributeNames={"#cause": "cause"},
        ExpressionAttributeValues={":later": {"S": "msg-later"}},
    )
    # When the earlier instance's execution wakes
    _run(sfn, machine, _request("c-1"))
    # Then it neither fires nor marks the later instance fired
    assert _fired(table, "c-1") is None
    assert _status(table, "c-1") == "waiting"


def test_a_timer_item_without_a_cause_does_not_fire(sfn: Any, machine: str, table: Any) -> None:
    # A mark left by an awaited event processed before its start has a status and no cause.
    table.put_item(TableName=TABLE, Item={**_timer_key("c-1"), "status": {"S": "waiting"}})
    _run(sfn, machine, _request("c-1"))
    assert _fired(table, "c-1") is None


@pytest.mark.parametrize(
    ("status", "transitions"),
    [("waiting", FIRED_TRANSITIONS), ("satisfied", NOT_FIRED_TRANSITIONS), (None, NOT_FIRED_TRANSITIONS)],
)
def test_state_transitions_per_timer(
    sfn: Any, machine: str, table: Any, status: str | None, transitions: int
) -> None:
    if status is not None:
        _put_timer(table, "c-1", status)
    arn = _run(sfn, machine, _request("c-1"))
    assert len(_states_entered(sfn, arn)) == transitions


# -- LocalTimers: the leadwire local stand-in --------------------------------------------------


@pytest.fixture
def sim_clock() -> SimulatedClock:
    # Ahead of the wall clock: moto's Wait would sleep for years if the deadline were passed as is.
    return SimulatedClock(datetime(2031, 6, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def meter() -> CapacityMeter:
    return CapacityMeter()


@pytest.fixture
def local_timers(sfn: Any, machine: str, sim_clock: SimulatedClock, meter: CapacityMeter) -> LocalTimers:
    return LocalTimers(sfn, machine, sim_clock.now, meter=meter)


def _held(
    local_timers: LocalTimers, sim_clock: SimulatedClock, table: Any, status: str, wait: timedelta
) -> datetime:
    """A timer item in ``status`` and its wake-up handed to the local timers; its deadline."""
    deadline = sim_clock.now() + wait
    _put_timer(table, "c-1", status, deadline)
    local_timers.start(_request("c-1", deadline=deadline))
    return deadline


def test_local_timers_hold_a_timer_until_the_clock_passes_its_deadline(
    local_timers: LocalTimers, sim_clock: SimulatedClock, table: Any, meter: CapacityMeter
) -> None:
    deadline = _held(local_timers, sim_clock, table, "waiting", timedelta(hours=1))

    assert local_timers.run_due(sim_clock.now()) == 0
    assert local_timers.next_deadline(sim_clock.now() + timedelta(days=1)) == deadline
    assert _fired(table, "c-1") is None

    sim_clock.move_to(deadline)
    assert local_timers.run_due(sim_clock.now()) == 1
    fire = _fired(table, "c-1")
    assert fire is not None
    assert fire.at == deadline
    assert meter.writes_by_kind == {"timer": 1}  # the mark, which the adapters' meter never sees
    assert _status(table, "c-1") == "fired"
    assert local_timers.next_deadline(sim_clock.now() + timedelta(days=1)) is None


def test_local_timers_joining_moto_s_execution_thread_describe_each_execution_once(
    sfn: Any, machine: str, sim_clock: SimulatedClock, table: Any
) -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    from leadwire.local.moto_executions import MotoExecutions

    described: list[str] = []
    describe = sfn.describe_execution

    def counted(**kwargs: Any) -> Any:
        described.append(kwargs["executionArn"])
        return describe(**kwargs)

    sfn.describe_execution = counted
    executions = MotoExecutions(sfn)
    timers = LocalTimers(sfn, machine, sim_clock.now, executions=executions)
    deadline = sim_clock.now() + timedelta(minutes=5)
    for cart in ("c-1", "c-2", "c-3"):
        _put_timer(table, cart, "waiting", deadline)
        timers.start(_request(cart, deadline=deadline))
    sim_clock.move_to(deadline)
    assert timers.run_due(sim_clock.now()) == 3
    assert len(_fired_all(table)) == 3
    assert len(described) == 3  # each ended when its thread did: no polling
    assert timers.transitions == 3 * FIRED_TRANSITIONS  # histories read in moto's backend
    (arn,) = set(described[:1])
    in_process = [event["type"] for event in MotoExecutions(sfn).history(arn)]
    assert in_process == [event["type"] for event in ClientExecutions(sfn).history(arn)]
    assert all(thread.is_alive() for thread in TMP_THREADS)  # finished threads let go
    # Parsed once, one DynamoDB client for all tasks; moto's own functions back once it returns.
    from moto.stepfunctions.parser.asl.utils import json_path
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    cache = executions._cache
    assert len(cache.trees) == 1
    assert [service for _, service, _ in cache.clients] == ["dynamodb"]
    assert cache.paths  # the definition's JSONPaths, each parsed once
    assert ExecutionWorker._get_evaluation_entrypoint.__module__.startswith("moto.")
    assert json_path.parse.__module__.startswith("jsonpath_ng")
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
    )

    assert state_task_service_dynamodb.boto_client_for is boto_client_for


def test_local_timers_start_a_name_once(
    local_timers: LocalTimers, sim_clock: SimulatedClock, sfn: Any, machine: str
) -> None:
    deadline = sim_clock.now() + timedelta(minutes=5)
    local_timers.start(_request("c-1", deadline=deadline))
    local_timers.start(_request("c-1", deadline=deadline))
    assert len(local_timers.pending) == 1

    sim_clock.move_to(deadline)
    assert local_timers.run_due(sim_clock.now()) == 1
    local_timers.start(_request("c-1", deadline=deadline))  # a retried start after it ran
    assert local_timers.run_due(sim_clock.now()) == 0
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_the_local_runtime_runs_timers_at_their_instant_on_the_simulated_clock() -> None:
    from leadwire.local.runtime import TABLE_NAME, LocalRuntime
    from leadwire.timers.wiring import timer_starter

    start = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)
    runtime = LocalRuntime({"key": "website"}, clock_start=start)
    try:
        assert timer_starter() is runtime.timers  # the runtime handed its timers to the roots
        deadline = start + timedelta(hours=1)
        key = {"pk": {"S": schema.timer_pk("no-such-trigger")}, "sk": {"S": "lead-1#k"}}
        runtime.dynamodb.put_item(
            TableName=TABLE_NAME, Item={**key, "status": {"S": "waiting"}, "cause": {"S": "msg-1"}}
        )
        runtime.timers.start(
            build_timer_request(
                execution_name="local-1",
                timer_pk=key["pk"]["S"],
                timer_sk=key["sk"]["S"],
                deadline=deadline,
                fire_id="local-fire-1",
                trigger_id="no-such-trigger",
                lead_id="lead-1",
                cause="msg-1",
            )
        )
        # Before the deadline: held, and the clock's next stop is the deadline itself
        assert runtime.run_until(deadline - timedelta(seconds=1))["timers"] == 0
        assert runtime._next_due(deadline + timedelta(days=1)) == deadline
        # At the deadline, the drain runs it
        assert runtime.clock is not None
        runtime.clock.move_to(deadline)
        assert runtime.drain()["timers"] == 1
        stored = runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True)["Item"]
        assert stored["status"]["S"] == "fired"
        fire_key = {"pk": {"S": schema.lead_pk("lead-1")}, "sk": {"S": schema.fire_sk("local-fire-1")}}
        assert "Item" in runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=fire_key)
        assert runtime._next_due(deadline + timedelta(days=1)) is None
    finally:
        runtime.close()
    from leadwire import container

    assert container.local() is None  # closed: the roots build AWS's own services again


@pytest.fixture
def wall_clock_runtime() -> Iterator[Any]:
    """``leadwire local`` without ``--clock``: the one runtime here on the wall clock, which is what
    this test is about (it holds on any date: only the seconds between now and the deadline count)."""
    from leadwire.local.runtime import LocalRuntime

    runtime = LocalRuntime({"key": "website"})
    yield runtime
    runtime.close()


def test_the_local_runtime_on_the_wall_clock_runs_a_timer_once_it_is_due(wall_clock_runtime: Any) -> None:
    from leadwire import clock
    from leadwire.local.runtime import TABLE_NAME

    runtime = wall_clock_runtime

    deadline = clock.now() + timedelta(seconds=2)  # far enough that a loaded machine drains before it
    key = {"pk": {"S": schema.timer_pk("no-such-trigger")}, "sk": {"S": "lead-1#wall"}}
    runtime.dynamodb.put_item(
        TableName=TABLE_NAME, Item={**key, "status": {"S": "waiting"}, "cause": {"S": "msg-1"}}
    )
    runtime.timers.start(
        build_timer_request(
            execution_name="wall-1",
            timer_pk=key["pk"]["S"],
            timer_sk=key["sk"]["S"],
            deadline=deadline,
            fire_id="wall-fire-1",
            trigger_id="no-such-trigger",
            lead_id="lead-1",
            cause="msg-1",
        )
    )
    assert runtime.drain()["timers"] == 0
    time.sleep(max(0.0, (deadline - clock.now()).total_seconds()) + 0.01)
    assert runtime.drain()["timers"] == 1
    stored = runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True)["Item"]
    assert stored["status"]["S"] == "fired"


def test_local_timers_meter_a_write_for_a_mark_whose_condition_failed(
    local_timers: LocalTimers, sim_clock: SimulatedClock, table: Any, meter: CapacityMeter
) -> None:
    # A conditional update that fails is billed as a write all the same
    deadline = _held(local_timers, sim_clock, table, "satisfied", timedelta(minutes=5))
    sim_clock.move_to(deadline)
    assert local_timers.run_due(sim_clock.now()) == 1
    assert _status(table, "c-1") == "satisfied"
    assert meter.writes_by_kind == {"timer": 1}
    assert local_timers.transitions == NOT_FIRED_TRANSITIONS


def test_a_start_redelivered_after_its_timer_was_satisfied_does_not_bring_it_back(table: Any) -> None:
    # The same cart_added delivered again (a batch retried, a replay) after the purchase came in
    # time: the claim refuses it, so no wake-up can fire for a bought cart.
    from leadwire.core.triggers import Claimed, Satisfied, TimerKey
    from leadwire.dal.timer_store import TimerStore

    store, key = TimerStore(table, TABLE), TimerKey(TRIGGER, LEAD, ("c-1",))
    started, deadline = PAST - timedelta(hours=1), PAST
    assert store.claim(key, started, deadline, "exec-c-1", "msg-c-1") == Claimed()
    assert store.claim(key, started, deadline, "exec-c-1", "msg-c-1") == Claimed()  # a retried start
    # The purchase: the instance is satisfied, and its wake-up comes back to be stopped
    assert store.satisfy(key, PAST - timedelta(minutes=30)) == Satisfied("exec-c-1")
    assert store.claim(key, started, deadline, "exec-c-1", "msg-c-1") is None
    assert (store.get(key) or {}).get("status") == "satisfied"
    # A second purchase, later: satisfied already, no wake-up to stop
    assert store.satisfy(key, PAST - timedelta(minutes=20)) == Satisfied(None)
