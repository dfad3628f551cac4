"""Slack and HubSpot handoffs end to end on the local runtime: a lead who requests a demo is
announced in Slack and upserted into HubSpot once, with why they are hot, through a rate limit."""

import shutil
from datetime import timedelta

import pytest

from leadwire.local.handoff_receivers import HubspotApi, SlackWebhook
from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

TOKEN = "pat-na1-test-token"
SLACK_TEXT = (
    "{{ traits.email | default(lead.id) }} requested a demo: score {{ why.score }} ({{ why.band }}), "
    "in {{ why.segments | map(attribute='name') | join(', ') }}"
)


@pytest.fixture
def slack():
    server = SlackWebhook(fail_first=1)
    yield server
    server.close()


@pytest.fixture
def hubspot():
    server = HubspotApi(TOKEN, fail_first=2)
    yield server
    server.close()


@pytest.fixture
def api(tmp_path, monkeypatch, slack, hubspot):
    monkeypatch.setenv("LEADWIRE_TEST_SLACK_URL", f"{slack.url}/services/T000/B000/XXXX")
    monkeypatch.setenv("LEADWIRE_TEST_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_API_URL", hubspot.url)
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "handoffs.yaml").write_text(
        f"""
triggers:
  - id: demo-handoff
    on: {{event: demo_requested}}
    actions:
      - type: slack
        url: env:LEADWIRE_TEST_SLACK_URL
        text: "{SLACK_TEXT}"
      - {{type: hubspot, token: "env:LEADWIRE_TEST_HUBSPOT_TOKEN"}}
"""
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def identify(lead, **traits):
    return {"type": "identify", "userId": lead, "traits": traits}


def test_a_demo_request_reaches_slack_and_hubspot_once_with_why(api, slack, hubspot):
    api.send(
        identify("ann", email="ann@example.com", company_size=5000),
        track("ann", "trial_signup"),
        track("ann", "demo_requested"),
    )
    api.drain()

    assert [r.status for r in slack.requests] == [429, 200]
    assert slack.messages == [
        "ann@example.com requested a demo: score 65.0 (Hot), in Enterprise Prospects, Hot + Enterprise, "
        "Hot Leads, Identified Leads, New Leads, Active in the last 7 days, Trial Users"
    ]
    assert [r.status for r in hubspot.requests] == [429, 429, 200]
    contact = hubspot.contacts["ann@example.com"]
    assert contact["leadwire_band"] == "Hot"
    assert contact["leadwire_score"] == "65.0"
    assert "hot-leads" in contact["leadwire_segments"].split(";")
    assert "after demo_requested (+30 points)" in contact["leadwire_why"]

    _, outbox = api.get("/_local/outbox")
    mine = sorted(m["channel"] for m in outbox["messages"] if m["triggerId"] == "demo-handoff")
    assert mine == ["hubspot", "slack"]


def test_a_redelivered_fire_hands_nothing_over_twice(api, slack, hubspot):
    api.send(identify("bob", email="bob@example.com"), track("bob", "demo_requested"))
    api.drain()
    # The same demo request again (a client resend with the same messageId): no second handoff.
    api._sent -= 1
    api.send(track("bob", "demo_requested"))
    api.drain()

    assert len(slack.messages) == 1
    assert len([r for r in hubspot.requests if r.status == 200]) == 1


def test_a_lead_without_an_email_is_skipped_by_hubspot_but_announced_in_slack(api, slack, hubspot):
    api.send(track("anon-7", "demo_requested"))
    api.drain()

    [message] = slack.messages
    assert message.startswith("anon-7 requested a demo: score 30.0 (Warm), in ")
    assert "Hot Leads" not in message
    assert hubspot.contacts == {}
    _, outbox = api.get("/_local/outbox")
    [hub] = [m for m in outbox["messages"] if m["channel"] == "hubspot"]
    assert hub["status"] == "skipped"
