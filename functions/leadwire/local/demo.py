"""``make demo``: replay the bundled demo sessions through ``leadwire local`` over HTTP, day by
day on the simulated clock, and tell what happened: what was stored, what it cost, who entered
and left which segment, and what the triggers did: emails through the simulated SES, signed
webhooks to a stand-in CRM, events on the bus, and a check that nothing went out twice."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
import urllib.request
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from leadwire import schema
from leadwire.core.capacity import item_size, write_units
from leadwire.dal.lead_items import history_intervals
from leadwire.dal.metering import PROCESS_METER
from leadwire.local.demo_accounts import accounts_scene, wire_slack
from leadwire.local.demo_caps import caps_lead, caps_scene
from leadwire.local.demo_data import DEMO_START
from leadwire.local.demo_insight import report_insight
from leadwire.local.demo_onsite import add_come_back, report_onsite
from leadwire.local.demo_safe_change import safe_change_scene, use_demo_thresholds
from leadwire.local.demo_sms import text_scene
from leadwire.local.handoff_receivers import SlackWebhook
from leadwire.local.webhook_receiver import WebhookReceiver

DEMO_FILE = Path(__file__).resolve().parents[3] / "events_samples" / "demo" / "sessions.jsonl"
WRITE_KEY = "demo-write-key"
BATCH_SIZE = 50
REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"
# The default hot-lead-handoff trigger reads its CRM endpoint and signing secret from SSM.
SALES_WEBHOOK_URL = "/leadwire/sales-webhook-url"
SALES_WEBHOOK_SECRET = "/leadwire/sales-webhook-secret"
CRM_SECRET = "whsec_" + base64.b64encode(b"leadwire-demo-crm-signing-secret").decode()
BUS_TAP = "leadwire-demo-bus-tap"
ENGAGE_AFTER = timedelta(days=14)  # once, this far into the replay: a few recipients open and click
ENGAGED_RECIPIENTS = 3
CLICKED_LINK = "https://app.example.com/pricing"
# What the actions write to the table for a fire (the trigger consumer, the timers, the actions
# and the SES feedback), by the meter's kind; derived and feedback events are counted apart.
TRIGGER_WRITE_KINDS = ("fire", "timer", "delivery", "send_log", "delivery_confirmation")
FEEDBACK_EVENTS = (
    "email_delivered",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "email_complained",
    "email_unsubscribed",
    "email_failed",
)


class _Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self._auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Authorization": self._auth},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            raw = response.read()
            return json.loads(raw) if raw else None


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _instant(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(message["timestamp"]).replace("Z", "+00:00"))


def _by_day(messages: list[dict[str, Any]]) -> dict[datetime, list[dict[str, Any]]]:
    days: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
    for message in messages:
        moment = _instant(message)
        days[moment.replace(hour=0, minute=0, second=0, microsecond=0)].append(message)
    return dict(sorted(days.items()))


# -- the world around the pipeline: a CRM, a bus consumer, recipients ---------------------------
def _wire_crm(receiver: WebhookReceiver) -> None:
    """The two SSM parameters the default hot-lead-handoff trigger reads, in moto."""
    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in ((SALES_WEBHOOK_URL, receiver.url("/crm/leads")), (SALES_WEBHOOK_SECRET, CRM_SECRET)):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


class BusTap:
    """A rule on the bus the actions put events on, copying leadwire's events to an SQS queue:
    what a consumer of the bus receives."""

    def __init__(self, bus_name: str | None = None) -> None:
        self.bus_name = bus_name or os.environ.get("EVENT_BUS_NAME") or "default"
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._queue_url = self._sqs.create_queue(QueueName=BUS_TAP)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        pattern = json.dumps({"source": ["leadwire"]})
        events.put_rule(Name=BUS_TAP, EventBusName=self.bus_name, EventPattern=pattern)
        events.put_targets(
            Rule=BUS_TAP, EventBusName=self.bus_name, Targets=[{"Id": "demo", "Arn": queue_arn}]
        )
        self.received: list[dict[str, Any]] = []

    def collect(self) -> list[dict[str, Any]]:
        """Every event delivered so far (the queue is read to the end and emptied)."""
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return self.received
            self.received.extend(json.loads(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


@dataclass
class DeliveryTrail:
    """Every status each delivery went through, read from the table's stream (the outbox shows
    only the last one: an email deferred by quiet hours and sent in the morning says ``sent``)."""

    statuses: dict[str, list[str]] = field(default_factory=dict)

    def observe(self, record: dict[str, Any]) -> None:
        image = record["dynamodb"].get("NewImage") or {}
        if (
            not image.get(schema.SK, {}).get("S", "").startswith(schema.DELIVERY_PREFIX)
            or "status" not in image
        ):
            return
        trail = self.statuses.setdefault(image["deliveryId"]["S"], [])
        status = image["status"]["S"]
        if not trail or trail[-1] != status:
            trail.append(status)


class FeedbackInvocations:
    """Counts the feedback Lambda's invocations: each drain of the simulated SES's queue that
    hands it a batch is one."""

    def __init__(self, ses: Any) -> None:
        self.count = 0
        drain: Callable[[], int] = ses.drain

        def counted() -> int:
            delivered = drain()
            self.count += 1 if delivered else 0
            return delivered

        ses.drain = counted


class FireBatches:
    """Counts the reactions consumer's invocations that held a fire (what the actions cost in
    Lambda invocations; its other batches are the triggers' and run on every event batch anyway)."""

    def __init__(self, consumer: Any) -> None:
        self.count = 0
        handler = consumer.handler

        def counted(event: dict[str, Any], context: Any) -> Any:
            keys = (r["dynamodb"]["Keys"][schema.SK]["S"] for r in event["Records"])
            self.count += any(key.startswith(schema.FIRE_PREFIX) for key in keys)
            return handler(event, context)

        consumer.handler = counted


