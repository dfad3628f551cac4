"""What ``make demo`` prints after its replay: what was stored and what it cost, who entered and
left which segment, what time alone did, what the triggers and actions did, and one lead's story.
The stored items are read through the dal (a ``TableSnapshot``), the rest over the HTTP API."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from leadwire.core.instants import iso
from leadwire.core.leads import LeadRecord
from leadwire.core.tracking import StoredEvent
from leadwire.dal.table_snapshot import TableSnapshot
from leadwire.local.demo.world import DeliveryTrail
from leadwire.local.webhook_receiver import WebhookReceiver

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


# -- ingestion, segments and time ------------------------------------------------------------
def report_ingestion(
    stored: int, accepted: int, rejected: int, elapsed: float, units: tuple[float, float], resent: int
) -> None:
    print(f"\nIngestion: accepted {accepted}, rejected {rejected}, in {elapsed:.1f} s with segmentation")
    print(f"  stored {stored} event items; resending a batch of {resent} stored nothing new")
    print(
        f"  DynamoDB: {units[0] / max(accepted, 1):.2f} write units and {units[1] / max(accepted, 1):.2f} "
        "read units per event (events, lead state, memberships, history, triggers and their actions)"
    )


def report_segments(history: list[dict[str, Any]], call: Callable[..., Any]) -> None:
    entered = Counter(interval["segmentId"] for interval in history)
    exited = Counter(interval["segmentId"] for interval in history if interval["exitedAt"])
    print(f"\nSegments at {call('POST', '/_local/drain')['now'][:10]}:")
    print(f"  {'segment':28s} {'entered':>8s} {'left':>6s} {'members':>8s}  e.g.")
    for segment in call("GET", "/segments")["segments"]:
        members = call("GET", f"/segments/{segment['id']}/members?limit=1000")["members"]
        sample = ", ".join(m["leadId"] for m in members[:3])
        print(
            f"  {segment['id']:28s} {entered[segment['id']]:8d} {exited[segment['id']]:6d} "
            f"{len(members):8d}  {sample}"
        )


def report_time(history: list[dict[str, Any]]) -> None:
    """What happened with no event from the lead: the sweep and the timers, at their due instants."""
    entered = Counter(i["segmentId"] for i in history if i["cause"]["entered"] == "time")
    exited = Counter(i["segmentId"] for i in history if i["cause"]["exited"] == "time")
    print("\nWhat time alone did (the sweep, at each flip's due instant):")
    for segment in sorted(set(entered) | set(exited)):
        print(f"  {segment:28s} {entered[segment]:4d} entered {exited[segment]:4d} left")


# -- triggers and actions -----------------------------------------------------------------------
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


def feedback_counts(events: Iterable[StoredEvent]) -> Counter[str]:
    """SES feedback stored as lead events (source ``ses``), by event name."""
    return Counter(event.event for event in events if event.source == "ses" and event.event is not None)


def suppressed_lines(leads: Iterable[LeadRecord], events: Iterable[StoredEvent]) -> list[str]:
    """Leads whose address is suppressed, and the feedback that did it."""
    causes: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event.source == "ses" and event.event in ("email_bounced", "email_complained"):
            causes[event.lead_id].append(f"{event.event} {iso(event.timestamp)[:16]}")
    lines = []
    for record in leads:
        if record.state.suppressed:
            address = record.state.traits.get("email", "?")
            because = ", ".join(sorted(causes.get(record.lead_id, []))) or "?"
            lines.append(f"{record.lead_id} <{address}>: {', '.join(record.state.suppressed)} ({because})")
    return lines


def report_actions(
    table: TableSnapshot,
    outbox: list[dict[str, Any]],
    trail: DeliveryTrail,
    crm: WebhookReceiver,
    bus_events: list[dict[str, Any]],
    events: list[StoredEvent],
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
    for line in suppressed_lines(table.leads(), events) or ["none"]:
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


# -- one lead's story -------------------------------------------------------------------------
def _story_identify(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in messages if m.get("type") == "identify" and m.get("anonymousId"))


def story_lead(call: Callable[..., Any], messages: list[dict[str, Any]]) -> str:
    """The lead the story follows: the first anonymous visitor who identified."""
    return str(call("GET", f"/leads/{_story_identify(messages)['anonymousId']}")["leadId"])


def report_story(call: Callable[..., Any], messages: list[dict[str, Any]]) -> None:
    known = _story_identify(messages)
    lead = call("GET", f"/leads/{known['anonymousId']}")
    print(f"\nOne lead: anonymous visitor {known['anonymousId']} identified as {lead['leadId']}")
    print(f"  score {lead['score']:.1f} ({lead['band']}), highest {lead['maxScore']:.1f}")
    print(f"  segments now: {', '.join(lead['segments'])}")
    for interval in call("GET", f"/leads/{lead['leadId']}/history")["history"][:12]:
        left = interval["exitedAt"] or "still a member"
        print(f"  {interval['segmentId']:26s} {interval['enteredAt'][:16]} -> {left[:16]}")
    print(f"  {returning_line(call, lead['leadId'])}")
    deliveries = call("GET", "/_local/outbox")["messages"]
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


def try_it(write_key: str) -> None:
    print("\nTry it yourself:")
    print(f"  .venv/bin/leadwire local --port 8787 --write-key {write_key}")
    print("  curl -s http://127.0.0.1:8787/segments/hot-leads/members")
    print("  curl -s http://127.0.0.1:8787/_local/outbox")
