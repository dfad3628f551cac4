"""``leadwire load``: concurrent clients against ``leadwire local``, then a stored-once check.

Each client posts batches to ``/v1/batch`` for its own leads, as fast as it is answered, and
resends a batch unchanged (same ``messageId``s) on a 5xx, a 429, a timeout or a dropped
connection, with full-jitter backoff, as the Segment SDKs do. Once the time is up and every
client has finished its batch in hand, each lead's stored events are read back through the admin
API: every event a 200 acknowledged must be stored exactly once, and nothing else may be.

Without ``--url`` it starts its own ``leadwire local`` (a child process on a free port, with a
fresh write key) and stops it afterwards. Latencies are per HTTP attempt; throughput is accepted
events per second of the run.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import IO, Any

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 10
REQUEST_TIMEOUT_SECONDS = 120.0
PAGE_LIMIT = 1000


@dataclass
class LoadReport:
    clients: int
    seconds: float  # the run, from the first request to the last answer
    requests: int  # batches acknowledged with 200
    attempts: int  # HTTP attempts, retries included
    retries: int
    gave_up: int  # batches never acknowledged (all attempts failed)
    accepted_events: int
    accepted_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    stored: int  # distinct accepted events found stored
    missing: int  # acknowledged but not stored
    duplicates: int  # stored more than once
    unexpected: int  # stored but never acknowledged (a batch given up on may still be stored)
    stored_once: bool = field(default=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


class _Http:
    def __init__(self, base_url: str, write_key: str) -> None:
        self.base = base_url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"content-type": "application/json", "authorization": self.auth},
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw) if raw else None
            except ValueError:
                return error.code, None


@dataclass
class _Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # messageId -> lead
    requests: int = 0
    retries: int = 0
    gave_up: int = 0


def _client(
    http: _Http, run: str, index: int, leads: int, batch: int, deadline: float, tally: _Tally
) -> None:
    rng = random.Random(f"{run}-{index}")
    sequence = 0
    while time.monotonic() < deadline:
        messages: list[dict[str, Any]] = []
        for _ in range(batch):
            sequence += 1
            lead = f"load-{run}-{index}-{sequence % leads}"
            messages.append(
                {
                    "type": "track",
                    "messageId": f"load-{run}-{index}-{sequence}",
                    "userId": lead,
                    "event": rng.choice(("page_viewed", "pricing_viewed", "feature_used", "api_call")),
                    "properties": {"n": sequence},
                }
            )
        body = {"batch": messages}
        for attempt in range(MAX_ATTEMPTS):
            started = time.monotonic()
            try:
                status, answer = http.call("POST", "/v1/batch", body)
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                status, answer = 0, None
            elapsed_ms = (time.monotonic() - started) * 1000
            with tally.lock:
                tally.latencies_ms.append(elapsed_ms)
                tally.statuses[str(status)] += 1
            if status == 200 and isinstance(answer, dict) and answer.get("success"):
                with tally.lock:
                    tally.requests += 1
                    rejected = {r.get("messageId") for r in answer.get("rejected", [])}
                    for message in messages:
                        if message["messageId"] not in rejected:
                            tally.acknowledged[message["messageId"]] = message["userId"]
                break
            if status != 0 and status not in RETRY_STATUSES:
                break  # a 4xx is final: the batch itself is wrong
            with tally.lock:
                tally.retries += 1
            time.sleep(rng.uniform(0, min(2.0, 0.05 * 2**attempt)))
        else:
            with tally.lock:
                tally.gave_up += 1


def _stored(http: _Http, lead: str) -> list[str]:
    """Every stored messageId of one lead, through ``GET /leads/{id}/events`` (all pages)."""
    ids: list[str] = []
    cursor: str | None = None
    path = f"/leads/{urllib.parse.quote(lead, safe='')}/events"
    while True:
        query = f"?limit={PAGE_LIMIT}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, page = http.call("GET", path + query)
        if status == 404:
            return ids
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {page}")
        ids += [event["messageId"] for event in page["events"]]
        cursor = page.get("cursor")
        if not cursor:
            return ids


def run_load(
    base_url: str,
    write_key: str,
    *,
    clients: int,
    seconds: float,
    batch: int = 10,
    leads_per_client: int = 2,
) -> LoadReport:
    http = _Http(base_url, write_key)
    run = secrets.token_hex(3)
    tally = _Tally()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_client, args=(http, run, i, leads_per_client, batch, deadline, tally), daemon=True
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stored: Counter[str] = Counter()
    for lead in sorted(set(tally.acknowledged.values())):
        stored.update(_stored(http, lead))
    acknowledged = set(tally.acknowledged)
    missing = len(acknowledged - set(stored))
    duplicates = sum(1 for n in stored.values() if n > 1)
    unexpected = len(set(stored) - acknowledged)
    return LoadReport(
        clients=clients,
        seconds=round(elapsed, 2),
        requests=tally.requests,
        attempts=len(tally.latencies_ms),
        retries=tally.retries,
        gave_up=tally.gave_up,
        accepted_events=len(acknowledged),
        accepted_per_second=round(len(acknowledged) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(tally.latencies_ms, 0.50), 1),
        p99_ms=round(percentile(tally.latencies_ms, 0.99), 1),
        max_ms=round(max(tally.latencies_ms, default=0.0), 1),
        statuses=dict(sorted(tally.statuses.items())),
        stored=len(acknowledged & set(stored)),
        missing=missing,
        duplicates=duplicates,
        unexpected=unexpected,
        stored_once=missing == 0 and duplicates == 0,
    )


@contextmanager
def local_process(extra_args: list[str], *, ready_timeout: float = 120.0) -> Iterator[tuple[str, str]]:
    """A ``leadwire local`` child process on a free port: yields its URL and write key."""
    write_key = secrets.token_urlsafe(16)
    command = [sys.executable, "-m", "leadwire.local.cli", "local", "--port", "0", "--write-key", write_key]
    # Its stderr goes to a file rather than a pipe nobody drains: it stays out of the report, and
    # if the child never says where it listens, its last lines say why.
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [*command, *extra_args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"},
        )
        try:
            url = _await_url(process, ready_timeout, errors)
            yield url, write_key
        finally:
            stop(process, timeout=30)


def stop(process: subprocess.Popen[str], *, timeout: float) -> bool:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` s; True if it ended in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    return True


def _await_url(process: subprocess.Popen[str], timeout: float, errors: IO[str]) -> str:
    assert process.stdout is not None
    found: list[str] = []

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            if "listening on " in line:
                found.append(line.rsplit("listening on ", 1)[1].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        if not reader.is_alive():  # its output ended: it has exited, or is about to
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        state = (
            f"did not start within {timeout:.0f} s"
            if process.poll() is None
            else (f"exited with {process.returncode}")
        )
        errors.seek(0)
        tail = "".join(errors.readlines()[-20:])
        raise RuntimeError(f"leadwire local {state}; its stderr ends:\n{tail}")
    return found[0]


def format_report(report: LoadReport) -> str:
    verdict = "OK" if report.stored_once else "FAILED"
    return "\n".join(
        [
            f"{report.clients} clients for {report.seconds:.1f} s against leadwire local",
            f"  accepted: {report.accepted_events} events in {report.requests} batches, "
            f"{report.accepted_per_second:.1f} events/s",
            f"  latency per attempt: p50 {report.p50_ms:.1f} ms, p99 {report.p99_ms:.1f} ms, "
            f"max {report.max_ms:.1f} ms ({report.attempts} attempts, {report.retries} retries, "
            f"{report.gave_up} batches given up)",
            f"  statuses: {', '.join(f'{k}: {v}' for k, v in report.statuses.items())}",
            f"  stored once: {report.stored} of {report.accepted_events} "
            f"(missing {report.missing}, duplicated {report.duplicates}, unacknowledged "
            f"{report.unexpected}) {verdict}",
        ]
    )


def main(
    *,
    url: str | None,
    write_key: str | None,
    clients: int,
    seconds: float,
    batch: int,
    leads_per_client: int,
    local_args: list[str],
    as_json: bool,
    out: Callable[[str], None] = print,
) -> int:
    def run(base: str, key: str) -> LoadReport:
        return run_load(
            base, key, clients=clients, seconds=seconds, batch=batch, leads_per_client=leads_per_client
        )

    if url is not None:
        if not write_key:
            raise SystemExit("leadwire load: --url needs --write-key")
        report = run(url, write_key)
    else:
        with local_process(local_args) as (base, key):
            report = run(base, key)
    out(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report))
    return 0 if report.stored_once else 1
