"""What ``make demo`` asserts: nothing went out twice. What each receiver got (SES, the CRM
stand-in, the bus tap) against what the delivery log says was sent."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


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