def _engage(client: _Client, recipients: int = ENGAGED_RECIPIENTS) -> None:
    """A few recipients open their latest email and all but one click in it: SES publishes an Open
    and a Click, which come back as ``email_opened``/``email_clicked`` (scores, email-engaged)."""
    outbox = client.call("GET", "/_local/outbox")["messages"]
    chosen: dict[str, dict[str, Any]] = {}
    for message in reversed(outbox):
        to = str(message.get("to", ""))
        if message["channel"] == "email" and message.get("sesMessageId") and "+" not in to.split("@")[0]:
            chosen.setdefault(message["leadId"], message)
        if len(chosen) == recipients:
            break
    before = {lead: client.call("GET", f"/leads/{lead}") for lead in chosen}
    for index, message in enumerate(chosen.values()):
        client.call("POST", "/_local/email-events", {"messageId": message["sesMessageId"], "type": "open"})
        if index < len(chosen) - 1:
            client.call(
                "POST",
                "/_local/email-events",
                {"messageId": message["sesMessageId"], "type": "click", "link": CLICKED_LINK},
            )
    now = client.call("POST", "/_local/drain")["now"]
    print(
        f"  {now[:16]} {len(chosen)} recipients open an email, {max(len(chosen) - 1, 0)} click in it "
        "(POST /_local/email-events):"
    )
    for index, (lead, message) in enumerate(chosen.items()):
        after = client.call("GET", f"/leads/{lead}")
        engaged = "now in email-engaged" if "email-engaged" in after["segments"] else "not in email-engaged"
        print(
            f"    {message['to']:34s} {'opens, clicks' if index < len(chosen) - 1 else 'opens':13s} "
            f'"{message["subject"][:40]}"  score {before[lead]["score"]:.1f} -> {after["score"]:.1f}, '
            f"{engaged}"
        )


