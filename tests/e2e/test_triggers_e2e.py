"""Triggers and the delivery policy end to end: one real ``leadwire local`` process on a simulated
clock, events posted by segment-analytics-python, and what the actions did read from the outbox.

The process gets its own config directory: a copy of config/default plus ``e2e-triggers.yaml``
(triggers of these tests, so none depends on the default triggers' timing). Every test uses lead
ids of its own and first moves the shared clock to a fresh day, so the tests run in any order.
"""

import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from segment.analytics import Client as SegmentClient

from leadwire.local.webhook_receiver import WebhookReceiver

from .conftest import WRITE_KEY, Local, run_local

pytestmark = pytest.mark.e2e

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "default"
CLOCK_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_YORK = "America/New_York"  # EST (UTC-5) after 2026-11-01

EXTRA_CONFIG = """
segments:
  - id: e2e-hot-webhook-leads
    name: Hot leads of the webhook e2e test
    condition:
      all:
        - {score: {gte: 50}}
        - {trait: {name: e2e_group, eq: hot-webhook}}

triggers:
  - id: e2e-hot-webhook
    on: {enter: e2e-hot-webhook-leads}
    actions:
      - {type: webhook, url: "env:LW_E2E_WEBHOOK_URL", secret: "env:LW_E2E_WEBHOOK_SECRET"}

  - id: e2e-newsletter
    on: {event: newsletter_requested}
    actions:
      - {type: email, template: we-miss-you}

  - id: e2e-ab
    on: {event: ab_requested}
    reentry: every_time
    holdout: 20
    variants:
      - name: red
        weight: 2
        actions: [{type: emit_event, event: ab_red_shown}]
      - name: blue
        weight: 1
        actions: [{type: emit_event, event: ab_blue_shown}]
"""


class LeadwireLocal(Local):
    """The running process: HTTP helpers plus the simulated clock and the outbox."""

    def post_ok(self, path: str, body: Any = None) -> Any:
        status, _, reply = self.request("POST", path, {} if body is None else body)
        assert status == 200, reply
        return reply

    def now(self) -> datetime:
        return datetime.fromisoformat(self.post_ok("/_local/drain")["now"])

    def clock_to(self, moment: datetime) -> datetime:
        return datetime.fromisoformat(self.post_ok("/_local/clock", {"to": moment.isoformat()})["now"])

    def advance(self, duration: str) -> datetime:
        return datetime.fromisoformat(self.post_ok("/_local/clock", {"advance": duration})["now"])

    def fresh_day(self, hour: int, minute: int = 0) -> datetime:
        """Move the clock to ``hour:minute`` UTC at least one whole day after now: each test gets a
        day of its own, whatever ran before it."""
        now = self.now()
        day = (now + timedelta(days=2)).date()
        return self.clock_to(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC))

    def outbox(self, **match: str) -> list[dict[str, Any]]:
        status, _, body = self.request("GET", "/_local/outbox")
        assert status == 200, body
        return [m for m in body["messages"] if all(m.get(k) == v for k, v in match.items())]

    def lead(self, lead_id: str) -> dict[str, Any]:
        status, _, body = self.request("GET", f"/leads/{lead_id}")
        assert status == 200, body
        return body


class Sender:
    """segment-analytics-python pointed at leadwire local: queue, ``flush()``, then drain.

    The client stamps ``timestamp`` and ``sentAt`` from the wall clock; ingestion's clock-skew
    correction (``receivedAt - (sentAt - timestamp)``) then puts each event at the simulated
    clock's now, as Segment puts events at its own server's time. (An explicit ``timestamp`` would
    be shifted by the gap between the wall clock and the simulated one.)
    """

    def __init__(self, server: LeadwireLocal) -> None:
        self.server = server
        self.errors: list[Exception] = []
        self.client = SegmentClient(
            WRITE_KEY, host=server.url, upload_interval=0.05, on_error=lambda e, _: self.errors.append(e)
        )

    def identify(self, lead: str, traits: dict[str, Any], message_id: str | None = None) -> None:
        self.client.identify(lead, traits, message_id=message_id or _id())

    def track(
        self, lead: str, event: str, properties: dict[str, Any] | None = None, message_id: str | None = None
    ) -> None:
        self.client.track(lead, event, properties or {}, message_id=message_id or _id())

    def deliver(self) -> None:
        self.client.flush()
        assert self.errors == []
        self.server.post_ok("/_local/drain")

    def close(self) -> None:
        self.client.shutdown()


