"""The admin routes with fakes behind them: status codes, error bodies, parameters, OpenAPI."""

import json

import pytest

from leadwire.admin import handler
from leadwire.admin.leads import LeadAdmin
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import parse_definitions
from leadwire.local.apigw import to_http_api_event
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.observability import metrics

from .conftest import BUNDLED, NOW, segment

CONTEXT = LocalLambdaContext("leadwire-admin")


class NoLeads:
    def load(self, lead_id):
        return LeadRecord.new(lead_id) if lead_id == "known" else None

    def history(self, lead_id):
        return []

    def members(self, segment_id, limit, after_lead):
        return [], None

    def lead_events(self, lead_id):
        return []


@pytest.fixture(autouse=True)
def fakes(monkeypatch, segments):
    leads = NoLeads()
    monkeypatch.setattr(handler, "segment_admin", lambda: segments)
    monkeypatch.setattr(
        handler,
        "lead_admin",
        lambda: LeadAdmin(leads, leads, lambda: parse_definitions(BUNDLED), lambda: NOW),
    )
    yield
    metrics.clear_metrics()


def call(method, path, body=None, query=""):
    data = b"" if body is None else json.dumps(body).encode()
    event = to_http_api_event(method, path, query, [("content-type", "application/json")], data, "127.0.0.1")
    response = handler.lambda_handler(event, CONTEXT)
    text = response.get("body")
    return response["statusCode"], json.loads(text) if text else None, response.get("headers", {})


def test_post_answers_201_with_the_segment_and_its_job():
    status, body, _ = call("POST", "/segments", segment("docs"))
    assert status == 201
    assert (body["id"], body["source"], body["version"]) == ("docs", "api", 1)
    assert body["job"] == {"jobId": "job-1", "status": "pending"}


def test_post_with_an_unknown_operator_gives_the_problem_path():
    # Given a condition whose second clause uses an operator that does not exist
    definition = segment("bad", condition={"all": [{"score": {"gte": 1}}, {"score": {"above": 3}}]})
    # When it is posted
    status, body, _ = call("POST", "/segments", definition)
    # Then 400 invalid_definition with the path inside the segment
    assert status == 400
    assert body["error"]["code"] == "invalid_definition"
    (problem,) = body["error"]["details"]["problems"]
    assert problem["path"] == "condition.all[1].score.above"
    assert "unknown operator 'above'" in problem["message"]


@pytest.mark.parametrize(("method", "path"), [("POST", "/segments"), ("PUT", "/segments/hot")])
def test_a_body_field_of_the_wrong_json_type_is_named(method, path):
    status, body, _ = call(method, path, {"id": "hot", "name": "Hot", "condition": ["score"]})
    assert status == 400
    assert body["error"]["code"] == "invalid_request"
    assert body["error"]["details"][0]["field"] == "condition"


def test_duplicate_id_is_409():
    status, body, _ = call("POST", "/segments", segment("hot"))
    assert (status, body["error"]["code"]) == (409, "already_exists")


def test_put_with_a_different_id_in_the_body_is_400():
    status, body, _ = call("PUT", "/segments/hot", segment("cold"))
    assert status == 400
    assert body["error"]["details"] == {"field": "id"}


def test_put_accepts_what_get_answered():
    # Given the segment as GET shows it (with source and version)
    _, shown, _ = call("GET", "/segments/hot")
    # When it is sent back with a change
    status, body, _ = call("PUT", "/segments/hot", {**shown, "name": "Hotter"})
    # Then it is replaced at the next version
    assert (status, body["name"], body["version"]) == (200, "Hotter", 1)


def test_put_with_a_stale_version_is_409():
    call("PUT", "/segments/hot", segment("hot", name="Hotter"))
    status, body, _ = call("PUT", "/segments/hot", {**segment("hot"), "version": 0})
    assert (status, body["error"]["code"]) == (409, "conflict")


