"""The reactions function hands each record to its owner: events and history to the triggers,
FIRE items to the actions, whose service is built once, and only for a batch that holds a fire."""

import json
from datetime import UTC, datetime

from leadwire import schema
from leadwire.actions.service import FireOutcome
from leadwire.core.fires import Fire
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import to_item
from leadwire.dal.fire_store import fire_to_item
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.reactions import handler
from leadwire.stream_consumers import REACTIONS
from leadwire.stream_records import matches_any

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record(sequence, image):
    keys = {schema.PK: image[schema.PK], schema.SK: image[schema.SK]}
    return {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": sequence},
    }


def event_image(message_id):
    return to_item(
        StoredEvent.model_validate(
            {
                "lead_id": "ann",
                "message_id": message_id,
                "type": "track",
                "event": "page_viewed",
                "timestamp": AT,
                "received_at": AT,
                "source": "website",
            }
        )
    )


class Triggers:
    def __init__(self):
        self.events = []

    def on_event(self, event, report):
        self.events.append(event.message_id)


class Actions:
    def __init__(self):
        self.fires = []

    def handle(self, fire):
        self.fires.append(fire.fire_id)
        return FireOutcome(fire.trigger_id, "fired", [], variant="default")


def run(*records):
    triggers = Triggers()
    built = []

    def actions():
        built.append(Actions())
        return built[-1]

    response = handler.lambda_handler(
        {"Records": list(records)},
        LocalLambdaContext("leadwire-reactions"),
        triggers=triggers,
        actions_factory=actions,
    )
    return response, triggers, built


def test_each_record_goes_to_its_owner_and_the_actions_are_built_once():
    fire = Fire.of("hot-lead-handoff", "ann", "m1", AT)
    second = Fire.of("hot-lead-handoff", "ann", "m2", AT)
    response, triggers, built = run(
        record("1", event_image("m1")), record("2", fire_to_item(fire)), record("3", fire_to_item(second))
    )
    assert response == {"batchItemFailures": []}
    assert triggers.events == ["m1"]
    assert [actions.fires for actions in built] == [[fire.fire_id, second.fire_id]]


def test_a_batch_without_a_fire_builds_no_actions():
    response, triggers, built = run(record("1", event_image("m1")), record("2", event_image("m2")))
    assert (response, triggers.events, built) == ({"batchItemFailures": []}, ["m1", "m2"], [])


def timer_fired_record(sequence, fire):
    """The change a timer's state machine makes when it wakes still waiting: status fired, and
    the fire's fields (as its input holds them) written with the mark."""
    keys = {schema.PK: {"S": schema.timer_pk(fire.trigger_id)}, schema.SK: {"S": f"{fire.lead_id}#c-1"}}
    old = {**keys, "status": {"S": "waiting"}, "cause": {"S": fire.cause}}
    fields = {name: value["S"] for name, value in fire_to_item(fire).items()}
    new = {**old, "status": {"S": "fired"}, "fire": {"S": json.dumps(fields)}}
    return {
        "eventID": sequence,
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": new, "OldImage": old, "SequenceNumber": sequence},
    }


class TimerTriggers(Triggers):
    def __init__(self):
        super().__init__()
        self.fired = []

    def on_timer_fired(self, fire, report):
        self.fired.append(fire)


def test_a_timer_marked_fired_goes_to_the_triggers_with_its_fire():
    fire = Fire.of("cart-abandonment", "ann", "m1", AT, {"cart_id": "c-1"})
    triggers = TimerTriggers()
    response = handler.lambda_handler(
        {"Records": [timer_fired_record("1", fire)]},
        LocalLambdaContext("leadwire-reactions"),
        triggers=triggers,
        actions_factory=Actions,
    )
    assert response == {"batchItemFailures": []}
    assert triggers.fired == [fire]


def test_the_reactions_filters_pass_a_timers_fired_mark_only():
    fire = Fire.of("cart-abandonment", "ann", "m1", AT, {"cart_id": "c-1"})
    fired = timer_fired_record("1", fire)
    satisfied = json.loads(json.dumps(fired))
    satisfied["dynamodb"]["NewImage"]["status"] = {"S": "satisfied"}
    del satisfied["dynamodb"]["NewImage"]["fire"]
    claimed = {**json.loads(json.dumps(fired)), "eventName": "INSERT"}
    claimed["dynamodb"]["NewImage"] = claimed["dynamodb"].pop("OldImage")
    filters = list(REACTIONS.filters)
    assert matches_any(filters, fired)
    assert not matches_any(filters, satisfied)
    assert not matches_any(filters, claimed)