def _id() -> str:
    return str(uuid.uuid4())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def consenting(email: str, **traits: Any) -> dict[str, Any]:
    return {"email": email, "subscriptions": {"email": True}, **traits}


def parse(instant: str) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(WEBHOOK_SECRET, fail_first=1)
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, receiver) -> Iterator[LeadwireLocal]:
    root = tmp_path_factory.mktemp("triggers-e2e")
    config = root / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "e2e-triggers.yaml").write_text(EXTRA_CONFIG)
    env = {"LW_E2E_WEBHOOK_URL": receiver.url("/crm"), "LW_E2E_WEBHOOK_SECRET": WEBHOOK_SECRET}
    args = ("--config", str(config), "--clock", CLOCK_START.isoformat())
    with run_local(*args, env=env, log_path=root / "leadwire-local.log", local_class=LeadwireLocal) as local:
        yield local


@pytest.fixture
def sender(server) -> Iterator[Sender]:
    client = Sender(server)
    yield client
    client.close()


# -- 1. hot lead -> one verified webhook --------------------------------------------------------


def test_a_lead_turning_hot_gets_one_verified_webhook_after_a_500(server, sender, receiver):
    server.fresh_day(10)
    lead = unique("hot")
    # When a real client sends what makes the lead hot (30 + 25 points)
    sender.identify(lead, {"e2e_group": "hot-webhook", "company": "Acme"})
    sender.track(lead, "demo_requested")
    sender.track(lead, "trial_signup", {"plan": "pro"})
    sender.deliver()
    assert "hot-leads" in server.lead(lead)["segments"]

    # Then the receiver got one message: the first attempt answered 500, the retry 200, both
    # signed (Standard Webhooks) with the same webhook-id
    mine = [r for r in receiver.requests if r.verified and r.payload["data"]["leadId"] == lead]
    assert [r.status for r in mine] == [500, 200]
    assert all(r.verified for r in receiver.requests), "a request failed signature verification"
    assert len({r.webhook_id for r in mine}) == 1
    [accepted] = [r for r in receiver.accepted if r.webhook_id == mine[0].webhook_id]
    assert accepted.path == "/crm"
    assert accepted.payload["type"] == "leadwire.trigger.fired"
    assert accepted.payload["data"]["triggerId"] == "e2e-hot-webhook"
    assert accepted.payload["data"]["lead"]["score"] >= 50

    # And the outbox says it was sent once, after two attempts, under that id
    webhooks = server.outbox(triggerId="e2e-hot-webhook", leadId=lead)
    assert [(m["channel"], m["status"], m["attempts"], m["statusCode"]) for m in webhooks] == [
        ("webhook", "sent", 2, 200)
    ]
    assert webhooks[0]["webhookId"] == accepted.webhook_id
    assert webhooks[0]["url"] == "env:LW_E2E_WEBHOOK_URL"  # the log keeps the reference, not its value

    # When the lead keeps acting while hot, nothing more is sent
    server.advance("PT10M")
    sender.track(lead, "demo_requested")
    sender.track(lead, "whitepaper_downloaded")
    sender.deliver()
    assert [r for r in receiver.requests if r.verified and r.payload["data"]["leadId"] == lead] == mine
    assert len(server.outbox(triggerId="e2e-hot-webhook", leadId=lead)) == 1


# -- 2. cart abandonment ------------------------------------------------------------------------


