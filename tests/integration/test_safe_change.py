"""A segment change that would flip most leads waits for ?confirm=true; its job shows flips and units."""

import json
import threading
from datetime import timedelta

import pytest

from leadwire import settings
from leadwire.local import segments_cli
from leadwire.local.runtime import LocalRuntime
from leadwire.local.server import LocalServer

from .local_api import NOW, WRITE_KEY, LocalApi, page

READERS = [f"reader-{n}" for n in range(9)]
DOCS_READERS = {
    "id": "docs-readers",
    "name": "Docs readers",
    "condition": {"performed": {"event": "page_viewed", "where": {"path": {"starts_with": "/docs"}}}},
}
API_READERS = {  # narrows docs-readers to the one reader of /docs/api
    **DOCS_READERS,
    "condition": {"performed": {"event": "page_viewed", "where": {"path": {"starts_with": "/docs/api"}}}},
}
PRICING = {
    "id": "pricing-readers",
    "name": "Pricing readers",
    "condition": {"performed": {"event": "page_viewed", "where": {"path": {"starts_with": "/pricing"}}}},
}


@pytest.fixture
def api(monkeypatch):
    """Ten leads three days ago: nine read the docs (one of them /docs/api), one the pricing page."""
    monkeypatch.setenv("CONFIRM_FLIP_SHARE", "0.2")
    monkeypatch.setenv("CONFIRM_MIN_FLIPS", "2")
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    api = LocalApi(runtime)
    earlier = (NOW - timedelta(days=3)).isoformat()
    paths = ["/docs/api"] + ["/docs/start"] * 8
    api.send(*[page(lead, path, timestamp=earlier) for lead, path in zip(READERS, paths, strict=True)])
    api.send(page("browser", "/pricing", timestamp=earlier))
    api.drain()
    yield api
    runtime.close()
    settings.admin_settings.cache_clear()


def segments_of(api, lead):
    return api.get(f"/leads/{lead}")[1]["segments"]


def test_a_change_flipping_most_leads_answers_409_and_changes_nothing(api):
    before = {lead: segments_of(api, lead) for lead in [*READERS, "browser"]}
    status, body, _ = api.request("POST", "/segments", DOCS_READERS)
    assert status == 409
    error = body["error"]
    assert error["code"] == "confirmation_required"
    details = error["details"]
    assert (details["leads"], details["flips"], details["entering"], details["exiting"]) == (10, 9, 9, 0)
    assert (details["membersBefore"], details["membersAfter"], details["share"]) == (0, 9, 0.9)
    assert details["sample"]["entering"] == READERS
    # Nothing stored, no job queued, no lead moved
    assert api.get("/segments/docs-readers")[0] == 404
    assert api.drain()["jobs"] == 0
    assert {lead: segments_of(api, lead) for lead in before} == before


def test_with_confirm_it_applies_and_the_job_shows_progress_flips_and_units(api):
    status, created, _ = api.request("POST", "/segments", DOCS_READERS, query="confirm=true")
    assert status == 201
    job_id = created["job"]["jobId"]
    _, pending = api.get(f"/jobs/{job_id}")
    assert (pending["status"], pending["progress"], pending["readUnits"], pending["writeUnits"]) == (
        "pending",
        0.0,
        0.0,
        0.0,
    )
    api.drain()
    _, job = api.get(f"/jobs/{job_id}")
    assert (job["status"], job["progress"], job["shardsDone"], job["leadsDone"]) == ("done", 1.0, 16, 10)
    assert (job["entered"], job["exited"], job["changes"]) == (9, 0, 9)
    # Every entry writes at least the lead state, its history item and its member item
    assert job["writeUnits"] >= 3 * 9
    assert job["readUnits"] >= 10  # at least one read per lead visited
    assert sorted(m["leadId"] for m in api.all_members("docs-readers")) == READERS


def test_narrowing_that_exits_most_members_waits_then_applies_with_confirm(api):
    api.request("POST", "/segments", DOCS_READERS, query="confirm=true")
    api.drain()
    status, body = api.put("/segments/docs-readers", API_READERS)
    assert status == 409
    assert (body["error"]["details"]["exiting"], body["error"]["details"]["membersAfter"]) == (8, 1)
    assert api.get("/segments/docs-readers")[1]["version"] == 1
    status, replaced, _ = api.request("PUT", "/segments/docs-readers", API_READERS, query="confirm=true")
    assert (status, replaced["version"]) == (200, 2)
    api.drain()
    _, job = api.get(f"/jobs/{replaced['job']['jobId']}")
    assert (job["entered"], job["exited"]) == (0, 8)
    assert [m["leadId"] for m in api.all_members("docs-readers")] == ["reader-0"]


def test_a_small_change_applies_at_once(api):
    status, created = api.post("/segments", PRICING)  # one lead of ten: 10%, under 20%
    assert status == 201
    api.drain()
    _, job = api.get(f"/jobs/{created['job']['jobId']}")
    assert (job["status"], job["entered"], job["exited"]) == ("done", 1, 0)
    assert [m["leadId"] for m in api.all_members("pricing-readers")] == ["browser"]


@pytest.fixture
def served(api):
    server = LocalServer(api.runtime, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_cli(url, *argv):
    parser = __import__("argparse").ArgumentParser()
    segments_cli.add_commands(parser.add_subparsers(dest="command"))
    return segments_cli.run(parser.parse_args(["segments", "--url", url, *argv]))


def test_cli_apply_prints_the_preview_and_applies_with_confirm(served, tmp_path, capsys):
    api, url = served
    path = tmp_path / "segments.yaml"
    path.write_text(json.dumps({"segments": [DOCS_READERS, PRICING]}))  # JSON is YAML too
    # Without --confirm: the small one applies, the large one prints its preview
    assert run_cli(url, "apply", str(path)) == 1
    out = capsys.readouterr().out
    assert "pricing-readers: created, version 1" in out
    assert "docs-readers: needs confirmation" in out
    assert "would flip 9 of 10 leads (90.0%, threshold 20%): 9 enter, 0 exit" in out
    assert api.get("/segments/docs-readers")[0] == 404
    # With --confirm both are stored (pricing-readers replaced with the same definition)
    assert run_cli(url, "apply", str(path), "--confirm") == 0
    out = capsys.readouterr().out
    assert "docs-readers: created, version 1" in out
    assert "pricing-readers: replaced, version 2" in out
    api.drain()
    assert len(api.all_members("docs-readers")) == 9


def test_cli_apply_names_a_file_without_segments(served, tmp_path, capsys):
    _, url = served
    path = tmp_path / "empty.yaml"
    path.write_text("[]")
    assert run_cli(url, "apply", str(path)) == 1
    assert "empty.yaml: expected a segment" in capsys.readouterr().err
