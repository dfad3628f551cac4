"""A trigger's fires and sends over replayed history, under its reentry and the delivery policy."""

from datetime import UTC, datetime, timedelta

from leadwire.core.delivery.decisions import Recipient
from leadwire.core.delivery.policy import parse_delivery_policy
from leadwire.core.insight.trigger_backtest import Occurrence, apply_reentry, deliver, event_occurrences
from leadwire.core.triggers.models import Trigger
from tests.unit.rules.builders import track

T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)
SUBSCRIBED = Recipient(traits={"email": "a@x.example"}, consent={"email": (True, 0)}, suppressed=())


def trigger(**fields):
    return Trigger.model_validate({"id": "t", "actions": [{"type": "email", "template": "x"}], **fields})


def test_wait_until_fires_only_when_the_awaited_event_did_not_come():
    cart = trigger(
        on={"event": "cart_added"},
        wait={"until": {"event": "purchase", "match": ["cart"]}, "timeout": "PT1H"},
    )
    events = {
        "a": [
            track("cart_added", T0, "1", cart="c1"),
            track("purchase", T0 + timedelta(minutes=10), "2", cart="c1"),
        ],
        "b": [
            track("cart_added", T0, "3", cart="c2"),
            track("purchase", T0 + timedelta(minutes=10), "4", cart="zz"),
        ],
    }
    fires = event_occurrences(cart, events, T0 + timedelta(days=1))
    assert fires == [Occurrence(lead_id="b", at=T0 + timedelta(hours=1))]


def test_reentry_once_keeps_the_first_fire_per_lead():
    once = trigger(on={"event": "visit"}, reentry="once")
    occurrences = [Occurrence("a", T0), Occurrence("a", T0 + timedelta(days=1)), Occurrence("b", T0)]
    assert [(o.lead_id, o.at) for o in apply_reentry(once, occurrences)] == [("a", T0), ("b", T0)]


def test_sends_respect_consent_caps_and_quiet_hours():
    policy = parse_delivery_policy(
        {
            "frequency_caps": [{"channel": "email", "max": 1, "per": "P1D"}],
            "quiet_hours": {"start": "21:00", "end": "08:00"},
        }
    )
    email = trigger(on={"event": "visit"})
    fires = [
        Occurrence("a", T0),  # sent
        Occurrence("a", T0 + timedelta(hours=1)),  # capped (1 per day)
        Occurrence("b", T0),  # no consent
        Occurrence("c", T0.replace(hour=22)),  # deferred to 08:00, then sent
    ]
    result = deliver(email, fires, {"a": SUBSCRIBED, "c": SUBSCRIBED}, policy)
    assert result.sends == {"email": 2}
    assert result.outcomes == {"sent": 2, "capped": 1, "no_consent": 1, "deferred": 1}
