"""``leadwire load`` end to end: it starts its own ``leadwire local`` (a child process on a free
port, on a simulated clock), runs concurrent clients and checks that every event a 200
acknowledged is stored exactly once. The full run is ``leadwire load --clients 50 --seconds 60``."""

import json
import subprocess

import pytest

from leadwire.local.load import local_process

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


def test_a_local_that_cannot_start_is_reported_with_its_own_error():
    with pytest.raises(RuntimeError) as failure, local_process(["--clock", "not-a-date"], ready_timeout=60):
        pass
    message = str(failure.value)
    assert "exited with 2" in message
    assert "--clock" in message
