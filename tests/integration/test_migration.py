"""Upgrades: a table written by the previous item shapes is migrated by a job, and nothing a
reader sees changes (the lead API's answers are the same before and after)."""

import json
import threading
from datetime import timedelta

import pytest

from leadwire.dal.lead_items import ITEM_FORMAT, lead_from_item, lead_key
from leadwire.local import cli, jobs_cli
from leadwire.local.runtime import TABLE_NAME, LocalRuntime
from leadwire.local.server import LocalServer
from tests.legacy_shapes import format_1_lead_item

from .local_api import NOW, WRITE_KEY, LocalApi, page, track

LEADS = ("ada", "bo", "cy", "di")


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


def state_item(api, lead):
    response = api.runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=lead_key(lead), ConsistentRead=True)
    return response["Item"]


@pytest.fixture
def previous_release(api):
    """Four leads evaluated, then their state items rewritten as the previous release wrote them."""
    earlier = (NOW - timedelta(days=2)).isoformat()
    api.send(
        track("ada", "trial_signup", timestamp=earlier),
        page("ada", "/pricing", timestamp=earlier),
        track("bo", "demo_requested", timestamp=earlier),
        page("cy", "/docs", timestamp=earlier),
        track("di", "trial_signup", timestamp=earlier),
        track("di", "demo_requested", timestamp=earlier),
    )
    api.drain()
    for lead in LEADS:
        record = lead_from_item(state_item(api, lead))
        api.runtime.dynamodb.put_item(TableName=TABLE_NAME, Item=format_1_lead_item(record))
    api.drain()
    return api


def test_the_fixture_really_holds_items_of_the_previous_shape(previous_release):
    assert all("f" not in state_item(previous_release, lead) for lead in LEADS)


def test_a_migrate_job_rewrites_every_old_item_and_readers_see_no_change(previous_release):
    api = previous_release
    before = {lead: api.get(f"/leads/{lead}")[1] for lead in LEADS}
    # When an operator starts the migration and it runs
    status, job = api.post("/jobs", {"kind": "migrate"})
    assert (status, job["kind"], job["status"]) == (202, "migrate", "pending")
    api.drain()
    # Then every state item is in the current shape, counted by the job
    status, done = api.get(f"/jobs/{job['jobId']}")
    assert (status, done["status"], done["leadsDone"], done["itemsMigrated"], done["failures"]) == (
        200,
        "done",
        4,
        4,
        0,
    )
    assert {state_item(api, lead)["f"]["N"] for lead in LEADS} == {str(ITEM_FORMAT)}
    # And the API answers exactly as before
    assert {lead: api.get(f"/leads/{lead}")[1] for lead in LEADS} == before


def test_a_second_migration_finds_nothing_left_to_rewrite(previous_release):
    api = previous_release
    api.post("/jobs", {"kind": "migrate"})
    api.drain()
    _, again = api.post("/jobs", {"kind": "migrate"})
    api.drain()
    _, done = api.get(f"/jobs/{again['jobId']}")
    assert (done["status"], done["leadsDone"], done["itemsMigrated"]) == ("done", 4, 0)


def test_a_migrated_lead_goes_on_scoring_from_where_it_was(previous_release):
    api = previous_release
    score_before = api.get("/leads/ada")[1]["score"]
    api.post("/jobs", {"kind": "migrate"})
    api.drain()
    api.send(page("ada", "/pricing"))
    api.drain()
    assert api.get("/leads/ada")[1]["score"] > score_before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": "shuffle"}, "kind"), ({}, "kind"), ({"kind": "migrate", "extra": 1}, "extra")],
)
def test_a_job_request_that_is_not_understood_is_refused_naming_the_field(api, body, field):
    status, error = api.post("/jobs", body)
    assert status == 400
    assert field in str(error)


def test_the_jobs_command_starts_a_migration_and_follows_it(previous_release, capsys):
    api = previous_release
    server = LocalServer(api.runtime, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert cli.main(["jobs", "--url", url, "--json", "start", "migrate"]) == 0
        started = json.loads(capsys.readouterr().out)
        assert (started["kind"], started["status"]) == ("migrate", "pending")
        # --wait polls GET /jobs/{id}; here each poll first lets the runtime run its queued jobs
        done = jobs_cli.follow(url, started, sleep=lambda _: api.drain(), poll=0)
        assert (done["status"], done["itemsMigrated"]) == ("done", 4)
        assert cli.main(["jobs", "--url", url, "show", started["jobId"]]) == 0
        line = f"job {started['jobId']} (migrate): done, 16/16 shards, 4 leads, 0 changes, 4 items migrated"
        assert line in capsys.readouterr().out
        assert cli.main(["jobs", "--url", url, "show", "no-such-job"]) == 1
        assert "error 404" in capsys.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
