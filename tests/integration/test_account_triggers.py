"""Account triggers end to end on the local runtime: an account with three Hot leads is handed to
Slack, HubSpot (as a company), a webhook and the bus, each payload carrying the account (id,
traits, score) and the leads that made it qualify; a lead-addressed action is refused up front."""

import json
import shutil
from datetime import timedelta

import pytest

from leadwire.local.handoff_receivers import HubspotApi, SlackWebhook
from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime
from leadwire.local.webhook_receiver import WebhookReceiver

from .accounts_api import group, hot, track
from .local_api import NOW, WRITE_KEY, LocalApi
from .test_webhook_actions import bus_queue

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "pat-na1-test-token"
SLACK_TEXT = (
    "{{ account.accountId }} ({{ account.traits.plan }}) has {{ account.leads | length }} hot leads: "
    "{{ account.leads | map(attribute='leadId') | join(', ') }}"
)


@pytest.fixture
def receivers():
    hook, slack, hubspot = WebhookReceiver(SECRET), SlackWebhook(), HubspotApi(TOKEN)
    yield hook, slack, hubspot
    for server in (hook, slack, hubspot):
        server.close()


@pytest.fixture
def api(tmp_path, monkeypatch, receivers):
    hook, slack, hubspot = receivers
    monkeypatch.setenv("LEADWIRE_TEST_SECRET", SECRET)
    monkeypatch.setenv("LEADWIRE_TEST_SLACK_URL", f"{slack.url}/services/T000/B000/XXXX")
    monkeypatch.setenv("LEADWIRE_TEST_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_API_URL", hubspot.url)
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "accounts.yaml").unlink()  # the default account segments: this test brings its own
    (config / "account_triggers.yaml").write_text(
        f"""
segments:
  - id: accounts-3-hot
    name: Accounts with at least 3 Hot leads
    level: account
    condition: {{leads: {{in_segment: hot-leads, count: {{gte: 3}}}}}}
triggers:
  - id: account-handoff
    on: {{enter: accounts-3-hot}}
    only_if: {{trait: {{name: plan, eq: enterprise}}}}
    actions:
      - {{type: webhook, url: "{hook.url()}", secret: "env:LEADWIRE_TEST_SECRET", allow_private: true}}
      - type: slack
        url: env:LEADWIRE_TEST_SLACK_URL
        text: "{SLACK_TEXT}"
      - {{type: hubspot, token: "env:LEADWIRE_TEST_HUBSPOT_TOKEN"}}
      - {{type: eventbridge, detail_type: Account hot}}
"""
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def test_an_account_turning_hot_is_handed_over_with_the_leads_that_made_it(api, receivers):
    hook, slack, hubspot = receivers
    sqs, queue_url = bus_queue()
    api.send(*(group(user, "acme", plan="enterprise") for user in ("u1", "u2", "u3", "u4")))
    api.send(*hot("u1", ["whitepaper_downloaded"]), *hot("u2"), *hot("u3"), track("u4", "page_viewed"))
    api.drain()

    [delivered] = hook.accepted
    data = delivered.payload["data"]
    assert (data["leadId"], data["accountId"]) == ("account:acme", "acme")
    account = data["account"]
    assert account["traits"] == {"plan": "enterprise"}
    assert account["leadCount"] == 4
    assert [lead["leadId"] for lead in account["leads"]] == ["u1", "u2", "u3"]  # highest score first
    assert all("hot-leads" in lead["segments"] for lead in account["leads"])
    assert account["score"] == pytest.approx(sum(lead["score"] for lead in account["leads"]), abs=1.0)
    assert [s["segmentId"] for s in account["segments"]] == ["accounts-3-hot"]
    assert data["why"] == account

    assert slack.messages == ["acme (enterprise) has 3 hot leads: u1, u2, u3"]
    company = hubspot.companies["acme"]
    assert company["leadwire_account_id"] == "acme"
    assert company["leadwire_segments"] == "accounts-3-hot"
    assert "through u1" in company["leadwire_why"]

    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    [event] = [json.loads(m["Body"]) for m in received if json.loads(m["Body"])["detail"].get("accountId")]
    assert event["detail-type"] == "Account hot"
    assert event["detail"]["account"]["leads"] == account["leads"]


def test_an_account_trigger_whose_only_if_fails_on_the_account_sends_nothing(api, receivers):
    hook, slack, _ = receivers
    api.send(*(group(user, "smallco", plan="starter") for user in ("s1", "s2", "s3")))
    api.send(*hot("s1"), *hot("s2"), *hot("s3"))
    api.drain()

    assert hook.accepted == []
    assert slack.messages == []
    _, outbox = api.get("/_local/outbox")
    skipped = [m for m in outbox["messages"] if m["triggerId"] == "account-handoff"]
    assert [(m["leadId"], m["status"], m["reason"]) for m in skipped] == [
        ("account:smallco", "skipped", "only_if")
    ]


def test_an_email_on_an_account_trigger_is_refused_naming_the_field(api):
    trigger = {
        "id": "mail-the-account",
        "on": {"enter": "accounts-3-hot"},
        "actions": [{"type": "email", "template": "welcome"}],
    }

    status, body = api.post("/triggers", trigger)

    assert status == 422
    [problem] = body["error"]["details"]["problems"]
    assert problem["path"] == "actions[0].type"
    assert problem["message"].startswith("email needs a lead; 'accounts-3-hot' is an account segment")
    assert problem["message"].endswith("account triggers can use slack, hubspot, webhook, eventbridge")
