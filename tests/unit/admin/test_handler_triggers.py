"""The trigger routes with fakes behind them: status codes, error bodies, OpenAPI."""

import json

import pytest

from leadwire.admin import handler, insight_routes
from leadwire.local.apigw import to_http_api_event
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.observability import metrics

from .conftest import trigger

CONTEXT = LocalLambdaContext("leadwire-admin")


@pytest.fixture(autouse=True)
def fakes(monkeypatch, triggers, segments):
    monkeypatch.setattr(handler, "trigger_admin", lambda: triggers)
    monkeypatch.setattr(handler, "segment_admin", lambda: segments)
    monkeypatch.setattr(insight_routes, "trigger_pauses", lambda: NoPauses())
    yield
    metrics.clear_metrics()


class NoPauses:
    def get(self, trigger_id):
        return None


def call(method, path, body=None, query="", raw=None):
    data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    event = to_http_api_event(method, path, query, [("content-type", "application/json")], data, "127.0.0.1")
    response = handler.lambda_handler(event, CONTEXT)
    text = response.get("body")
    return response["statusCode"], json.loads(text) if text else None


def test_post_answers_201_with_the_trigger_its_source_and_version():
    status, body = call("POST", "/triggers", trigger("docs-ping"))
    assert status == 201
    assert body == {**trigger("docs-ping"), "source": "api", "version": 1}


def test_get_lists_and_reads_triggers_with_source_and_version():
    status, body = call("GET", "/triggers")
    assert status == 200
    assert [(t["id"], t["source"], t["version"]) for t in body["triggers"]] == [
        ("welcome-ready", "config", 0),
        ("pricing-ping", "config", 0),
    ]
    status, one = call("GET", "/triggers/welcome-ready")
    assert (status, one["on"], one["source"]) == (200, {"enter": "ready"}, "config")


def test_an_invalid_trigger_is_422_with_paths_inside_the_trigger():
    bad = trigger("bad", delay="soon", actions=[{"type": "webhook", "url": "ftp://x", "secret": "env:S"}])
    status, body = call("POST", "/triggers", bad)
    assert status == 422
    assert body["error"]["code"] == "invalid_definition"
    problems = [(p["path"], p["triggerId"]) for p in body["error"]["details"]["problems"]]
    assert sorted(problems) == [("actions[0].url", "bad"), ("delay", "bad")]


def test_a_trigger_on_an_unknown_segment_is_422_naming_it():
    status, body = call("POST", "/triggers", trigger("bad", on={"enter": "nowhere"}))
    assert status == 422
    assert body["error"]["details"]["problems"] == [
        {"path": "on.enter", "message": "unknown segment 'nowhere'", "triggerId": "bad"}
    ]


@pytest.mark.parametrize(("method", "path"), [("POST", "/triggers"), ("PUT", "/triggers/welcome-ready")])
def test_a_body_that_is_not_json_is_400(method, path):
    status, body = call(method, path, raw=b"{not json")
    assert status == 400
    assert body["error"]["code"] == "invalid_request"


def test_put_with_a_different_id_in_the_body_is_400():
    status, body = call("PUT", "/triggers/welcome-ready", trigger("other"))
    assert (status, body["error"]["details"]) == (400, {"field": "id"})


def test_put_accepts_what_get_answered_and_refuses_a_stale_version():
    _, shown = call("GET", "/triggers/welcome-ready")
    status, body = call("PUT", "/triggers/welcome-ready", {**shown, "name": "Welcome"})
    assert (status, body["name"], body["version"], body["source"]) == (200, "Welcome", 1, "api")
    status, body = call("PUT", "/triggers/welcome-ready", {**shown, "name": "Again"})
    assert (status, body["error"]["code"]) == (409, "conflict")


def test_post_of_an_existing_id_is_409():
    status, body = call("POST", "/triggers", trigger("welcome-ready"))
    assert (status, body["error"]["code"]) == (409, "already_exists")


def test_delete_is_204_then_404():
    assert call("DELETE", "/triggers/pricing-ping") == (204, None)
    status, body = call("GET", "/triggers/pricing-ping")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert call("DELETE", "/triggers/pricing-ping")[0] == 404


def test_deleting_a_segment_used_by_a_trigger_is_409_naming_it():
    status, body = call("DELETE", "/segments/ready")
    assert (status, body["error"]["code"]) == (409, "segment_in_use")
    assert body["error"]["details"]["triggers"] == ["pricing-ping", "welcome-ready"]


def test_openapi_documents_the_trigger_and_delivery_routes_with_their_errors():
    _, body = call("GET", "/openapi.json")
    assert {
        "/triggers",
        "/triggers/{trigger_id}",
        "/triggers/{trigger_id}/deliveries",
        "/leads/{lead_id}/deliveries",
    } <= set(body["paths"])
    post = body["paths"]["/triggers"]["post"]
    assert set(post["responses"]) == {"201", "400", "409", "422"}
    assert post["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "x-leadwire-422" not in post
    assert set(body["paths"]["/triggers/{trigger_id}"]["put"]["responses"]) == {
        "200",
        "400",
        "404",
        "409",
        "422",
    }
    # Request validation stays 400 elsewhere: no route documents Powertools' 422
    assert "422" not in body["paths"]["/segments"]["post"]["responses"]
    parameters = {p["name"] for p in body["paths"]["/triggers/{trigger_id}/deliveries"]["get"]["parameters"]}
    assert {"from", "to", "status", "limit", "cursor"} <= parameters
