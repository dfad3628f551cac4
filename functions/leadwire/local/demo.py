"""``make demo``: replay the bundled demo sessions through ``leadwire local`` over HTTP and tell
what happened."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from leadwire.dal.metering import PROCESS_METER

DEMO_FILE = Path(__file__).resolve().parents[3] / "events_samples" / "demo" / "sessions.jsonl"
WRITE_KEY = "demo-write-key"
BATCH_SIZE = 100


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    auth = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _lead_of(message: dict[str, Any]) -> str:
    return str(message.get("userId") or message.get("anonymousId"))


def run_demo(data: Path | None = None) -> int:
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.server import LocalServer

    messages = _load(data or DEMO_FILE)
    runtime = LocalRuntime({WRITE_KEY: "demo"})
    server = LocalServer(runtime, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        print(f"leadwire local on {url} (moto, in-process)")
        print(f"Replaying {len(messages)} Segment messages from {len(set(map(_lead_of, messages)))} visitors")
        started = time.perf_counter()
        accepted = rejected = 0
        for start in range(0, len(messages), BATCH_SIZE):
            reply = _post(f"{url}/v1/batch", {"batch": messages[start : start + BATCH_SIZE]})
            accepted += reply["accepted"]
            rejected += len(reply.get("rejected", []))
        elapsed = time.perf_counter() - started
        units_before_resend = PROCESS_METER.write_units
        resent = _post(f"{url}/v1/batch", {"batch": messages[:BATCH_SIZE]})
        runtime.drain()
        _report(runtime, messages, accepted, rejected, elapsed, units_before_resend, resent["accepted"])
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
    return 0


def _report(
    runtime: Any,
    messages: list[dict[str, Any]],
    accepted: int,
    rejected: int,
    elapsed: float,
    units: float,
    resent: int,
) -> None:
    items = [
        item
        for page in runtime.dynamodb.get_paginator("scan").paginate(TableName="leadwire-local")
        for item in page["Items"]
        if item["sk"]["S"].startswith("EVT#")
    ]
    print(
        f"  accepted {accepted}, rejected {rejected}, in {elapsed:.1f} s ({accepted / elapsed:.0f} events/s)"
    )
    print(f"  stored {len(items)} event items for {len({i['pk']['S'] for i in items})} leads")
    print(f"  resent the first batch of {resent}: still {len(items)} items (deduplicated by messageId)")
    print(f"  write units: {units:.0f} ({units / max(accepted, 1):.2f} per stored event)")
    kinds = Counter(i.get("e", i["t"])["S"] for i in items)
    print("  events by name:")
    for name, count in kinds.most_common():
        print(f"    {count:6d}  {name}")
    sample = _lead_of(next(m for m in messages if m.get("type") == "identify"))
    print("Try it yourself:")
    print(f"  .venv/bin/leadwire local --port 8787 --write-key {WRITE_KEY}")
    print(f"  curl -s http://127.0.0.1:8787/leads/{sample}/events")