def test_delete_answers_204_with_the_job_in_a_header():
    status, body, headers = call("DELETE", "/segments/hot")
    assert (status, body) == (204, None)
    assert headers[handler.JOB_HEADER] == "job-1"


def test_delete_of_a_used_segment_is_409_naming_the_user():
    status, body, _ = call("DELETE", "/segments/pricing")
    assert (status, body["error"]["code"]) == (409, "segment_in_use")
    assert body["error"]["details"]["problems"][0]["segmentId"] == "ready"


@pytest.mark.parametrize(
    "path",
    [
        "/segments/nowhere",
        "/segments/nowhere/members",
        "/leads/nobody",
        "/leads/nobody/history",
        "/leads/nobody/events",
    ],
)
def test_unknown_ids_are_404(path):
    status, body, _ = call("GET", path)
    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit")]
)
def test_members_limit_out_of_range_is_400_naming_it(query, field):
    status, body, _ = call("GET", "/segments/hot/members", query=query)
    assert status == 400
    assert body["error"]["details"][0]["field"] == field


def test_a_cursor_this_api_did_not_issue_is_400():
    status, body, _ = call("GET", "/segments/hot/members", query="cursor=bm90LWpzb24")
    assert (status, body["error"]["details"]) == (400, {"field": "cursor"})


def test_openapi_documents_every_route_with_400_not_422():
    status, body, _ = call("GET", "/openapi.json")
    assert status == 200
    assert {"/segments", "/segments/{segment_id}", "/segments/{segment_id}/members", "/jobs/{job_id}"} <= set(
        body["paths"]
    )
    post = body["paths"]["/segments"]["post"]["responses"]
    assert set(post) == {"201", "400", "409"}
    assert body["info"]["title"] == "Leadwire admin API"


@pytest.mark.parametrize(("method", "path"), [("post", "/segments"), ("put", "/segments/{segment_id}")])
def test_openapi_documents_confirm_and_its_409(method, path):
    _, body, _ = call("GET", "/openapi.json")
    operation = body["paths"][path][method]
    (confirm,) = [p for p in operation["parameters"] if p["name"] == "confirm"]
    assert (confirm["in"], confirm["schema"]["type"], confirm["required"]) == ("query", "boolean", False)
    assert "confirmation_required" in operation["responses"]["409"]["description"]


def test_openapi_documents_a_204_without_a_body_and_400_wherever_input_is_validated():
    _, body, _ = call("GET", "/openapi.json")
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("parameters") or operation.get("requestBody"):
                assert "400" in responses, f"{method.upper()} {path}"
            if "204" in responses:
                assert "content" not in responses["204"], f"{method.upper()} {path}"
    assert "400" in body["paths"]["/segments/{segment_id}"]["get"]["responses"]
    assert "400" in body["paths"]["/segments/{segment_id}"]["delete"]["responses"]


@pytest.mark.parametrize(
    ("schema", "required"),
    [("NewSegment", "id"), ("NewTrigger", "id"), ("NewTrigger", "on"), ("TriggerDefinition", "on")],
)
def test_openapi_definition_schemas_require_what_the_server_requires(schema, required):
    _, body, _ = call("GET", "/openapi.json")
    assert required in body["components"]["schemas"][schema]["required"]


@pytest.mark.parametrize("path", ["/segments", "/triggers"])
def test_an_empty_definition_is_refused_naming_the_id(path):
    status, body, _ = call("POST", path, body={})
    assert status == 400
    assert "id" in [d["field"] for d in body["error"]["details"]]


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded"])
def test_a_form_body_is_400_naming_the_content_type(content_type):
    event = to_http_api_event(
        "POST",
        "/segments",
        "",
        [("content-type", content_type)],
        json.dumps(segment("x")).encode(),
        "127.0.0.1",
    )
    response = handler.lambda_handler(event, CONTEXT)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["details"] == {"field": "content-type"}