def run_demo(data: Path | None = None, *, serve: bool = False, port: int = 0) -> int:
    """Replay and report; with ``serve``, leave ``leadwire local`` running with the console."""
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.server import LocalServer

    # The feedback Lambda adds no metric of its own where metrics are disabled; Powertools warns.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    use_demo_thresholds()
    messages = sorted(_load(data or DEMO_FILE), key=_instant)
    days = _by_day(messages)
    first_day = min(days, default=DEMO_START)
    runtime = LocalRuntime({WRITE_KEY: "demo"}, clock_start=first_day)
    server = LocalServer(runtime, port=port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = _Client(f"http://127.0.0.1:{server.server_address[1]}")
    crm = WebhookReceiver(CRM_SECRET, fail_first=1)  # its first answer is a 500: the retry keeps the id
    slack = SlackWebhook()  # the sales team's channel, for the hot-account alerts
    try:
        _wire_crm(crm)
        wire_slack(slack, REGION)
        add_come_back(client.call)  # the seed's come-back pop-up, as a marketer adds it
        tap = BusTap()
        trail = DeliveryTrail()
        runtime.pump.observe(trail.observe)
        feedback = FeedbackInvocations(runtime.ses)
        fire_batches = FireBatches(_consumer(runtime, "leadwire-reactions"))
        print(f"leadwire local on {client.url} (moto, in-process), simulated clock from {first_day:%Y-%m-%d}")
        print(
            f"CRM stand-in on {crm.url('/crm/leads')} (ssm:{SALES_WEBHOOK_URL}), answers 500 once; "
            f"bus {tap.bus_name} tapped into SQS"
        )
        print(f"Replaying {len(messages)} Segment messages over {len(days)} days as live traffic")
        started = time.perf_counter()
        engage_at: datetime | None = first_day + ENGAGE_AFTER

        def engage_once(arrival: datetime) -> None:
            nonlocal engage_at
            if engage_at is not None and arrival >= engage_at:
                _engage(client)
                engage_at = None

        accepted, rejected, end = replay(client.call, messages, engage_once)
        elapsed = time.perf_counter() - started
        units = (PROCESS_METER.write_units, PROCESS_METER.read_units)
        writes_by_kind = dict(PROCESS_METER.writes_by_kind)
        resent = client.call("POST", "/v1/batch", {"batch": messages[:BATCH_SIZE]})["accepted"]
        client.call("POST", "/_local/drain")
        table = TableScan(runtime)
        _report_ingestion(table, accepted, rejected, elapsed, units, resent)
        _report_segments(table, client)
        _report_time(table)
        outbox = client.call("GET", "/_local/outbox")["messages"]
        events = table.of(schema.EVENT_PREFIX)
        bus_events = tap.collect()
        _report_actions(table, outbox, trail, crm, bus_events, events)
        invocations = {
            "actions": fire_batches.count,
            "feedback": feedback.count,
            "triggers": _consumer(runtime, "leadwire-reactions").invocations - fire_batches.count,
        }
        fires = [item["cause"]["S"] for item in table.of(schema.FIRE_PREFIX)]
        derived_units = sum(write_units(item_size(item)) for item in events if item["src"]["S"] != "demo")
        print()
        print("\n".join(trigger_costs(writes_by_kind, derived_units, fires, invocations)))
        _report_story(client, messages)
        print("\n".join(report_onsite(client.call)))
        print("\n".join(report_insight(client.call, first_day, end)))
        print("\n".join(accounts_scene(client.call, slack)))
        checks = nothing_twice(_ses_accepted(), outbox, [r.webhook_id for r in crm.accepted], bus_events)
        # After the checks are taken: the change re-evaluates leads, and what that sends is not in them.
        print("\n".join(safe_change_scene(client.url, client.call)))
        print("\n" + "\n".join(format_checks(checks)))
        # After the checks: the scene moves the clock on, and what else that sends is not counted there.
        print("\n".join(text_scene(client.call, _story_lead(client, messages))))
        lead = caps_lead(client.call)
        if lead is None:
            print(
                "\nCaps that defer by priority: no trial user who takes marketing email in this data; skipped"
            )
        else:
            print("\n".join(caps_scene(client.call, lead)))
        _try_it()
        if serve:
            _serve_console(runtime, client.url)
        return 0 if all(check.ok for check in checks) else 1
    finally:
        crm.close()
        slack.close()
        server.shutdown()
        server.server_close()
        runtime.close()


def replay(
    call: Callable[..., Any],
    messages: list[dict[str, Any]],
    after_batch: Callable[[datetime], None] | None = None,
) -> tuple[int, int, datetime]:
    """The messages (sorted by timestamp) as live traffic in batches; then the clock runs to the
    midnight after the last day. Returns accepted, rejected and that end."""
    accepted = rejected = 0
    for start in range(0, len(messages), BATCH_SIZE):
        batch = messages[start : start + BATCH_SIZE]
        # The clock runs to the newest event of the batch (sweeps and timers fire on the way,
        # at their due instants), then the batch arrives, as a site's clients would send it.
        arrival = _instant(batch[-1]) + timedelta(seconds=1)
        call("POST", "/_local/clock", {"to": arrival.isoformat()})
        reply = call("POST", "/v1/batch", {"batch": batch})
        accepted += reply["accepted"]
        rejected += len(reply.get("rejected", []))
        call("POST", "/_local/drain")
        if after_batch is not None:
            after_batch(arrival)
    days = _by_day(messages)
    end = max(days) + timedelta(days=1) if days else DEMO_START
    call("POST", "/_local/clock", {"to": end.isoformat()})
    return accepted, rejected, end


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve_console(runtime: Any, url: str) -> None:
    """Keep serving the replayed state (simulated clock where the replay left it) until stopped."""
    from leadwire.local.server import start_background_pump

    stop = start_background_pump(runtime)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"\nConsole: {url}/console/  (leadwire local keeps running with the demo's data; Ctrl-C stops it)")
    print(f"Admin API: {url}/segments, {url}/triggers, {url}/leads/ID", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


def _consumer(runtime: Any, name: str) -> Any:
    return next(consumer for consumer in runtime.pump.consumers if consumer.name == name)


def _ses_accepted() -> int:
    """The messages moto's SES accepted (SESv2 sends through the SES v1 backend)."""
    from moto.ses.models import ses_backends

    return len(ses_backends[MOTO_ACCOUNT][REGION].sent_messages)


class TableScan:
    """The table as one scan read it after the replay: the reports read it once, not once each
    (a scan of the whole table through moto costs seconds on the demo)."""

    def __init__(self, runtime: Any) -> None:
        pages = runtime.dynamodb.get_paginator("scan").paginate(TableName="leadwire-local")
        self.items = [item for page in pages for item in page["Items"]]

    def of(self, prefix: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item["sk"]["S"].startswith(prefix)]


def _report_ingestion(
    table: TableScan, accepted: int, rejected: int, elapsed: float, units: tuple[float, float], resent: int
) -> None:
    events = table.of("EVT#")
    print(f"\nIngestion: accepted {accepted}, rejected {rejected}, in {elapsed:.1f} s with segmentation")
    print(f"  stored {len(events)} event items; resending a batch of {resent} stored nothing new")
    print(
        f"  DynamoDB: {units[0] / max(accepted, 1):.2f} write units and {units[1] / max(accepted, 1):.2f} "
        "read units per event (events, lead state, memberships, history, triggers and their actions)"
    )


def _report_segments(table: TableScan, client: _Client) -> None:
    history = history_intervals(table.of("HIST#"))
    entered = Counter(interval["segmentId"] for interval in history)
    exited = Counter(interval["segmentId"] for interval in history if interval["exitedAt"])
    print(f"\nSegments at {client.call('POST', '/_local/drain')['now'][:10]}:")
    print(f"  {'segment':28s} {'entered':>8s} {'left':>6s} {'members':>8s}  e.g.")
    for segment in client.call("GET", "/segments")["segments"]:
        members = client.call("GET", f"/segments/{segment['id']}/members?limit=1000")["members"]
        sample = ", ".join(m["leadId"] for m in members[:3])
        print(
            f"  {segment['id']:28s} {entered[segment['id']]:8d} {exited[segment['id']]:6d} "
            f"{len(members):8d}  {sample}"
        )


def _report_time(table: TableScan) -> None:
    """What happened with no event from the lead: the sweep and the timers, at their due instants."""
    history = history_intervals(table.of("HIST#"))
    entered = Counter(i["segmentId"] for i in history if i["cause"]["entered"] == "time")
    exited = Counter(i["segmentId"] for i in history if i["cause"]["exited"] == "time")
    print("\nWhat time alone did (the sweep, at each flip's due instant):")
    for segment in sorted(set(entered) | set(exited)):
        print(f"  {segment:28s} {entered[segment]:4d} entered {exited[segment]:4d} left")


# -- triggers and actions -----------------------------------------------------------------------
STATUS_ORDER = (
    "sent",
    "deferred then sent",
    "deferred_cap then sent",
    "capped",
    "expired",
    "suppressed",
    "no_consent",
    "held_out",
    "skipped",
)


def status_label(final: str, trail: Iterable[str]) -> str:
    """``sent``, or ``deferred then sent`` when the delivery waited on the way (``sending``, the
    claim before each send, is not worth telling)."""
    earlier = [status for status in trail if status not in ("sending", final)]
    return " then ".join([*dict.fromkeys(earlier), final])


def delivery_counts(
    outbox: Iterable[Mapping[str, Any]], trails: Mapping[str, list[str]]
) -> dict[tuple[str, str], Counter[str]]:
    """Per (trigger, channel): how many deliveries ended how."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for message in outbox:
        label = status_label(message["status"], trails.get(message["deliveryId"], []))
        counts[(message["triggerId"], message["channel"])][label] += 1
    return dict(sorted(counts.items()))


def _ordered(counts: Counter[str]) -> str:
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    labels = sorted(counts, key=lambda label: (rank.get(label, len(rank)), label))
    return ", ".join(f"{counts[label]} {label}" for label in labels)


def variant_lines(outbox: Iterable[Mapping[str, Any]], trigger_id: str) -> list[str]:
    """Per A/B arm: the fires it got and what became of their emails."""
    arms: dict[str, set[str]] = defaultdict(set)
    emails: dict[str, Counter[str]] = defaultdict(Counter)
    for message in outbox:
        if message["triggerId"] != trigger_id:
            continue
        arm = "holdout" if message["status"] == "held_out" else str(message.get("variant") or "?")
        arms[arm].add(message["fireId"])
        if message["channel"] == "email":
            emails[arm][message["status"]] += 1
    return [
        f"{arm} {len(fires)} fires" + (f" (emails: {_ordered(emails[arm])})" if emails[arm] else "")
        for arm, fires in sorted(arms.items())
    ]


def example_emails(
    outbox: Iterable[Mapping[str, Any]], trails: Mapping[str, list[str]], count: int = 3
) -> list[str]:
    """The first email each trigger sent, for a few triggers; one that waited for quiet hours first."""
    sent = [m for m in outbox if m["channel"] == "email" and m["status"] == "sent"]
    waited = [m for m in sent if "deferred" in trails.get(m["deliveryId"], [])]
    chosen: dict[str, Mapping[str, Any]] = {}
    for message in waited[:1] + sent:
        chosen.setdefault(message["triggerId"], message)
    lines = []
    for message in list(chosen.values())[:count]:
        waited_note = ", held for quiet hours" if "deferred" in trails.get(message["deliveryId"], []) else ""
        lines.append(
            f'{message["at"][:16]} to {message["to"]}: "{message["subject"]}" '
            f"({message['triggerId']}, fired {message['firedAt'][:16]}{waited_note})"
        )
    return lines


def crm_lines(requests: Iterable[Any]) -> list[str]:
    """What the CRM stand-in saw: requests, verified signatures, answers, distinct ids accepted."""
    requests = list(requests)
    answers = Counter(request.status for request in requests)
    accepted = {request.webhook_id for request in requests if request.status == 200}
    unverified = sum(1 for request in requests if not request.verified)
    lines = [
        f"{len(requests)} requests ({', '.join(f'{n} answered {s}' for s, n in sorted(answers.items()))}), "
        f"{len(requests) - unverified} with a valid signature; {len(accepted)} distinct webhook ids accepted"
    ]
    for request in requests:
        if request.status != 200 and request.webhook_id in accepted:
            retried = [r.status for r in requests if r.webhook_id == request.webhook_id]
            lines.append(
                f"{request.webhook_id}: answered {', then '.join(map(str, retried))}, the same id each time "
                f"(lead {request.payload.get('data', {}).get('leadId')})"
            )
    return lines


def feedback_counts(events: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """SES feedback stored as lead events (source ``ses``), by event name."""
    return Counter(item["e"]["S"] for item in events if item["src"]["S"] == "ses" and "e" in item)


def suppressed_lines(states: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Leads whose address is suppressed, and the feedback that did it."""
    from leadwire.dal.lead_items import lead_from_item

    causes: dict[str, list[str]] = defaultdict(list)
    for item in events:
        if item["src"]["S"] == "ses" and item.get("e", {}).get("S") in ("email_bounced", "email_complained"):
            causes[schema.lead_id_from_pk(item[schema.PK]["S"])].append(
                f"{item['e']['S']} {item['ts']['S'][:16]}"
            )
    lines = []
    for item in states:
        record = lead_from_item(dict(item))
        if record.state.suppressed:
            address = record.state.traits.get("email", "?")
            because = ", ".join(sorted(causes.get(record.lead_id, []))) or "?"
            lines.append(f"{record.lead_id} <{address}>: {', '.join(record.state.suppressed)} ({because})")
    return lines


def _report_actions(
    table: TableScan,
    outbox: list[dict[str, Any]],
    trail: DeliveryTrail,
    crm: WebhookReceiver,
    bus_events: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    fires = {message["fireId"] for message in outbox}
    print(f"\nTriggers and actions (GET /_local/outbox: {len(outbox)} deliveries of {len(fires)} fires):")
    for (trigger, channel), counts in delivery_counts(outbox, trail.statuses).items():
        print(f"  {trigger:20s} {channel:12s} {_ordered(counts)}")
    arms = variant_lines(outbox, "stalled-trial-tips")
    print("  A/B stalled-trial-tips: " + ("; ".join(arms) or "no fires"))
    print("  Emails, e.g.:")
    for line in example_emails(outbox, trail.statuses):
        print(f"    {line}")
    for message in [m for m in outbox if m.get("event") == "cart_abandoned"][:2]:
        cart = message["properties"].get("cart_id")
        print(f"  {message['leadId']} abandoned cart {cart} (cart_abandoned at {message['firedAt'][:16]})")
    print("  CRM stand-in (hot-lead-handoff webhook, Standard Webhooks signatures):")
    for line in crm_lines(crm.requests):
        print(f"    {line}")
    by_type = Counter(str(event.get("detail-type")) for event in bus_events)
    delivered = ", ".join(f"{name} {n}" for name, n in sorted(by_type.items())) or "none"
    print(f"  Bus events delivered (a rule on the bus into SQS): {delivered}")
    feedback = feedback_counts(events)
    print(
        "  SES feedback as lead events: " + ", ".join(f"{name} {feedback[name]}" for name in FEEDBACK_EVENTS)
    )
    print("  Suppressed addresses:")
    for line in suppressed_lines(table.of(schema.STATE_SK), events) or ["none"]:
        print(f"    {line}")


def trigger_costs(
    writes_by_kind: Mapping[str, float],
    derived_units: float,
    fire_causes: Iterable[str],
    invocations: Mapping[str, int],
) -> list[str]:
    """Write units and Lambda invocations per fired trigger (a deferred re-fire is not a new fire)."""
    from leadwire.core.fires import DEFER_PREFIX

    causes = list(fire_causes)
    refires = sum(1 for cause in causes if cause.startswith(DEFER_PREFIX))
    fires = len(causes) - refires
    kinds = {kind: writes_by_kind[kind] for kind in TRIGGER_WRITE_KINDS if writes_by_kind.get(kind)}
    total = sum(kinds.values()) + derived_units
    calls = invocations.get("actions", 0) + invocations.get("feedback", 0)
    per_kind = ", ".join(f"{kind} {units:.0f}" for kind, units in kinds.items())
    return [
        f"Cost of triggers ({fires} fires, {refires} deferred re-fires):",
        f"  write units: {per_kind}, derived and SES feedback events {derived_units:.0f} = {total:.0f}, "
        f"{total / max(fires, 1):.1f} per fire",
        f"  Lambda invocations: actions {invocations.get('actions', 0)}, SES feedback "
        f"{invocations.get('feedback', 0)} = {calls}, {calls / max(fires, 1):.2f} per fire (batched; the "
        f"triggers consumer's {invocations.get('triggers', 0)} run on every event batch anyway)",
    ]


@dataclass(frozen=True)
class Check:
    """What a receiver got against what the delivery log says was sent."""

    received: str
    logged: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _compare(received: Counter[str], logged: Counter[str], noun: str) -> str:
    twice = sorted(key for key, n in received.items() if n > 1)
    unlogged = sorted(set(received) - set(logged))
    missing = sorted(set(logged) - set(received))
    problems = [
        f"{label} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
        for label, keys in (
            (f"{noun} received twice:", twice),
            (f"{noun} received but not logged sent:", unlogged),
            (f"{noun} logged sent but not received:", missing),
        )
        if keys
    ]
    return "; ".join(problems)


def nothing_twice(
    ses_accepted: int,
    outbox: Iterable[Mapping[str, Any]],
    webhook_ids_accepted: Iterable[str],
    bus_events: Iterable[Mapping[str, Any]],
) -> list[Check]:
    """SES's accepted messages = emails logged sent; the webhook ids the receiver answered 200 =
    webhooks logged sent (each once); the bus events delivered = bus events logged sent (by their
    ``deliveryId``, each once)."""
    sent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for message in outbox:
        if message["status"] == "sent":
            sent[message["channel"]].append(message)
    emails = len(sent["email"])
    email_problem = (
        "" if ses_accepted == emails else f"SES accepted {ses_accepted}, the log says {emails} sent"
    )
    hooks = Counter(webhook_ids_accepted)
    logged_hooks = Counter(str(m.get("webhookId")) for m in sent["webhook"])
    bus = Counter(str(event.get("detail", {}).get("deliveryId")) for event in bus_events)
    logged_bus = Counter(str(m["deliveryId"]) for m in sent["eventbridge"])
    return [
        Check(f"SES accepted {ses_accepted} messages", f"{emails} email deliveries sent", email_problem),
        Check(
            f"CRM accepted {len(hooks)} webhook ids",
            f"{len(sent['webhook'])} webhook deliveries sent",
            _compare(hooks, logged_hooks, "webhook id"),
        ),
        Check(
            f"bus delivered {sum(bus.values())} events",
            f"{len(sent['eventbridge'])} eventbridge deliveries sent",
            _compare(bus, logged_bus, "bus event of delivery"),
        ),
    ]


def format_checks(checks: list[Check]) -> list[str]:
    lines = ["Nothing twice (what each receiver got = what the delivery log says was sent):"]
    for check in checks:
        verdict = "OK" if check.ok else f"MISMATCH: {check.problem}"
        lines.append(f"  {check.received:32s} = {check.logged:36s} {verdict}")
    if all(check.ok for check in checks):
        lines.append("  OK: every email, webhook and bus event went out once")
    else:
        lines.append("  FAILED: a receiver got something the log does not say was sent once")
    return lines


def _story_lead(client: _Client, messages: list[dict[str, Any]]) -> str:
    known = next(m for m in messages if m.get("type") == "identify" and m.get("anonymousId"))
    return str(client.call("GET", f"/leads/{known['anonymousId']}")["leadId"])


def _report_story(client: _Client, messages: list[dict[str, Any]]) -> None:
    known = next(m for m in messages if m.get("type") == "identify" and m.get("anonymousId"))
    lead = client.call("GET", f"/leads/{known['anonymousId']}")
    print(f"\nOne lead: anonymous visitor {known['anonymousId']} identified as {lead['leadId']}")
    print(f"  score {lead['score']:.1f} ({lead['band']}), highest {lead['maxScore']:.1f}")
    print(f"  segments now: {', '.join(lead['segments'])}")
    for interval in client.call("GET", f"/leads/{lead['leadId']}/history")["history"][:12]:
        left = interval["exitedAt"] or "still a member"
        print(f"  {interval['segmentId']:26s} {interval['enteredAt'][:16]} -> {left[:16]}")
    print(f"  {returning_line(client.call, lead['leadId'])}")
    deliveries = client.call("GET", "/_local/outbox")["messages"]
    for message in [m for m in deliveries if m["leadId"] == lead["leadId"]][:6]:
        what = message.get("subject") or message.get("detailType") or message.get("event") or ""
        if message["channel"] == "webhook":
            what = f"answered {message.get('statusCode')} after {message.get('attempts')} attempts"
        print(
            f"  {message['at'][:16]} {message['triggerId']:20s} {message['channel']:11s} "
            f"{message['status']:9s} {what}"
        )


def returning_line(call: Callable[..., Any], lead_id: str) -> str:
    """The lead's visits, from the explain trace of Returning Visitors (a second visit)."""
    why = call("GET", f"/segments/returning-visitors/explain/{lead_id}")
    visits = why["tree"]["value"]
    if not why["member"]:
        return f"visits: {visits} so far (runs of activity with gaps under 30 minutes), not yet returning"
    entered = next(
        (
            h
            for h in call("GET", f"/leads/{lead_id}/history")["history"]
            if h["segmentId"] == "returning-visitors"
        ),
        None,
    )
    when = "" if entered is None else f", returning since {entered['enteredAt'][:16]}"
    return f"visits: {visits} (runs of activity with gaps under 30 minutes){when}"


def _try_it() -> None:
    print("\nTry it yourself:")
    print(f"  .venv/bin/leadwire local --port 8787 --write-key {WRITE_KEY}")
    print("  curl -s http://127.0.0.1:8787/segments/hot-leads/members")
    print("  curl -s http://127.0.0.1:8787/_local/outbox")
