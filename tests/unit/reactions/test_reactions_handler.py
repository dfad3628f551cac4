"""The reactions function hands each record to its owner: events and history to the triggers,
FIRE items to the actions, whose service is built once, and only for a batch that holds a fire."""

from datetime import UTC, datetime

from leadwire import schema
from leadwire.actions.service import FireOutcome
from leadwire.core.fires import Fire
from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import to_item
from leadwire.dal.fire_store import fire_to_item
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.reactions import handler

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