def test_an_abandoned_cart_gets_one_reminder_even_when_the_events_are_posted_again(server, sender):
    now = server.fresh_day(10)
    lead, cart = unique("cart"), unique("cart-id")
    address = f"{lead}@example.com"
    identify_id, cart_id = _id(), _id()
    sender.identify(lead, consenting(address, first_name="Ada"), identify_id)
    sender.track(lead, "cart_added", {"cart_id": cart, "plan": "pro"}, cart_id)
    sender.deliver()
    assert server.outbox(triggerId="cart-abandonment", leadId=lead) == []  # it waits for the hour

    # When the hour passes without a purchase
    server.advance("PT1H1M")
    fired = server.outbox(triggerId="cart-abandonment", leadId=lead)
    [email] = [m for m in fired if m["channel"] == "email"]
    assert email["status"] == "sent"
    assert email["to"] == address
    # one of the reminder's two variants, each with its own template
    subjects = {
        "cart-reminder": "Ada, your cart is still waiting",
        "cart-reminder-discount": "Ada, 10% off the cart you left",
    }
    assert (email["variant"], email["template"]) in {
        ("reminder", "cart-reminder"),
        ("discount", "cart-reminder-discount"),
    }
    assert email["category"] == "marketing"
    assert email["subject"] == subjects[email["template"]]
    # at the deadline (the event's time + 1 h; the event is a few ms before now), not when noticed
    assert timedelta(0) <= now + timedelta(hours=1) - parse(email["firedAt"]) < timedelta(seconds=5)
    assert email["sesMessageId"]
    # The same fire emitted cart_abandoned for this cart (the email's event.cart_id)
    [emitted] = [m for m in fired if m["channel"] == "event"]
    assert (emitted["fireId"], emitted["event"]) == (email["fireId"], "cart_abandoned")
    assert emitted["properties"]["cart_id"] == cart
    # SES accepted it: its Delivery came back as a lead event naming this delivery
    delivered = [
        e
        for e in server.events(lead)
        if e["event"] == "email_delivered" and e["properties"]["trigger_id"] == "cart-abandonment"
    ]
    assert [(e["properties"]["ses_message_id"], e["properties"]["delivery_id"]) for e in delivered] == [
        (email["sesMessageId"], email["deliveryId"])
    ]

    # When the client posts the very same messages again (same messageIds) and time passes
    sender.identify(lead, consenting(address, first_name="Ada"), identify_id)
    sender.track(lead, "cart_added", {"cart_id": cart, "plan": "pro"}, cart_id)
    sender.deliver()
    server.advance("PT2H")
    # Then nothing more is sent
    assert server.outbox(triggerId="cart-abandonment", leadId=lead) == fired
    assert [e["event"] for e in server.events(lead)].count("cart_added") == 1


def test_a_cart_bought_before_the_deadline_sends_nothing(server, sender):
    server.fresh_day(10)
    lead, cart = unique("buyer"), unique("cart-id")
    sender.identify(lead, consenting(f"{lead}@example.com"))
    sender.track(lead, "cart_added", {"cart_id": cart})
    sender.deliver()
    server.advance("PT30M")
    sender.track(lead, "purchase", {"cart_id": cart, "revenue": 49})
    sender.deliver()
    server.advance("PT2H")
    assert server.outbox(triggerId="cart-abandonment", leadId=lead) == []
    assert "cart_abandoned" not in [e["event"] for e in server.events(lead)]


# -- 3. frequency caps --------------------------------------------------------------------------


def test_a_second_marketing_email_within_16_hours_waits_for_its_slot_then_for_quiet_hours(server, sender):
    server.fresh_day(10)
    lead = unique("capped")
    sender.identify(lead, consenting(f"{lead}@example.com"))
    sender.track(lead, "newsletter_requested")
    sender.deliver()
    server.advance("PT2H")
    sender.track(lead, "newsletter_requested")
    sender.deliver()

    first, second = server.outbox(triggerId="e2e-newsletter", leadId=lead)
    assert (first["channel"], first["status"], first["category"]) == ("email", "sent", "marketing")
    assert first["sesMessageId"]
    assert (second["channel"], second["status"]) == ("email", "deferred_cap")
    assert second["deliveryId"] != first["deliveryId"]
    assert "sesMessageId" not in second
    # at most 1 marketing email per 16 hours: it waits for the slot 16 hours after the first ...
    slot = parse(first["at"]) + timedelta(hours=16)
    assert parse(second["until"]) == slot
    # ... which opens at 02:00 UTC, inside quiet hours (21:00-08:00): it goes out at 08:00, once
    server.advance("PT22H")
    statuses = {m["deliveryId"]: m for m in server.outbox(triggerId="e2e-newsletter", leadId=lead)}
    sent = statuses[second["deliveryId"]]
    assert (len(statuses), sent["status"]) == (2, "sent")
    assert parse(sent["at"]) == slot.replace(hour=8)
    assert sent["sesMessageId"]


# -- 4. quiet hours -----------------------------------------------------------------------------


