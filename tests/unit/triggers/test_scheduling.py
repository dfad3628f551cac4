"""Stopping a wake-up that can no longer fire: with its reason, and best effort."""

from botocore.exceptions import ClientError

from leadwire.timers.stopper import StepFunctionsTimerStopper
from leadwire.triggers.scheduling import StateMachineScheduler

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:Timer"


class StepFunctions:
    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        class ExecutionDoesNotExist(Exception):
            pass

    def __init__(self, refuse: bool = False):
        self.stopped = []
        self._refuse = refuse

    def stop_execution(self, **kwargs):
        if self._refuse:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StopExecution"
            )
        self.stopped.append(kwargs)


def test_a_satisfied_timers_execution_is_stopped_saying_why():
    client = StepFunctions()
    scheduler = StateMachineScheduler(starter=None, stopper=StepFunctionsTimerStopper(client, MACHINE))
    assert scheduler.cancel("cart-1", "satisfied") is True
    assert client.stopped == [
        {
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:Timer:cart-1",
            "error": "TimerSatisfied",
            "cause": "the awaited event came in time",
        }
    ]


def test_erasure_stops_say_the_lead_was_erased():
    client = StepFunctions()
    assert StepFunctionsTimerStopper(client, MACHINE).stop("cart-1") is True
    assert (client.stopped[0]["error"], client.stopped[0]["cause"]) == ("LeadErased", "the lead was erased")


def test_a_refused_stop_is_left_to_the_wake_up_which_finds_nothing_to_do():
    scheduler = StateMachineScheduler(
        starter=None, stopper=StepFunctionsTimerStopper(StepFunctions(True), MACHINE)
    )
    assert scheduler.cancel("cart-1", "overtaken") is False


def test_without_a_timer_machine_nothing_is_stopped():
    assert StateMachineScheduler(starter=None).cancel("cart-1", "satisfied") is False
