"""``make demo``: replay the bundled demo sessions through ``leadwire local`` over HTTP, day by
day on the simulated clock, and tell what happened: what was stored, what it cost, who entered
and left which segment, and what the triggers did: emails through the simulated SES, signed
webhooks to a stand-in CRM, events on the bus, and a check that nothing went out twice.

The driver runs the scenes in order; ``world`` holds the stand-ins around the pipeline,
``report`` what is printed, ``checks`` what is asserted, and each other module one scene."""

from __future__ import annotations

import base64
import json
import signal
import threading
import time
import urllib.request
import warnings
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadwire.core.capacity import write_units
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.table_snapshot import TableSnapshot
from leadwire.local.demo import report
from leadwire.local.demo.accounts import accounts_scene, wire_slack
from leadwire.local.demo.caps import caps_lead, caps_scene
from leadwire.local.demo.checks import format_checks, nothing_twice
from leadwire.local.demo.data import DEMO_START
from leadwire.local.demo.insight import report_insight
from leadwire.local.demo.onsite import add_come_back, report_onsite
from leadwire.local.demo.safe_change import safe_change_scene, use_demo_thresholds
from leadwire.local.demo.sms import text_scene
from leadwire.local.demo.world import (
    CRM_SECRET,
    ENGAGE_AFTER,
    REGION,
    SALES_WEBHOOK_URL,
    BusTap,
    DeliveryTrail,
    FeedbackInvocations,
    FireBatches,
    engage,
    ses_accepted,
    stream_consumer,
    wire_crm,
)
from leadwire.local.handoff_receivers import SlackWebhook
from leadwire.local.webhook_receiver import WebhookReceiver

DEMO_FILE = Path(__file__).resolve().parents[4] / "events_samples" / "demo" / "sessions.jsonl"
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


def run_demo(data: Path | None = None, *, serve: bool = False, port: int = 0) -> int:
    """Replay and report; with ``serve``, leave ``leadwire local`` running with the console."""
    from leadwire.local.runtime import TABLE_NAME, LocalRuntime
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
        wire_crm(crm)
        wire_slack(slack, REGION)
        add_come_back(client.call)  # the seed's come-back pop-up, as a marketer adds it
        tap = BusTap()
        trail = DeliveryTrail()
        runtime.pump.observe(trail.observe)
        feedback = FeedbackInvocations(runtime.ses)
        fire_batches = FireBatches(stream_consumer(runtime, "leadwire-reactions"))
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
                engage(client.call)
                engage_at = None

        accepted, rejected, end = replay(client.call, messages, engage_once)
        elapsed = time.perf_counter() - started
        units = (PROCESS_METER.write_units, PROCESS_METER.read_units)
        writes_by_kind = dict(PROCESS_METER.writes_by_kind)
        resent = client.call("POST", "/v1/batch", {"batch": messages[:BATCH_SIZE]})["accepted"]
        client.call("POST", "/_local/drain")
        table = TableSnapshot(runtime.dynamodb, TABLE_NAME)
        stored = table.event_sizes()
        events = [event for event, _ in stored]
        history = table.history()
        report.report_ingestion(len(events), accepted, rejected, elapsed, units, resent)
        report.report_segments(history, client.call)
        report.report_time(history)
        outbox = client.call("GET", "/_local/outbox")["messages"]
        bus_events = tap.collect()
        report.report_actions(table, outbox, trail, crm, bus_events, events)
        invocations = {
            "actions": fire_batches.count,
            "feedback": feedback.count,
            "triggers": stream_consumer(runtime, "leadwire-reactions").invocations - fire_batches.count,
        }
        fires = [fire.cause for fire in table.fires()]
        derived_units = sum(write_units(size) for event, size in stored if event.source != "demo")
        print()
        print("\n".join(report.trigger_costs(writes_by_kind, derived_units, fires, invocations)))
        report.report_story(client.call, messages)
        print("\n".join(report_onsite(client.call)))
        print("\n".join(report_insight(client.call, first_day, end)))
        print("\n".join(accounts_scene(client.call, slack)))
        checks = nothing_twice(ses_accepted(), outbox, [r.webhook_id for r in crm.accepted], bus_events)
        # After the checks are taken: the change re-evaluates leads, and what that sends is not in them.
        print("\n".join(safe_change_scene(client.url, client.call)))
        print("\n" + "\n".join(format_checks(checks)))
        # After the checks: the scene moves the clock on, and what else that sends is not counted there.
        print("\n".join(text_scene(client.call, report.story_lead(client.call, messages))))
        lead = caps_lead(client.call)
        if lead is None:
            print(
                "\nCaps that defer by priority: no trial user who takes marketing email in this data; skipped"
            )
        else:
            print("\n".join(caps_scene(client.call, lead)))
        report.try_it(WRITE_KEY)
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
