"""``leadwire load`` end to end: it starts its own ``leadwire local`` (a child process on a free
port, on a simulated clock), runs concurrent clients and checks that every event a 200
acknowledged is stored exactly once. The full run is ``leadwire load --clients 50 --seconds 60``."""

import json
import subprocess

from .conftest import LEADWIRE


def test_a_short_load_stores_every_accepted_event_once():
    completed = subprocess.run(
        [
            str(LEADWIRE),
            "load",
            "--clients",
            "4",
            "--seconds",
            "3",
            "--clock",
            "2026-11-02T09:00:00Z",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    assert report["accepted_events"] > 0
    assert report["stored"] == report["accepted_events"]
    assert (report["missing"], report["duplicates"], report["unexpected"]) == (0, 0, 0)
    assert report["stored_once"] is True
    assert report["p99_ms"] >= report["p50_ms"] > 0
