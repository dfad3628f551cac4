"""``leadwire bench --replay-months N``: months of a shop through ``leadwire local`` on the
simulated clock, a day at a time, checking that every cart-abandonment timer fires at its deadline.

The shop: 100 visitors and about 5,200 events a month (six months: 600 visitors, 31k events), the
bench's clickstream. Each day's events are posted (100 per request) while the clock stands at the
start of the day, then the clock advances a day, so sweeps and timers run at their own instants
(DESIGN.md: advancing time behaves as if the clock ran through).
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from leadwire.local.bench import BENCH_START, REQUEST_SIZE, WRITE_KEY, generate_workload

VISITORS_PER_MONTH = 100
EVENTS_PER_MONTH = 5_200
CART_TIMEOUT = timedelta(hours=1)  # the default config's cart-abandonment wait


def _instant(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def expected_cart_deadlines(workload: list[dict[str, Any]]) -> Counter[datetime]:
    """Deadlines of the carts that must be abandoned: added, not bought within the hour, and not
    added again while an earlier wait on the same cart was still open (that starts nothing)."""
    added: dict[str, list[datetime]] = {}
    bought: dict[str, list[datetime]] = {}
    for message in workload:
        cart = (message.get("properties") or {}).get("cart_id")
        if cart and message.get("event") in ("cart_added", "purchase"):
            target = added if message["event"] == "cart_added" else bought
            target.setdefault(cart, []).append(_instant(message["timestamp"]))
    deadlines: Counter[datetime] = Counter()
    for cart, times in added.items():
        open_until: datetime | None = None
        for at in sorted(times):
            if open_until is not None and at < open_until:
                continue
            open_until = at + CART_TIMEOUT
            if not any(at <= paid <= open_until for paid in bought.get(cart, [])):
                deadlines[open_until] += 1
    return deadlines


def run_replay(
    months: int, *, events_per_month: int = EVENTS_PER_MONTH, visitors_per_month: int = VISITORS_PER_MONTH
) -> dict[str, Any]:
    from leadwire.local.runtime import LocalRuntime

    days = round(months * 30.5)
    workload = generate_workload(events_per_month * months, visitors_per_month * months, days=days)
    runtime = LocalRuntime({WRITE_KEY: "replay"}, clock_start=BENCH_START)
    auth = [("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode())]
    try:
        started = time.perf_counter()
        day, index = BENCH_START, 0
        last = _instant(workload[-1]["timestamp"]) + timedelta(days=1)
        while day < last:
            end = day + timedelta(days=1)
            todays: list[dict[str, Any]] = []
            while index < len(workload) and _instant(workload[index]["timestamp"]) < end:
                todays.append(workload[index])
                index += 1
            for start in range(0, len(todays), REQUEST_SIZE):
                body = json.dumps({"batch": todays[start : start + REQUEST_SIZE]}).encode()
                response = runtime.handle("POST", "/v1/batch", "", auth, body, "127.0.0.1")
                if response.status != 200:
                    raise RuntimeError(f"ingestion answered {response.status}: {response.body[:200]!r}")
            runtime.run_until(end)
            day = end
        seconds = time.perf_counter() - started
        fired = Counter(
            _instant(m["at"])
            for m in runtime.outbox()
            if m["triggerId"] == "cart-abandonment" and m["channel"] == "event"
        )
        expected = expected_cart_deadlines(workload)
        return {
            "months": months,
            "days": days,
            "events": len(workload),
            "visitors": visitors_per_month * months,
            "seconds": round(seconds, 1),
            "events_per_second": round(len(workload) / seconds, 1),
            "cart_timers_expected": sum(expected.values()),
            "cart_timers_fired": sum(fired.values()),
            "cart_timers_fired_at_deadline": sum((fired & expected).values()),
            "all_cart_timers_at_deadline": fired == expected,
        }
    finally:
        runtime.close()


def main(months: int) -> int:
    report = run_replay(months)
    print(json.dumps(report))
    return 0 if report["all_cart_timers_at_deadline"] else 1