def test_a_marketing_email_due_at_23_local_is_deferred_to_08_and_then_sent(server, sender):
    # 04:00 UTC is 23:00 the evening before in New York (EST)
    now = server.fresh_day(4)
    lead = unique("night")
    sender.identify(lead, consenting(f"{lead}@example.com", timezone=NEW_YORK))
    sender.track(lead, "newsletter_requested")
    sender.deliver()

    [deferred] = server.outbox(triggerId="e2e-newsletter", leadId=lead)
    assert (deferred["channel"], deferred["status"]) == ("email", "deferred")
    until = parse(deferred["until"])
    assert until == now.replace(hour=13)  # 08:00 EST the next morning
    assert until.astimezone(ZoneInfo(NEW_YORK)).hour == 8
    assert "sesMessageId" not in deferred

    # Nothing moves just before the window ends
    server.clock_to(until - timedelta(minutes=1))
    assert [m["status"] for m in server.outbox(triggerId="e2e-newsletter", leadId=lead)] == ["deferred"]

    # When the clock passes 08:00 local, the same delivery is sent
    server.clock_to(until + timedelta(minutes=30))
    [sent] = server.outbox(triggerId="e2e-newsletter", leadId=lead)
    assert (sent["deliveryId"], sent["fireId"]) == (deferred["deliveryId"], deferred["fireId"])
    assert sent["firedAt"] == deferred["firedAt"]  # when the trigger fired, not when the mail went
    assert parse(sent["firedAt"]) < until
    assert sent["status"] == "sent"
    assert sent["sesMessageId"]
    assert until <= parse(sent["at"]) <= until + timedelta(minutes=30)


# -- 5. suppression after a bounce or a complaint --------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "feedback"), [("bounce", "email_bounced"), ("complaint", "email_complained")]
)
def test_an_address_that_bounced_or_complained_gets_no_more_email(server, sender, suffix, feedback):
    server.fresh_day(10)
    lead = unique(suffix)
    address = f"{lead}+{suffix}@example.com"
    # The welcome email (default trigger, transactional) is the first email this address gets
    sender.identify(lead, consenting(address))
    sender.deliver()
    [welcome] = server.outbox(triggerId="welcome", leadId=lead)
    assert (welcome["channel"], welcome["status"], welcome["to"]) == ("email", "sent", address)
    assert welcome["sesMessageId"]
    # SES's feedback came back as a lead event for that message
    [event] = [e for e in server.events(lead) if e["event"] == feedback]
    assert event["properties"]["ses_message_id"] == welcome["sesMessageId"]

    # When a marketing email is due for the consenting lead
    server.advance("PT1H")
    sender.track(lead, "newsletter_requested")
    sender.deliver()
    # Then it is suppressed, not sent
    [refused] = server.outbox(triggerId="e2e-newsletter", leadId=lead)
    assert (refused["channel"], refused["status"]) == ("email", "suppressed")
    assert "sesMessageId" not in refused
    assert [m["status"] for m in server.outbox(leadId=lead, channel="email")].count("sent") == 1


# -- 6. A/B bucketing ---------------------------------------------------------------------------


def test_ab_variants_and_the_holdout_are_stable_per_lead_and_split_by_weight(server, sender):
    server.fresh_day(11)
    leads = [f"ab-{i:02d}-{uuid.uuid5(uuid.NAMESPACE_DNS, str(i)).hex[:6]}" for i in range(40)]
    for lead in leads:
        sender.track(lead, "ab_requested")
    sender.deliver()
    server.advance("PT3H")
    for lead in leads:  # a re-run: the event trigger fires again for every lead (reentry every_time)
        sender.track(lead, "ab_requested")
    sender.deliver()

    arms: dict[str, list[str]] = {lead: [] for lead in leads}
    for message in server.outbox(triggerId="e2e-ab"):
        if message["leadId"] in arms:
            arm = "holdout" if message["status"] == "held_out" else message["variant"]
            arms[message["leadId"]].append(arm)
    # Each lead fired twice and landed in the same arm both times
    assert {lead: len(fired) for lead, fired in arms.items()} == dict.fromkeys(leads, 2)
    unstable = {lead: fired for lead, fired in arms.items() if fired[0] != fired[1]}
    assert unstable == {}
    counts = Counter(fired[0] for fired in arms.values())
    assert set(counts) == {"red", "blue", "holdout"}
    # roughly by weight: 20 % held out, the rest 2:1 red/blue (expected 8 / 21.3 / 10.7 of 40)
    assert 2 <= counts["holdout"] <= 16
    assert counts["red"] > counts["blue"] >= 4
    # a variant's emitted event is the one of its arm, once per fire; the holdout emits nothing
    shown: dict[str, list[str]] = {lead: [] for lead in leads}
    for message in server.outbox(triggerId="e2e-ab", channel="event"):
        shown[message["leadId"]].append(message["event"])
    expected = {"red": ["ab_red_shown"] * 2, "blue": ["ab_blue_shown"] * 2, "holdout": []}
    assert shown == {lead: expected[fired[0]] for lead, fired in arms.items()}
