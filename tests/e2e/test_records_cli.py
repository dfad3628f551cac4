"""``leadwire leads`` and ``leadwire triggers`` against a real ``leadwire local`` process."""

import base64
import json
import subprocess

import pytest

from tests.e2e.conftest import LEADWIRE, WRITE_KEY, run_local

CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 5}]},
    "segments": [{"id": "big", "name": "Big", "condition": {"score": {"gte": 10}}}],
    "triggers": [
        {"id": "big-ping", "on": {"enter": "big"}, "actions": [{"type": "eventbridge", "detail_type": "big"}]}
    ],
}
AUTH = {"authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "cli.json").write_text(json.dumps(CONFIG))
    with run_local("--config", str(config), "--clock", "2026-09-02T00:00:00Z") as server:
        batch = [
            {"type": "track", "userId": "a", "event": "visit", "messageId": f"a-{n}", "timestamp": at}
            for n, at in [(1, "2026-09-01T10:00:00Z"), (2, "2026-09-01T11:00:00Z")]
        ] + [
            {
                "type": "identify",
                "userId": "a",
                "traits": {"email": "a@example.com"},
                "messageId": "a-id",
                "timestamp": "2026-09-01T11:30:00Z",
            }
        ]
        status, _, body = server.request(
            "POST", "/v1/batch", {"batch": batch}, {**AUTH, "content-type": "application/json"}
        )
        assert status == 200, body
        server.drain()
        yield server


def leadwire(*args):
    return subprocess.run([str(LEADWIRE), *args], capture_output=True, text=True, timeout=60)


def test_leads_show_and_history_for_people(local):
    shown = leadwire("leads", "--url", local.url, "show", "a")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["a  score 10.0  a@example.com", "  in big"]
    history = leadwire("leads", "--url", local.url, "history", "a").stdout.splitlines()
    assert history[0].split() == ["segment", "entered", "exited"]
    assert history[1].split() == ["big", "2026-09-01T11:00:00.000Z", "(member)"]


def test_triggers_results_as_a_table_and_json(local):
    table = leadwire(
        "triggers",
        "--url",
        local.url,
        "results",
        "big-ping",
        "--from",
        "2026-09-01T00:00:00Z",
        "--to",
        "2026-09-02T00:00:00Z",
        "--goal",
        "visit",
    ).stdout.splitlines()
    assert table[0] == "big-ping: goal visit within P7D"
    assert table[1].split() == [
        "arm",
        "fires",
        "leads",
        "sent",
        "opens",
        "clicks",
        "converted",
        "rate",
        "lift",
    ]
    # the visit that put a in big came at the fire's instant: it counts (at or after the fire)
    assert table[2].split() == ["default", "1", "1", "eventbridge", "1", "0", "0", "1", "100.0%", "-"]
    result = leadwire(
        "triggers",
        "--url",
        local.url,
        "--json",
        "results",
        "big-ping",
        "--from",
        "2026-09-01T00:00:00Z",
        "--to",
        "2026-09-02T00:00:00Z",
    )
    (arm,) = json.loads(result.stdout)["variants"]
    assert (arm["name"], arm["fires"], arm["sends"], arm["conversions"]) == (
        "default",
        1,
        {"eventbridge": 1},
        None,
    )


def test_refusals_and_an_unreachable_server_exit_1_and_2(local):
    missing = leadwire("leads", "--url", local.url, "show", "nobody")
    assert missing.returncode == 1
    assert "404" in missing.stderr
    down = leadwire("triggers", "--url", "http://127.0.0.1:9", "list")
    assert down.returncode == 2
