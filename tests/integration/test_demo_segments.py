"""The bundled demo traffic, replayed as ``make demo`` replays it, gives the seed segments
plausible sizes and the default account segments members: Multi-Touch Leads, Demo-Ready Leads and
Returning Visitors each hold between 1% and 20% of the leads, an account is an Enterprise account
with a trial user, and at least one account turned hot and alerted sales."""

import json

import pytest

from leadwire.local.demo.data import DEMO_START
from leadwire.local.demo.driver import DEMO_FILE, replay
from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi
from .test_demo_onsite import caller

SEEDED = ("multi-touch-leads", "demo-ready-leads", "returning-visitors")


@pytest.fixture(scope="module")
def replayed():
    messages = [json.loads(line) for line in DEMO_FILE.read_text().splitlines() if line.strip()]
    messages.sort(key=lambda message: message["timestamp"])
    runtime = LocalRuntime({WRITE_KEY: "demo"}, clock_start=DEMO_START)
    try:
        api = LocalApi(runtime)
        call = caller(api)
        accepted, rejected, _ = replay(call, messages)
        assert (accepted, rejected) == (len(messages), 0)
        yield call
    finally:
        runtime.close()


@pytest.mark.parametrize("segment_id", SEEDED)
def test_the_seed_segment_holds_a_plausible_share_of_the_leads(replayed, segment_id):
    listed = {s["id"]: s for s in replayed("GET", "/segments")["segments"]}

    segment = listed[segment_id]
    assert 0.01 <= segment["shareOfLeads"] <= 0.20, segment
    assert segment["sizeWarning"] is None
    members = replayed("GET", f"/segments/{segment_id}/members?limit=1000")["members"]
    assert len(members) == segment["memberCount"] >= 2


def test_demo_ready_members_meet_every_part_of_the_seed_definition(replayed):
    for member in replayed("GET", "/segments/demo-ready-leads/members?limit=1000")["members"]:
        lead = replayed("GET", f"/leads/{member['leadId']}")
        events = {e["event"] for e in replayed("GET", f"/leads/{lead['leadId']}/events?limit=1000")["events"]}
        assert "pricing-page-viewers" in lead["segments"]
        assert events & {"whitepaper_downloaded", "webinar_registered"}
        assert lead["score"] >= 40


def test_the_demo_accounts_fill_the_default_account_segments(replayed):
    enterprise = replayed("GET", "/segments/enterprise-accounts-with-trial/members?limit=100")["members"]
    assert enterprise
    for member in enterprise:
        account = replayed("GET", f"/accounts/{member['leadId']}")
        assert account["traits"]["employees"] > 1000
        assert any(
            "trial-users" in replayed("GET", f"/leads/{lead_id}")["segments"] for lead_id in account["leads"]
        )
    outbox = replayed("GET", "/_local/outbox")["messages"]
    alerts = [m for m in outbox if m["triggerId"] == "hot-account-alert" and m["channel"] == "eventbridge"]
    assert alerts
    assert all(m["status"] == "sent" for m in alerts)
    hot = str(alerts[0]["leadId"]).removeprefix("account:")
    history = replayed("GET", f"/accounts/{hot}/history")["history"]
    assert any(h["segmentId"] == "hot-accounts" for h in history)
