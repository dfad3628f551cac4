"""Account segments through the local runtime, on the simulated clock: three leads of one account
entering Hot Leads put the account in "accounts with at least 3 Hot leads"; one cooling down takes
it out (the sweep flips the lead, the consumer moves the account), with history and a trigger."""

import pytest

from .accounts_api import account, account_api, group, hot, track

THREE_HOT = {
    "id": "accounts-3-hot",
    "name": "Accounts with at least 3 Hot leads",
    "level": "account",
    "condition": {"leads": {"in_segment": "hot-leads", "count": {"gte": 3}}},
}
ENTERPRISE_TRIAL = {
    "id": "enterprise-trial-accounts",
    "name": "Enterprise accounts with a trial user",
    "level": "account",
    "condition": {
        "all": [
            {"trait": {"name": "plan", "eq": "enterprise"}},
            {"leads": {"in_segment": "trial-users", "count": {"gte": 1}}},
        ]
    },
}
ON_ENTER = {
    "id": "account-turned-hot",
    "on": {"enter": "accounts-3-hot"},
    "actions": [{"type": "eventbridge", "detail_type": "AccountHot"}],
}


@pytest.fixture
def api():
    with account_api(segments=(THREE_HOT, ENTERPRISE_TRIAL), triggers=(ON_ENTER,)) as api:
        yield api


def members(api, segment_id):
    return [member["leadId"] for member in api.all_members(segment_id)]


def fired(api):
    status, body = api.get("/_local/outbox")
    assert status == 200
    return [m for m in body["messages"] if m["triggerId"] == "account-turned-hot"]


def test_three_hot_leads_put_the_account_in_and_one_cooling_down_takes_it_out(api):
    api.send(group("u1", "acme"), group("u2", "acme"), group("u3", "acme"))
    api.send(*hot("u1", ["whitepaper_downloaded"]), *hot("u2", ["whitepaper_downloaded"]))
    api.drain()
    assert account(api, "acme")["segments"] == []

    api.send(*hot("u3"))  # the third Hot lead
    api.drain()

    assert account(api, "acme")["segments"] == ["accounts-3-hot"]
    assert members(api, "accounts-3-hot") == ["acme"]
    listed = {s["id"]: s for s in api.get("/segments")[1]["segments"]}
    assert listed["accounts-3-hot"]["memberCount"] == 1
    sent = fired(api)
    assert [m["leadId"] for m in sent] == ["account:acme"]

    # u3 (55) decays below 45 after about 4 days; u1 and u2 (70) stay Hot for about 9.
    status, _ = api.post("/_local/clock", {"advance": "P5D"})
    assert status == 200

    assert "hot-leads" not in api.get("/leads/u3")[1]["segments"]
    assert account(api, "acme")["segments"] == []
    assert members(api, "accounts-3-hot") == []
    listed = {s["id"]: s for s in api.get("/segments")[1]["segments"]}
    assert listed["accounts-3-hot"]["memberCount"] == 0
    status, history = api.get("/accounts/acme/history")
    assert status == 200
    [interval] = history["history"]
    assert interval["segmentId"] == "accounts-3-hot"
    assert interval["enteredAt"].startswith("2026-11-02T09:00")
    assert interval["exitedAt"] > "2026-11-06"
    assert interval["cause"] == {"entered": "u3", "exited": "u3"}
    assert len(fired(api)) == 1  # entering fired once; nothing listens to the exit
    status, analytics = api.get("/segments/accounts-3-hot/analytics", "from=2026-11-01T00:00:00Z")
    assert status == 200, analytics
    assert [p["entered"] for p in analytics["series"]][:2] == [0, 1]


def test_an_account_segment_on_traits_and_a_lead_segment(api):
    api.send(group("u1", "acme", plan="enterprise"), group("s1", "smallco", plan="starter"))
    api.drain()
    assert account(api, "acme")["segments"] == []

    api.send(track("u1", "trial_signup"), track("s1", "trial_signup"))
    api.drain()

    assert account(api, "acme")["segments"] == ["enterprise-trial-accounts"]
    assert account(api, "smallco")["segments"] == []


def test_an_account_segment_refuses_lead_nodes_naming_the_field(api):
    bad = {**THREE_HOT, "id": "bad", "condition": {"performed": {"event": "trial_signup"}}}

    status, body = api.post("/segments", bad)

    assert status == 400
    assert "condition.performed" in [p["path"] for p in body["error"]["details"]["problems"]]


def test_erasing_a_lead_takes_it_out_of_its_account_and_the_account_out_of_the_segment(api):
    api.send(group("u1", "acme"), group("u2", "acme"), group("u3", "acme"))
    api.send(*hot("u1"), *hot("u2"), *hot("u3"))
    api.drain()
    assert account(api, "acme")["segments"] == ["accounts-3-hot"]
    before = account(api, "acme")["score"]
    u3 = api.get("/leads/u3")[1]["score"]

    status, _, _ = api.delete("/leads/u3")
    assert status in (200, 202)
    api.drain()

    acme = account(api, "acme")
    assert acme["leads"] == ["u1", "u2"]
    assert acme["score"] == pytest.approx(before - u3, abs=0.05)
    assert acme["segments"] == []
    [interval] = api.get("/accounts/acme/history")[1]["history"]
    assert interval["cause"]["exited"] == "erasure"


def test_explain_an_account_segment_node_by_node(api):
    api.send(group("u1", "acme", plan="enterprise"), group("u2", "acme"))
    api.send(*hot("u1"), track("u2", "trial_signup"))
    api.drain()

    status, body = api.get("/segments/enterprise-trial-accounts/explain/acme")

    assert status == 200, body
    assert (body["accountId"], body["leadId"], body["member"], body["holds"]) == (
        "acme",
        "account:acme",
        True,
        True,
    )
    plan, trial = body["tree"]["children"]
    assert (plan["node"], plan["value"], plan["holds"]) == ("trait", "enterprise", True)
    assert (trial["node"], trial["value"], trial["holds"]) == ("leads", 2, True)
    assert trial["expected"] == {"in_segment": "trial-users", "count": {"gte": 1}}
    assert body["lastChange"]["kind"] == "entered"
    assert body["lastChange"]["cause"] in {"u1", "u2"}

    status, body = api.get("/segments/accounts-3-hot/explain/acme")
    assert status == 200, body
    assert (body["member"], body["tree"]["node"], body["tree"]["value"]) == (False, "leads", 1)
    assert body["lastChange"] is None


def test_explain_an_account_segment_for_an_unknown_account_is_a_404_naming_it(api):
    status, body = api.get("/segments/accounts-3-hot/explain/nobody")

    assert status == 404
    assert body["error"]["details"] == {"accountId": "nobody"}


def test_previewing_an_account_segment_is_a_400_naming_the_level(api):
    api.send(group("u1", "acme"), *hot("u1"))
    api.drain()

    status, body = api.post("/segments/preview", {"segment": {**THREE_HOT, "id": "proposed"}, "since": "P7D"})

    assert status == 400
    assert body["error"]["details"] == {"field": "segment.level"}
    assert "cannot be previewed" in body["error"]["message"]


def test_previewing_a_trigger_on_an_account_segment_is_a_400_naming_its_on(api):
    status, body = api.post("/triggers/preview", {"trigger": ON_ENTER, "since": "P7D"})

    assert status == 400
    assert body["error"]["details"] == {"field": "trigger.on.enter"}
