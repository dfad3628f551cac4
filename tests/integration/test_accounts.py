"""Accounts through the local runtime: group calls link leads, the account's score follows its
leads' (decayed) scores, lead conditions read the account, ``GET /accounts/{id}`` shows it."""

import pytest

from leadwire.dal.metering import PROCESS_METER

from .accounts_api import account, account_api, group, hot, lead, track

ENTERPRISE_LEADS = {
    "id": "enterprise-account-leads",
    "name": "Leads of Enterprise accounts",
    "condition": {"account_trait": {"name": "plan", "eq": "enterprise"}},
}
BUSY_ACCOUNT_LEADS = {
    "id": "busy-account-leads",
    "name": "Leads of accounts scoring 150+",
    "condition": {"account": {"score": {"gte": 150}}},
}


@pytest.fixture
def api():
    with account_api(segments=(ENTERPRISE_LEADS, BUSY_ACCOUNT_LEADS)) as api:
        yield api


def test_group_calls_link_leads_and_the_account_scores_the_sum_of_their_scores(api):
    api.send(group("u1", "acme", plan="enterprise", name="Acme"), group("u2", "acme"), group("u3", "acme"))
    for user in ("u1", "u2", "u3"):
        api.send(*hot(user))
    api.drain()

    acme = account(api, "acme")

    assert acme["accountId"] == "acme"
    assert acme["traits"] == {"plan": "enterprise", "name": "Acme"}
    assert acme["leads"] == ["u1", "u2", "u3"]
    assert acme["segments"] == []
    scores = [lead(api, user)["score"] for user in ("u1", "u2", "u3")]
    assert min(scores) > 0
    assert acme["score"] == pytest.approx(sum(scores), abs=0.05)


def test_the_account_score_decays_like_its_leads_scores(api):
    api.send(group("u1", "acme"), group("u2", "acme"), *hot("u1"), *hot("u2"))
    api.drain()
    before = account(api, "acme")["score"]

    status, _ = api.post("/_local/clock", {"advance": "P14D"})  # one half-life of the default scoring
    assert status == 200

    after = account(api, "acme")
    assert after["score"] == pytest.approx(before / 2, abs=0.05)
    assert after["score"] == pytest.approx(lead(api, "u1")["score"] + lead(api, "u2")["score"], abs=0.05)


def test_lead_conditions_read_the_account_traits_and_score(api):
    api.send(group("u1", "acme", plan="enterprise"), group("u2", "acme"), group("u3", "acme"))
    api.send(group("s1", "smallco", plan="starter"))
    api.send(*hot("u1"), *hot("u2"))
    api.drain()
    assert "enterprise-account-leads" in lead(api, "u2")["segments"]
    assert "enterprise-account-leads" not in lead(api, "s1")["segments"]
    assert "busy-account-leads" not in lead(api, "u2")["segments"]

    api.send(*hot("u3"))  # the third hot lead takes acme past 150
    api.drain()

    assert account(api, "acme")["score"] >= 150
    assert "busy-account-leads" in lead(api, "u3")["segments"]


def test_a_lead_that_moves_to_another_account_leaves_the_first(api):
    api.send(group("u1", "acme"), group("u2", "acme"), *hot("u1"), *hot("u2"))
    api.drain()
    u2 = lead(api, "u2")["score"]
    before = account(api, "acme")["score"]

    api.send({**group("u2", "globex", plan="enterprise"), "timestamp": "2026-11-02T09:05:00+00:00"})
    api.drain()

    assert account(api, "acme")["leads"] == ["u1"]
    assert account(api, "acme")["score"] == pytest.approx(before - u2, abs=0.05)
    assert account(api, "globex")["leads"] == ["u2"]


def test_an_account_nobody_grouped_into_is_404_with_the_error_shape(api):
    status, body = api.get("/accounts/nobody")

    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert body["error"]["details"] == {"accountId": "nobody"}


def test_the_leads_list_is_paged(api):
    api.send(*(group(f"u{n}", "acme") for n in range(5)))
    api.drain()

    status, first = api.get("/accounts/acme", "limit=2")
    assert status == 200
    status, second = api.get("/accounts/acme", f"limit=2&cursor={first['leadsCursor']}")

    assert first["leads"] == ["u0", "u1"]
    assert second["leads"] == ["u2", "u3"]


def test_the_openapi_document_describes_the_account_route(api):
    status, document = api.get("/openapi.json")

    assert status == 200
    operation = document["paths"]["/accounts/{account_id}"]["get"]
    assert {"200", "400", "404"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["AccountView"]
    assert {"accountId", "traits", "score", "leads", "segments"} <= set(schema["properties"])


def test_an_account_update_costs_four_write_units_and_decay_or_unscored_events_nothing():
    """The figure the README quotes: the link item and the account item, each under 1 KB, doubled
    by the transaction; reads: the link item and the account item, strongly consistent."""
    with account_api() as api:
        api.send(group("u1", "acme", plan="enterprise"), track("u1", "newsletter_subscribed"))
        api.drain()
        writes, reads = (
            PROCESS_METER.writes_by_kind.get("account", 0),
            PROCESS_METER.reads_by_kind.get("account", 0),
        )

        for _ in range(5):  # one scored event per batch: one account update each
            api.send(track("u1", "newsletter_subscribed"))
            api.drain()
        scored = (
            PROCESS_METER.writes_by_kind["account"] - writes,
            PROCESS_METER.reads_by_kind["account"] - reads,
        )
        api.send(track("u1", "nothing_scored"))
        api.drain()
        status, _ = api.post("/_local/clock", {"advance": "P3D"})
        assert status == 200

        assert scored == (5 * 4, 5 * 2)
        assert PROCESS_METER.writes_by_kind["account"] - writes == 5 * 4
