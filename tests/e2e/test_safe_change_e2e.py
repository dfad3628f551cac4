"""Safe definition changes end to end: ``leadwire segments apply`` and ``leadwire jobs show`` as
processes against a real ``leadwire local`` (its threshold lowered through the environment)."""

import base64
import json
import re
import subprocess

import pytest

from tests.e2e.conftest import LEADWIRE, WRITE_KEY, run_local

pytestmark = pytest.mark.e2e

AUTH = {"authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
LEADS = [f"safe-{n}" for n in range(5)]
CHANGED = {  # everyone who ever visited: 4 of the 5 leads enter
    "id": "safe-visitors",
    "name": "Visitors",
    "condition": {"performed": {"event": "visit"}},
}
CONFIG = {
    "segments": [
        {**CHANGED, "condition": {"performed": {"event": "visit", "count": {"gte": 3}}}},
    ]
}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "safe.json").write_text(json.dumps(CONFIG))
    env = {"CONFIRM_FLIP_SHARE": "0.5", "CONFIRM_MIN_FLIPS": "2"}
    with run_local("--config", str(config), "--clock", "2026-09-02T00:00:00Z", env=env) as server:
        batch = [
            {"type": "track", "userId": lead, "event": "visit" if n else "signup", "messageId": f"{lead}-v"}
            for n, lead in enumerate(LEADS)
        ]
        status, _, body = server.request(
            "POST", "/v1/batch", {"batch": batch}, {**AUTH, "content-type": "application/json"}
        )
        assert status == 200, body
        server.drain()
        yield server


def leadwire(*args):
    return subprocess.run([str(LEADWIRE), *args], capture_output=True, text=True, timeout=60)


def test_apply_holds_a_large_change_until_confirmed_and_the_job_shows_its_flips(local, tmp_path):
    path = tmp_path / "visitors.yaml"
    path.write_text(f"segments:\n  - {json.dumps(CHANGED)}\n")
    # Without --confirm: the preview says 4 of 5 leads would enter, and nothing is stored
    held = leadwire("segments", "--url", local.url, "apply", str(path))
    assert held.returncode == 1, held.stderr
    assert "safe-visitors: needs confirmation" in held.stdout
    assert "would flip 4 of 5 leads (80.0%, threshold 50%): 4 enter, 0 exit" in held.stdout
    stored = local.request("GET", "/segments/safe-visitors")[2]
    assert (stored["version"], stored["condition"]) == (
        0,
        CONFIG["segments"][0]["condition"],
    )  # the bundled one
    # With --confirm: stored, and the re-evaluation job reports its flips and units
    applied = leadwire("segments", "--url", local.url, "apply", str(path), "--confirm")
    assert applied.returncode == 0, applied.stderr
    assert "safe-visitors: replaced, version 1" in applied.stdout
    job_id = applied.stdout.split("re-evaluation job ")[1].split()[0]
    local.drain()
    shown = leadwire("jobs", "--url", local.url, "show", job_id)
    assert shown.returncode == 0, shown.stderr
    assert f"job {job_id} (reevaluate): done, 16/16 shards, 5 leads, 4 changes" in shown.stdout
    assert "entered 4, exited 0" in shown.stdout
    reads, writes = re.search(r"([\d.]+) read and ([\d.]+) write units", shown.stdout).groups()
    assert float(reads) >= 5  # at least one read per lead visited
    assert float(writes) >= 3 * 4  # each entry writes the lead state, a history and a member item
    _, _, members = local.request("GET", "/segments/safe-visitors/members")
    assert sorted(m["leadId"] for m in members["members"]) == LEADS[1:]
