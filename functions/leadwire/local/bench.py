"""``leadwire bench``: a realistic synthetic workload through the local pipeline, with DynamoDB
units counted at the adapters (item sizes, AWS rounding) and priced as DESIGN.md says.

The workload: leads arrive over the period and browse in sessions (a few to a dozen events,
seconds to minutes apart); some sign up for a trial and call the API, some add to cart and buy,
some open emails; most anonymous visitors identify at some point (an identify carrying both
ids, which merges their anonymous history). Events are posted in time order, 100 per request, as
a busy site's clients would, and the stream is drained after every request, as Lambda polls.
The default configuration's hot-lead handoff posts signed webhooks to a CRM: a local receiver
that verifies them stands in for it (as in ``make demo``), so the bench times deliveries that
land, not a missing URL refused every time.
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadwire.core.capacity import USD_PER_MILLION_READ_UNITS, USD_PER_MILLION_WRITE_UNITS
from leadwire.core.pricing import FunctionRun, Usage, cost_parts, email_usd
from leadwire.dal.metering import PROCESS_METER

BENCH_START = datetime(2026, 9, 1, tzinfo=UTC)
WRITE_KEY = "bench-write-key"
REQUEST_SIZE = 100

_PAGES = ["/", "/pricing", "/docs/quickstart", "/docs/api", "/blog/segmentation", "/features", "/customers"]
_STEPS = [
    ("page", 0.55),
    ("api_call", 0.15),
    ("email_opened", 0.05),
    ("email_clicked", 0.02),
    ("cart_added", 0.03),
    ("purchase", 0.015),
    ("trial_signup", 0.02),
    ("whitepaper_downloaded", 0.02),
    ("webinar_registered", 0.015),
    ("demo_requested", 0.01),
    ("feature_used", 0.12),
]


@dataclass(frozen=True)
class BenchResult:
    events: int
    leads: int
    seconds: float
    write_units: float
    read_units: float
    writes_by_kind: dict[str, float]
    reads_by_kind: dict[str, float]
    stream_batches: int
    moto_put_items_per_second: float
    moto_direct_put_items_per_second: float
    usage: Usage
    deliveries: dict[str, int]  # "<channel> <status>": how many deliveries ended so
    webhooks_verified: int  # signed webhooks the CRM stand-in verified and accepted

    def to_json(self) -> dict[str, Any]:
        parts = cost_parts(self.usage)
        per_million = 1e6 / self.events
        events_per_second = self.events / self.seconds
        return {
            "events": self.events,
            "leads": self.leads,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(events_per_second, 1),
            "moto_put_items_per_second": round(self.moto_put_items_per_second, 1),
            "floor_ratio": round(events_per_second / self.moto_put_items_per_second, 3),
            # the same probe through local/moto_direct.py's shortcut, which the runtime uses
            "moto_direct_put_items_per_second": round(self.moto_direct_put_items_per_second, 1),
            "write_units_per_event": round(self.write_units / self.events, 3),
            "read_units_per_event": round(self.read_units / self.events, 3),
            "usd_per_million_events": round(sum(parts.values()) * per_million, 4),
            "usd_per_million_events_by_part": {k: round(v * per_million, 4) for k, v in parts.items()},
            "email_usd_per_million_events_not_included": round(email_usd(self.usage) * per_million, 4),
            "lambda": {
                name: {
                    "invocations": run.invocations,
                    "ms_per_invocation": round(1000 * run.seconds / max(1, run.invocations), 1),
                    "memory_mb": run.memory_mb,
                }
                for name, run in sorted(self.usage.functions.items())
            },
            "api_requests": len(self.usage.api_request_bytes),
            "state_transitions": self.usage.state_transitions,
            "bus_events": self.usage.bus_events,
            "deliveries": dict(sorted(self.deliveries.items())),
            "webhooks_verified": self.webhooks_verified,
            "breakdown_write_units_per_event": _per_event(self.writes_by_kind, self.events),
            "breakdown_read_units_per_event": _per_event(self.reads_by_kind, self.events),
            "stream_batches": self.stream_batches,
            "prices": {
                "usd_per_million_write_units": USD_PER_MILLION_WRITE_UNITS,
                "usd_per_million_read_units": USD_PER_MILLION_READ_UNITS,
            },
        }


def _per_event(units_by_kind: dict[str, float], events: int) -> dict[str, float]:
    """Units per event by item kind (``event``, ``lead``, ``member``, ``history``, ``fire``, ...)."""
    return {kind: round(units / events, 3) for kind, units in sorted(units_by_kind.items())}


def _session(rng: random.Random, lead: int, start: datetime, size: int, known: bool) -> list[dict[str, Any]]:
    anonymous_id = f"anon-{lead}"
    user_id = f"user-{lead}" if known else None
    messages: list[dict[str, Any]] = []
    at = start
    names, weights = zip(*_STEPS, strict=True)
    for _ in range(size):
        at += timedelta(seconds=rng.randint(5, 240))
        step = rng.choices(names, weights)[0]
        base: dict[str, Any] = {
            "anonymousId": anonymous_id,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
        }
        if user_id:
            base["userId"] = user_id
        if step == "page":
            path = rng.choice(_PAGES)
            messages.append({**base, "type": "page", "name": path, "properties": {"path": path}})
        else:
            properties = (
                {"cart_id": f"cart-{lead}-{rng.randint(1, 3)}", "value": 49} if "cart" in step else {}
            )
            messages.append({**base, "type": "track", "event": step, "properties": properties})
    return messages


def generate_workload(events: int, leads: int, days: int = 7, seed: int = 11) -> list[dict[str, Any]]:
    """``events`` Segment messages from ``leads`` visitors over ``days``, in time order."""
    rng = random.Random(seed)
    span = days * 86400
    per_lead = max(1, events // leads)
    messages: list[dict[str, Any]] = []
    for lead in range(leads):
        first = BENCH_START + timedelta(seconds=rng.randint(0, span * 2 // 3))
        remaining = per_lead if lead < leads - 1 else events - len(messages)
        identified_after = rng.randint(1, max(1, remaining)) if rng.random() < 0.6 else None
        sent = 0
        session_start = first
        while sent < remaining:
            size = min(remaining - sent, rng.randint(3, 12))
            known = identified_after is not None and sent >= identified_after
            if identified_after is not None and not known and sent + size >= identified_after:
                identify_at = session_start + timedelta(seconds=1)
                messages.append(
                    {
                        "type": "identify",
                        "userId": f"user-{lead}",
                        "anonymousId": f"anon-{lead}",
                        "timestamp": identify_at.isoformat().replace("+00:00", "Z"),
                        "traits": {
                            "email": f"lead{lead}@example.com",
                            "company_size": rng.choice([12, 80, 600, 4000]),
                        },
                    }
                )
                sent += 1
                size = min(size, remaining - sent)
                known = True
            messages.extend(_session(rng, lead, session_start, size, known))
            sent += size
            session_start += timedelta(hours=rng.randint(6, 72))
    for index, message in enumerate(messages):
        message["messageId"] = f"bench-{seed}-{index}"
    messages.sort(key=lambda m: str(m["timestamp"]))
    return messages[:events]


def _instant(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def measure_moto_put_items(client: Any, items: int = 500, rounds: int = 3) -> float:
    """``put_item`` calls per second on this process's moto: the floor a local replay can approach.

    A table of its own (same key schema, no stream, so the pipeline never sees it), small items
    like an event's, one call each, timed after a warm-up. The best of ``rounds`` rounds: a
    round a busy machine slowed would lower the floor and flatter the ratio.
    """
    table = "leadwire-floor-probe"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    payload = {"S": json.dumps({"path": "/pricing", "title": "Pricing", "plan": "pro"})}

    def put(n: int) -> None:
        item = {"pk": {"S": f"LEAD#probe-{n % 97}"}, "sk": {"S": f"EVT#probe-{n}"}, "p": payload}
        client.put_item(TableName=table, Item=item)

    for n in range(50):
        put(-n - 1)
    rates = []
    for round_ in range(rounds):
        started = time.perf_counter()
        for n in range(items):
            put(round_ * items + n)
        rates.append(items / (time.perf_counter() - started))
    client.delete_table(TableName=table)
    return max(rates)


def run_bench(events: int, leads: int) -> BenchResult:
    from leadwire.deployment import MEMORY_MB
    from leadwire.local import moto_direct
    from leadwire.local.demo.world import CRM_SECRET, wire_crm
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.webhook_receiver import WebhookReceiver

    workload = generate_workload(events, leads)
    runtime = LocalRuntime({WRITE_KEY: "bench"}, clock_start=BENCH_START)
    auth = [("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode())]
    crm = WebhookReceiver(CRM_SECRET)
    try:
        wire_crm(crm)
        with moto_direct.suspended():
            floor = measure_moto_put_items(runtime.dynamodb)
        direct_floor = measure_moto_put_items(runtime.dynamodb)
        PROCESS_METER.__init__()  # type: ignore[misc]
        runtime.usage.reset()
        request_bytes: list[int] = []
        started = time.perf_counter()
        for start in range(0, len(workload), REQUEST_SIZE):
            request = workload[start : start + REQUEST_SIZE]
            assert runtime.clock is not None
            # Live traffic: the clock is where the newest event of the request is.
            runtime.clock.move_to(_instant(request[-1]["timestamp"]) + timedelta(seconds=1))
            body = json.dumps({"batch": request}).encode()
            request_bytes.append(len(body))
            response = runtime.handle("POST", "/v1/batch", "", auth, body, "127.0.0.1")
            if response.status != 200:
                raise RuntimeError(f"ingestion answered {response.status}: {response.body[:200]!r}")
            runtime.drain()
        seconds = time.perf_counter() - started
        outbox = runtime.outbox()
        channels = Counter(message["channel"] for message in outbox)
        usage = Usage(
            write_units=PROCESS_METER.write_units,
            read_units=PROCESS_METER.read_units,
            functions={
                name: FunctionRun(run.invocations, run.seconds, MEMORY_MB[name])
                for name, run in runtime.usage.functions.items()
            },
            api_request_bytes=request_bytes,
            state_transitions=runtime.timers.transitions,
            bus_events=channels["eventbridge"],
            emails=channels["email"],
        )
        consumer = runtime.pump.consumers[0]
        return BenchResult(
            events=len(workload),
            leads=leads,
            seconds=seconds,
            write_units=PROCESS_METER.write_units,
            read_units=PROCESS_METER.read_units,
            writes_by_kind=dict(PROCESS_METER.writes_by_kind),
            reads_by_kind=dict(PROCESS_METER.reads_by_kind),
            stream_batches=consumer.invocations,
            moto_put_items_per_second=floor,
            moto_direct_put_items_per_second=direct_floor,
            usage=usage,
            deliveries=dict(Counter(f"{m['channel']} {m['status']}" for m in outbox)),
            webhooks_verified=len(crm.accepted),
        )
    finally:
        crm.close()
        runtime.close()


def main(events: int, leads: int, as_json: bool) -> int:
    result = run_bench(events, leads).to_json()
    if as_json:
        print(json.dumps(result))
        return 0
    print(f"{result['events']} events from {result['leads']} leads in {result['seconds']} s")
    print(f"  {result['events_per_second']} events/s through ingestion and segmentation (in-process, moto)")
    print(f"  write units per event: {result['write_units_per_event']}")
    print(f"    of which {result['breakdown_write_units_per_event']}")
    print(f"  read units per event:  {result['read_units_per_event']}")
    print(f"    of which {result['breakdown_read_units_per_event']}")
    floor, ratio = result["moto_put_items_per_second"], result["floor_ratio"]
    print(f"  moto put_item floor: {floor}/s, floor ratio {ratio}")
    print(f"  all-in cost: ${result['usd_per_million_events']} per million events (email not included)")
    print(f"    of which {result['usd_per_million_events_by_part']}")
    return 0
