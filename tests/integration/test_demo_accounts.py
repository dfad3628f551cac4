"""The demo's accounts chapter on the local runtime with the default config: three leads of one
account turn Hot, the account enters Hot Accounts, the hot-account-alert trigger's Slack message
reaches the stand-in, and the account's score is the sum of its leads' decayed scores."""

from datetime import timedelta

import pytest

from leadwire.local.demo.accounts import accounts_scene, wire_slack
from leadwire.local.handoff_receivers import SlackWebhook
from leadwire.local.runtime import LocalRuntime

from .accounts_api import NOW, account, group, hot, lead, track
from .local_api import WRITE_KEY, LocalApi
from .test_demo_onsite import caller

HALF_LIFE_DAYS = 14  # config/default/scoring.yaml
HOT_POINTS = 55  # trial_signup 25 + demo_requested 30 (accounts_api.hot)


@pytest.fixture
def slack():
    receiver = SlackWebhook()
    yield receiver
    receiver.close()


@pytest.fixture
def api(slack):
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=NOW)
    wire_slack(slack, "us-east-1")
    yield LocalApi(runtime)
    runtime.close()


def test_a_hot_account_is_scored_from_its_leads_and_alerts_sales_in_slack(api, slack):
    api.send(*(group(user, "acme", name="Acme Corp", employees=5000) for user in ("u1", "u2", "u3")))
    api.send(*hot("u1"), *hot("u2"))
    api.drain()
    assert slack.messages == []  # two Hot leads are not three

    api.send(*hot("u3"))
    api.drain()
    api.post("/_local/clock", {"advance": "P1D"})  # a day of decay: each lead 55 -> 52.34, still Hot

    lines = accounts_scene(caller(api), slack)

    decayed = HOT_POINTS * 2 ** (-1 / HALF_LIFE_DAYS)
    scores = [lead(api, user)["score"] for user in ("u1", "u2", "u3")]
    assert scores == pytest.approx([decayed] * 3, abs=0.01)
    # The API rounds every score to 2 decimals: the sum of three rounded scores is within 0.015.
    assert account(api, "acme")["score"] == pytest.approx(sum(scores), abs=0.02)
    assert account(api, "acme")["score"] == pytest.approx(3 * decayed, abs=0.01)
    assert lines[2] == (
        "  acme (Acme Corp, 5000 employees, GET /accounts/acme): score 157.0 = the sum of its 3 leads' "
        "decayed scores (u1 52.3 + u2 52.3 + u3 52.3 = 157.0)"
    )
    assert lines[3] == (
        "    its leads in Hot Leads now: u1, u2, u3; "
        "its segments now: enterprise-accounts-with-trial, hot-accounts"
    )
    assert lines[4] == (
        f"    entered hot-accounts (3 or more leads in Hot Leads) {NOW:%Y-%m-%dT%H:%M} "
        "when u3 turned hot, still in"
    )
    assert lines[5] == (
        "  hot-account-alert: 1 Slack alerts sent (1 received by the stand-in), "
        "1 leadwire.account.hot bus events"
    )
    assert slack.messages == [
        "Hot account acme: 3 or more of its leads are Hot. Who and why: GET /accounts/acme"
    ]
    assert lines[6].endswith(f'Slack: "{slack.messages[0]}"')
    assert lines[7].startswith("  enterprise-accounts-with-trial now: acme ")


def test_the_story_tells_when_the_account_left_and_when_it_came_back(api, slack):
    api.send(*(group(user, "acme", employees=80) for user in ("u1", "u2", "u3")))
    api.send(*hot("u1", ["whitepaper_downloaded"]), *hot("u2", ["whitepaper_downloaded"]), *hot("u3"))
    api.drain()
    api.post("/_local/clock", {"advance": "P5D"})  # u3 (55) drops below 45 after about 4 days; 70 stays
    api.send(track("u3", "demo_requested"))  # u3 is Hot again: the account is back in
    api.drain()

    lines = accounts_scene(caller(api), slack)

    left, back = lines[4], lines[5]
    assert left.startswith(
        f"    entered hot-accounts (3 or more leads in Hot Leads) {NOW:%Y-%m-%dT%H:%M} when u3"
    )
    assert left.endswith(" when u3 cooled down")
    assert back.startswith(
        f"    entered hot-accounts (3 or more leads in Hot Leads) {NOW + timedelta(days=5):%Y-%m-%dT%H:%M}"
    )
    assert back.endswith("when u3 turned hot, still in")
    assert account(api, "acme")["segments"] == ["hot-accounts"]
    assert lines[-1].startswith("  enterprise-accounts-with-trial now: none ")
