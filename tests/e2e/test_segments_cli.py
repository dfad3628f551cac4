"""``leadwire segments`` against a real ``leadwire local`` process on a simulated clock."""

import base64
import json
import subprocess

import pytest

from tests.e2e.conftest import LEADWIRE, WRITE_KEY, run_local

CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 5}]},
    "segments": [
        {"id": "big", "name": "Big", "condition": {"score": {"gte": 10}}},
        {"id": "everyone", "name": "Everyone", "condition": {"first_seen": {"within": "P365D"}}},
    ],
}
AUTH = {"authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "cli.json").write_text(json.dumps(CONFIG))
    with run_local("--config", str(config), "--clock", "2026-09-02T00:00:00Z") as server:
        batch = [
            {"type": "track", "userId": lead, "event": "visit", "messageId": f"{lead}-{n}", "timestamp": at}
            for lead, n, at in [
                ("a", 1, "2026-09-01T10:00:00Z"),
                ("a", 2, "2026-09-01T11:00:00Z"),
                ("b", 1, "2026-09-01T10:00:00Z"),
            ]
        ]
        status, _, body = server.request(
            "POST", "/v1/batch", {"batch": batch}, {**AUTH, "content-type": "application/json"}
        )
        assert status == 200, body
        server.drain()
        yield server


def leadwire(*args):
    return subprocess.run([str(LEADWIRE), "segments", *args], capture_output=True, text=True, timeout=60)


def test_list_as_json_and_as_a_table(local):
    result = leadwire("--url", local.url, "--json", "list")
    assert result.returncode == 0, result.stderr
    sizes = {
        s["id"]: (s["memberCount"], s["shareOfLeads"], s["sizeWarning"])
        for s in json.loads(result.stdout)["segments"]
    }
    assert sizes == {"big": (1, 0.5, None), "everyone": (2, 1.0, "too_large")}
    table = leadwire("--url", local.url, "list").stdout.splitlines()
    assert table[0].split() == ["id", "name", "members", "share", "warning"]
    assert table[2].split() == ["everyone", "Everyone", "2", "100.0%", "too_large"]


def test_explain_prints_the_tree_with_observed_values(local):
    result = leadwire("--url", local.url, "explain", "big", "a")
    assert result.returncode == 0, result.stderr
    assert "member yes" in result.stdout
    assert "[yes] score  observed 10.0" in result.stdout


def test_preview_reads_a_definition_file(local, tmp_path):
    definition = tmp_path / "d.json"
    definition.write_text(json.dumps({"id": "big", "name": "Big", "condition": {"score": {"gte": 5}}}))
    result = leadwire("--url", local.url, "--json", "preview", str(definition), "--since", "P2D")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sample"] == ["a", "b"]
    # As a job (what a large history gets): the command waits for the job and prints the same answer
    as_job = leadwire(
        "--url", local.url, "--json", "preview", str(definition), "--since", "P2D", "--mode", "job"
    )
    assert as_job.returncode == 0, as_job.stderr
    assert json.loads(as_job.stdout) == json.loads(result.stdout)


def test_an_api_error_exits_1_and_an_unreachable_server_2(local):
    assert leadwire("--url", local.url, "analytics", "nope").returncode == 1
    assert leadwire("--url", "http://127.0.0.1:9", "list").returncode == 2
