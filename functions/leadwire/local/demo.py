"""``make demo``: replay the bundled demo sessions through ``leadwire local`` over HTTP, day by
day on the simulated clock, and tell what happened: what was stored, what it cost, and who
entered and left which segment."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadwire.dal.metering import PROCESS_METER
from leadwire.local.demo_data import DEMO_START

DEMO_FILE = Path(__file__).resolve().parents[3] / "events_samples" / "demo" / "sessions.jsonl"
WRITE_KEY = "demo-write-key"
BATCH_SIZE = 50


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


def run_demo(data: Path | None = None) -> int:
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.server import LocalServer

    messages = sorted(_load(data or DEMO_FILE), key=_instant)
    days = _by_day(messages)
    first_day = min(days, default=DEMO_START)
    runtime = LocalRuntime({WRITE_KEY: "demo"}, clock_start=first_day)
    server = LocalServer(runtime, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = _Client(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        print(f"leadwire local on {client.url} (moto, in-process), simulated clock from {first_day:%Y-%m-%d}")
        print(f"Replaying {len(messages)} Segment messages over {len(days)} days as live traffic")
        started = time.perf_counter()
        accepted = rejected = 0
        for start in range(0, len(messages), BATCH_SIZE):
            batch = messages[start : start + BATCH_SIZE]
            # The clock runs to the newest event of the batch (sweeps and timers fire on the way,
            # at their due instants), then the batch arrives, as a site's clients would send it.
            arrival = _instant(batch[-1]) + timedelta(seconds=1)
            client.call("POST", "/_local/clock", {"to": arrival.isoformat()})
            reply = client.call("POST", "/v1/batch", {"batch": batch})
            accepted += reply["accepted"]
            rejected += len(reply.get("rejected", []))
            client.call("POST", "/_local/drain")
        end = max(days) + timedelta(days=1) if days else first_day
        client.call("POST", "/_local/clock", {"to": end.isoformat()})
        elapsed = time.perf_counter() - started
        units = (PROCESS_METER.write_units, PROCESS_METER.read_units)
        resent = client.call("POST", "/v1/batch", {"batch": messages[:BATCH_SIZE]})["accepted"]
        client.call("POST", "/_local/drain")
        _report_ingestion(runtime, accepted, rejected, elapsed, units, resent)
        _report_segments(runtime, client)
        _report_time(runtime, client)
        _report_story(client, messages)
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
    return 0


def _items(runtime: Any, prefix: str) -> list[dict[str, Any]]:
    return [
        item
        for page in runtime.dynamodb.get_paginator("scan").paginate(TableName="leadwire-local")
        for item in page["Items"]
        if item["sk"]["S"].startswith(prefix)
    ]


def _report_ingestion(
    runtime: Any, accepted: int, rejected: int, elapsed: float, units: tuple[float, float], resent: int
) -> None:
    events = _items(runtime, "EVT#")
    print(f"\nIngestion: accepted {accepted}, rejected {rejected}, in {elapsed:.1f} s with segmentation")
    print(f"  stored {len(events)} event items; resending a batch of {resent} stored nothing new")
    print(
        f"  DynamoDB: {units[0] / max(accepted, 1):.2f} write units and {units[1] / max(accepted, 1):.2f} "
        "read units per event (events, lead state, memberships, history)"
    )


def _report_segments(runtime: Any, client: _Client) -> None:
    history = _items(runtime, "HIST#")
    entered = Counter(item["seg"]["S"] for item in history)
    exited = Counter(item["seg"]["S"] for item in history if "out" in item)
    print(f"\nSegments at {client.call('POST', '/_local/drain')['now'][:10]}:")
    print(f"  {'segment':28s} {'entered':>8s} {'left':>6s} {'members':>8s}  e.g.")
    for segment in client.call("GET", "/segments")["segments"]:
        members = client.call("GET", f"/segments/{segment['id']}/members?limit=1000")["members"]
        sample = ", ".join(m["leadId"] for m in members[:3])
        print(
            f"  {segment['id']:28s} {entered[segment['id']]:8d} {exited[segment['id']]:6d} "
            f"{len(members):8d}  {sample}"
        )


def _report_time(runtime: Any, client: _Client) -> None:
    """What happened with no event from the lead: the sweep and the timers, at their due instants."""
    history = _items(runtime, "HIST#")
    entered = Counter(i["seg"]["S"] for i in history if i.get("inCause", {}).get("S") == "time")
    exited = Counter(i["seg"]["S"] for i in history if i.get("outCause", {}).get("S") == "time")
    print("\nWhat time alone did (the sweep, at each flip's due instant):")
    for segment in sorted(set(entered) | set(exited)):
        print(f"  {segment:28s} {entered[segment]:4d} entered {exited[segment]:4d} left")
    messages = client.call("GET", "/_local/outbox")["messages"]
    fired = Counter((m["triggerId"], m["channel"], m.get("event", ""), m["status"]) for m in messages)
    print("\nTriggers fired (GET /_local/outbox):")
    for (trigger, channel, event, status), count in sorted(fired.items()):
        print(f"  {trigger:20s} {count:3d} x {channel} {event} ({status})")
    for message in [m for m in messages if m.get("event") == "cart_abandoned"][:3]:
        cart = message["properties"].get("cart_id")
        print(f"    {message['leadId']} abandoned cart {cart} (cart_abandoned at {message['firedAt'][:16]})")


def _report_story(client: _Client, messages: list[dict[str, Any]]) -> None:
    known = next(m for m in messages if m.get("type") == "identify" and m.get("anonymousId"))
    lead = client.call("GET", f"/leads/{known['anonymousId']}")
    print(f"\nOne lead: anonymous visitor {known['anonymousId']} identified as {lead['leadId']}")
    print(f"  score {lead['score']:.1f} ({lead['band']}), highest {lead['maxScore']:.1f}")
    print(f"  segments now: {', '.join(lead['segments'])}")
    for interval in client.call("GET", f"/leads/{lead['leadId']}/history")["history"][:12]:
        left = interval["exitedAt"] or "still a member"
        print(f"  {interval['segmentId']:26s} {interval['enteredAt'][:16]} -> {left[:16]}")
    print("\nTry it yourself:")
    print(f"  .venv/bin/leadwire local --port 8787 --write-key {WRITE_KEY}")
    print("  curl -s http://127.0.0.1:8787/segments/hot-leads/members")
