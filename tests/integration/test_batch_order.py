"""Events of one batch without timestamps keep the order the client sent them in: a sequence
condition over them holds exactly when they were sent in its order."""

import shutil

import pytest

from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi

LEADS = 10  # all ten in the right order by chance (random messageIds): p = 1/1024


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "activation.yaml").write_text(
        """
segments:
  - id: activated-trials
    name: Activated Trials
    condition:
      sequence:
        steps: [{event: trial_signup}, {event: api_call}]
"""
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


def untimed(lead, event):
    return {"type": "track", "userId": lead, "event": event}  # no timestamp, no messageId


def test_steps_sent_in_order_in_one_untimed_batch_complete_the_sequence(api):
    # Given leads whose two steps arrive in one batch, in order, with no timestamps
    in_order = [f"in-order-{n}" for n in range(LEADS)]
    reversed_ = [f"reversed-{n}" for n in range(LEADS)]
    batch = [untimed(lead, step) for lead in in_order for step in ("trial_signup", "api_call")]
    batch += [untimed(lead, step) for lead in reversed_ for step in ("api_call", "trial_signup")]
    # When the batch is ingested and processed
    status, reply = api.post("/v1/batch", {"batch": batch})
    assert (status, reply["accepted"]) == (200, 4 * LEADS)
    api.drain()
    # Then every lead that sent them in order is a member, and none that sent them reversed
    members = {m["leadId"] for m in api.all_members("activated-trials")}
    assert members == set(in_order)


def test_untimed_events_of_a_batch_are_stored_a_millisecond_apart_ending_at_arrival(api):
    # Given three untimed events in one batch
    api.post("/v1/batch", {"batch": [untimed("ordered", name) for name in ("first", "second", "third")]})
    # When the lead's events are read
    _, page = api.get("/leads/ordered/events")
    # Then they are listed in the order sent, the last at the arrival instant
    assert [(e["event"], e["timestamp"]) for e in page["events"]] == [
        ("first", "2026-11-02T08:59:59.998Z"),
        ("second", "2026-11-02T08:59:59.999Z"),
        ("third", "2026-11-02T09:00:00.000Z"),
    ]
