"""Account scores decay like lead scores: an account segment on the account score sees the
account leave at the instant decay takes the score below its threshold, with no new event (the
sweep settles the account from the due index), and the exit trigger fires."""

import math
from datetime import timedelta

import pytest

from leadwire.core.instants import iso

from .accounts_api import NOW, account, account_api, group, hot

HALF_LIFE = timedelta(days=14)  # config/default/scoring.yaml
POINTS = 55  # trial_signup + demo_requested on the default scoring
THRESHOLD = 40
WARM = {
    "id": "warm-accounts",
    "name": "Accounts scoring 40 or more",
    "level": "account",
    "condition": {"score": {"gte": THRESHOLD}},
}
ON_EXIT = {
    "id": "account-cooled",
    "on": {"exit": "warm-accounts"},
    "actions": [{"type": "eventbridge", "detail_type": "AccountCooled"}],
}
# By hand: 55 * 2^(-t / 14 days) = 40 at t = 14 days * log2(55 / 40); the engine flips at the
# first whole second after it.
CROSSING = NOW + timedelta(seconds=math.floor(HALF_LIFE.total_seconds() * math.log2(POINTS / THRESHOLD)) + 1)


@pytest.fixture
def api():
    with account_api(segments=(WARM,), triggers=(ON_EXIT,)) as api:
        yield api


def cooled(api):
    status, body = api.get("/_local/outbox")
    assert status == 200
    return [m for m in body["messages"] if m["triggerId"] == "account-cooled"]


def test_the_account_leaves_at_the_instant_its_score_decays_below_the_threshold(api):
    api.send(group("u1", "acme"), *hot("u1"))
    api.drain()
    assert account(api, "acme")["segments"] == ["warm-accounts"]
    assert account(api, "acme")["score"] == pytest.approx(POINTS)

    status, _ = api.post("/_local/clock", {"advance": "P6D"})  # 6 days: about 41.4, still in
    assert status == 200
    assert account(api, "acme")["segments"] == ["warm-accounts"]
    assert cooled(api) == []

    status, _ = api.post("/_local/clock", {"advance": "P4D"})  # no event at all in between
    assert status == 200

    acme = account(api, "acme")
    assert acme["segments"] == []
    assert acme["score"] < THRESHOLD
    [interval] = api.get("/accounts/acme/history")[1]["history"]
    assert interval["enteredAt"] == iso(NOW)
    assert interval["exitedAt"] == iso(CROSSING)
    assert interval["cause"]["exited"] == "time"
    assert [m["leadId"] for m in cooled(api)] == ["account:acme"]
    assert [m["leadId"] for m in api.all_members("warm-accounts")] == []


def test_a_new_event_before_the_crossing_keeps_the_account_in(api):
    api.send(group("u1", "acme"), *hot("u1"))
    api.drain()
    status, _ = api.post("/_local/clock", {"advance": "P5D"})
    assert status == 200

    api.send(group("u2", "acme"), *hot("u2"))  # stamped NOW: a late event adds its decayed points
    api.drain()
    status, _ = api.post("/_local/clock", {"advance": "P5D"})
    assert status == 200

    # Two leads of 55 at NOW: 110 * 2^(-10/14) is about 67, far above 40.
    assert account(api, "acme")["segments"] == ["warm-accounts"]
    assert cooled(api) == []
