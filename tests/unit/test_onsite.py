"""On-site messages, the pure parts: the action's shape, what a visitor sees now, which events close
a message, the channel's consent, and the action's dispatch through the delivery gate."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.actions.service import ActionsFailed, ActionsService, Channels
from leadwire.core.delivery.decisions import Recipient, Refuse, Send, decide
from leadwire.core.delivery.policy import parse_delivery_policy
from leadwire.core.fires import Fire
from leadwire.core.onsite import (
    Closure,
    OnsiteMessage,
    PendingMessage,
    VisitorIdError,
    closures,
    visible,
    visitor_id,
)
from leadwire.core.rules import parse_definitions
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import TriggerDefinitionError, parse_triggers
from leadwire.ingestion.onsite import ClosingSink, OnsiteMessages

from .actions.fakes import Deferrals, MemoryLog, MemorySendLog

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
MESSAGE = {"title": "Come back!", "body": "Your cart is waiting.", "cta": {"label": "Cart", "url": "/cart"}}
ID_A = "a" * 32 + "-0"
ID_B = "b" * 32 + "-1"


def onsite_trigger(**action):
    raw = {"id": "come-back", "on": {"event": "cart_abandoned"}, "actions": [{"type": "onsite", **action}]}
    return parse_triggers([raw], set())[0]


def pending(message_id, created, hours=24, title="t"):
    message = OnsiteMessage(title=title, body="b")
    return PendingMessage(message_id, message, created, created + timedelta(hours=hours))


# -- the action ------------------------------------------------------------------------------


def test_the_action_defaults_to_seven_days():
    [action] = onsite_trigger(message=MESSAGE).actions or []
    assert action.type == "onsite"
    assert action.ttl == timedelta(days=7)
    assert action.message.cta is not None
    assert action.message.cta.url == "/cart"


@pytest.mark.parametrize(
    ("action", "path"),
    [
        ({"message": {**MESSAGE, "title": ""}}, "triggers[0].actions[0].message.title"),
        ({"message": {"title": "t"}}, "triggers[0].actions[0].message.body"),
        ({"message": {**MESSAGE, "cta": {"label": "x", "url": "javascript:alert(1)"}}}, "cta.url"),
        ({"message": {**MESSAGE, "cta": {"label": "x", "url": "//evil.example"}}}, "cta.url"),
        ({"message": MESSAGE, "ttl": "P91D"}, "triggers[0].actions[0].ttl"),
        ({"message": MESSAGE, "ttl": "soon"}, "triggers[0].actions[0].ttl"),
        ({"message": {**MESSAGE, "colour": "red"}}, "message.colour"),
    ],
)
def test_a_bad_action_names_its_field(action, path):
    with pytest.raises(TriggerDefinitionError) as error:
        onsite_trigger(**action)
    paths = [problem["path"] for problem in error.value.problems]
    assert any(p.endswith(path) for p in paths), paths


# -- what a visitor sees ------------------------------------------------------------------------


def test_visible_messages_are_unexpired_unclosed_and_newest_first():
    old = pending(ID_A, NOW - timedelta(hours=2))
    new = pending(ID_B, NOW - timedelta(hours=1))
    expired = pending("c" * 32 + "-0", NOW - timedelta(hours=30))
    future = pending("d" * 32 + "-0", NOW + timedelta(minutes=1))
    assert visible([old, new, expired, future], [], NOW) == [new, old]
    assert visible([old, new], [ID_B], NOW) == [old]
    assert visible([old], [], old.expires_at) == []


def test_closures_come_from_clicks_and_dismissals_with_a_delivery_id():
    def event(name, message_id, lead="ann"):
        return StoredEvent(
            message_id=f"m-{name}-{message_id}",
            type="track",
            lead_id=lead,
            event=name,
            timestamp=NOW,
            received_at=NOW,
            source="web",
            user_id=lead,
            properties={"message_id": message_id},
        )

    events = [
        event("onsite_clicked", ID_A),
        event("onsite_clicked", ID_A),  # the same click twice: one closure
        event("onsite_dismissed", ID_B, lead="bob"),
        event("onsite_shown", "e" * 32 + "-0"),  # an impression closes nothing
        event("onsite_clicked", "not-a-delivery-id"),
    ]
    assert closures(events) == [Closure("ann", ID_A, NOW), Closure("bob", ID_B, NOW)]


@pytest.mark.parametrize(
    ("user", "anonymous", "expected"),
    [("u1", "a1", "u1"), (None, "a1", "a1"), ("  ", " a1 ", "a1")],
)
def test_the_visitor_is_the_user_id_else_the_anonymous_id(user, anonymous, expected):
    assert visitor_id(user, anonymous) == expected


@pytest.mark.parametrize(
    ("user", "anonymous", "field"),
    [(None, None, "userId"), ("", "", "userId"), (None, "x" * 257, "anonymousId")],
)
def test_a_missing_or_overlong_visitor_names_the_field(user, anonymous, field):
    with pytest.raises(VisitorIdError) as error:
        visitor_id(user, anonymous)
    assert error.value.field == field


class Store:
    def __init__(self, merged=None, partitions=None):
        self.merged = merged or {}
        self.partitions = partitions or {}
        self.closed = []

    def merged_into(self, lead_id):
        return self.merged.get(lead_id)

    def pending(self, lead_id):
        return self.partitions.get(lead_id, ([], set()))

    def put_closures(self, closed):
        self.closed.extend(closed)


def test_a_merged_visitor_reads_both_partitions():
    store = Store(
        merged={"anon-1": "ann"},
        partitions={
            "anon-1": ([pending(ID_A, NOW - timedelta(hours=3))], set()),
            "ann": ([pending(ID_B, NOW - timedelta(hours=1), title="new")], {ID_A}),
        },
    )
    body = OnsiteMessages(store).for_visitor("anon-1", NOW)
    assert body == {"messages": [{"id": ID_B, "title": "new", "body": "b", "cta": None}]}


def test_the_closing_sink_stores_events_then_closures():
    stored = []

    class Sink:
        def put_events(self, events):
            stored.extend(events)

    store = Store()
    click = StoredEvent(
        message_id="m1",
        type="track",
        lead_id="ann",
        event="onsite_clicked",
        timestamp=NOW,
        received_at=NOW,
        source="web",
        user_id="ann",
        properties={"message_id": ID_A},
    )
    ClosingSink(Sink(), store).put_events([click])
    assert stored == [click]
    assert store.closed == [Closure("ann", ID_A, NOW)]


# -- the channel under the delivery policy ------------------------------------------------------


@pytest.mark.parametrize(
    ("consent", "expected"),
    [({}, Send()), ({"onsite": (True, 1)}, Send()), ({"onsite": (False, 1)}, "no_consent")],
)
def test_onsite_needs_no_opt_in_but_respects_an_opt_out(consent, expected):
    recipient = Recipient(traits={}, consent=consent, suppressed=[])
    decision = decide(parse_delivery_policy(None), "onsite", None, recipient, [], "d1", NOW)
    assert (decision.status if isinstance(decision, Refuse) else decision) == expected


def test_quiet_hours_and_caps_accept_the_onsite_channel():
    policy = parse_delivery_policy(
        {
            "frequency_caps": [{"channel": "onsite", "max": 1, "per": "P1D"}],
            "quiet_hours": {"start": "11:00", "end": "13:00", "channels": ["onsite"]},
        }
    )
    recipient = Recipient(traits={}, consent={}, suppressed=[])
    assert type(decide(policy, "onsite", None, recipient, [], "d1", NOW)).__name__ == "Defer"


class Onsite:
    def __init__(self, fail=False):
        self.fail = fail
        self.stored = []

    def put_message(self, lead_id, message_id, message, created_at, expires_at, trigger_id):
        if self.fail:
            raise ConnectionError("throttled")
        self.stored.append((lead_id, message_id, message.title, created_at, expires_at, trigger_id))


class Leads:
    def read(self, lead_id, *, at_least=0):
        return None


def actions(onsite, log, send_log=None, policy=None):
    trigger = onsite_trigger(message=MESSAGE, ttl="PT12H")
    return ActionsService(
        {trigger.id: trigger},
        parse_definitions({"segments": []}),
        Leads(),
        None,
        log,
        Deferrals(),
        lambda: NOW,
        channels=Channels(onsite=onsite),
        policy=policy,
        send_log=send_log,
    )


FIRE = Fire(fire_id="f" * 32, trigger_id="come-back", lead_id="ann", cause="m1", at=NOW - timedelta(hours=1))


def test_a_fire_stores_the_message_once_with_its_expiry():
    onsite, log = Onsite(), MemoryLog()
    outcome = actions(onsite, log).handle(FIRE)
    assert [(d.channel, d.status) for d in outcome.deliveries] == [("onsite", "sent")]
    delivery_id = "f" * 32 + "-0"
    assert onsite.stored == [("ann", delivery_id, "Come back!", NOW, NOW + timedelta(hours=12), "come-back")]
    # A redelivered fire stores nothing again
    assert actions(onsite, log).handle(FIRE).repeat
    assert len(onsite.stored) == 1


def test_a_failed_store_retries_the_fire():
    log = MemoryLog()
    with pytest.raises(ActionsFailed):
        actions(Onsite(fail=True), log).handle(FIRE)
    onsite = Onsite()
    actions(onsite, log).handle(FIRE)
    assert len(onsite.stored) == 1


def test_a_message_over_the_cap_waits_and_is_not_stored_yet():
    policy = parse_delivery_policy({"frequency_caps": [{"channel": "onsite", "max": 1, "per": "P1D"}]})
    onsite, log, send_log = Onsite(), MemoryLog(), MemorySendLog()
    actions(onsite, log, send_log, policy).handle(FIRE)
    second = FIRE.model_copy(update={"fire_id": "9" * 32, "cause": "m2"})
    outcome = actions(onsite, log, send_log, policy).handle(second)
    assert [d.status for d in outcome.deliveries] == ["deferred_cap"]
    assert len(onsite.stored) == 1
