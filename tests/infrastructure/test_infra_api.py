"""The HTTP API: public ingestion routes, IAM-authorised admin routes, throttled and access-logged."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire_infra.application import cdk_json_context
from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    INGESTION_HANDLER,
    Resources,
    function_id,
    of_type,
)

INGESTION_ROUTE_KEYS = ["POST /v1/{proxy+}", "OPTIONS /v1/{proxy+}", "GET /v1/unsubscribe"]
ADMIN_ROUTE_KEYS = [
    "ANY /segments",
    "ANY /segments/{proxy+}",
    "ANY /leads/{proxy+}",
    "POST /jobs",
    "GET /jobs/{proxy+}",
    "ANY /triggers",
    "ANY /triggers/{proxy+}",
    "GET /openapi.json",
]


@pytest.fixture(scope="module")
def routes(resources: Resources) -> dict[str, dict[str, Any]]:
    """Route key -> route properties."""
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    }


@pytest.fixture(scope="module")
def stage(resources: Resources) -> dict[str, Any]:
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    props: dict[str, Any] = stage["Properties"]
    return props


def _integration(resources: Resources, route: dict[str, Any]) -> dict[str, Any]:
    # Target is {"Fn::Join": ["", ["integrations/", {"Ref": <integration>}]]}
    integration_ref = route["Target"]["Fn::Join"][1][1]["Ref"]
    props: dict[str, Any] = resources[integration_ref]["Properties"]
    return props


@pytest.mark.parametrize(
    ("route_key", "authorization"),
    [(key, "NONE") for key in INGESTION_ROUTE_KEYS] + [(key, "AWS_IAM") for key in ADMIN_ROUTE_KEYS],
)
def test_route_authorization(routes: dict[str, dict[str, Any]], route_key: str, authorization: str) -> None:
    # Given the contract: public ingestion (write key checked in the Lambda), IAM-authorised admin
    # When the stack is synthesised
    # Then each route exists with that authorization type
    assert route_key in routes, f"missing route {route_key}; have {sorted(routes)}"
    assert routes[route_key]["AuthorizationType"] == authorization


@pytest.mark.parametrize(
    ("route_key", "handler"),
    [(key, INGESTION_HANDLER) for key in INGESTION_ROUTE_KEYS]
    + [(key, ADMIN_HANDLER) for key in ADMIN_ROUTE_KEYS],
)
def test_route_reaches_its_function_with_payload_v2(
    resources: Resources, routes: dict[str, dict[str, Any]], route_key: str, handler: str
) -> None:
    # Given a route
    # When API Gateway invokes its integration
    # Then it calls the right function as a Lambda proxy with payload format 2.0
    integration = _integration(resources, routes[route_key])
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id(resources, handler), "Arn"]}
    assert integration["PayloadFormatVersion"] == "2.0"


def test_only_ingestion_routes_are_unauthenticated(routes: dict[str, dict[str, Any]]) -> None:
    # Given routes added now or later
    # When any route has no API Gateway authorization
    # Then it is an ingestion route under /v1/, whose Lambda checks the write key
    public = sorted(key for key, route in routes.items() if route["AuthorizationType"] == "NONE")
    assert public == sorted(INGESTION_ROUTE_KEYS)


def test_api_is_http_api_without_gateway_cors(resources: Resources) -> None:
    # Given the ingestion Lambda answers CORS preflight itself (same code as leadwire local)
    # When the API is synthesised
    # Then it is an HTTP API with no CORS configuration that would answer OPTIONS before the Lambda
    (api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert "CorsConfiguration" not in api["Properties"]


def test_default_stage_is_throttled_from_context(stage: dict[str, Any]) -> None:
    # Given throttle limits in the cdk.json context
    # When the default stage is synthesised
    # Then every route on it is throttled at those limits
    context = cdk_json_context()
    assert stage["StageName"] == "$default"
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": context["apiThrottleRateLimit"],
        "ThrottlingBurstLimit": context["apiThrottleBurstLimit"],
    }


def test_access_logs_go_to_a_log_group_with_retention(resources: Resources, stage: dict[str, Any]) -> None:
    # Given access logging on the default stage
    # When requests arrive
    # Then a line with the request id goes to a log group that expires its logs
    settings = stage["AccessLogSettings"]
    log_group_id = settings["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[log_group_id]["Properties"]["RetentionInDays"] > 0
    assert "$context.requestId" in settings["Format"]


def test_access_logs_leave_out_caller_ip_and_user_agent(stage: dict[str, Any]) -> None:
    # Given ingestion callers are the leads themselves
    # When access logs are written
    # Then they hold no source IP or user agent (personal data)
    log_format = stage["AccessLogSettings"]["Format"]
    assert "sourceIp" not in log_format
    assert "userAgent" not in log_format


def _routed(route_keys: list[str], method: str, path: str) -> bool:
    """Whether an HTTP API route of ``route_keys`` takes ``method path`` ({proxy+} greedy)."""
    for key in route_keys:
        route_method, route_path = key.split(" ", 1)
        if route_method not in ("ANY", method.upper()):
            continue
        if route_path.endswith("/{proxy+}"):
            prefix = route_path.removesuffix("{proxy+}")
            if path.startswith(prefix) and len(path) > len(prefix):
                return True
        elif route_path == path:
            return True
    return False


def test_every_operation_of_the_admin_openapi_document_has_a_route(routes: dict[str, dict[str, Any]]) -> None:
    from leadwire.admin.handler import app

    document = app.get_openapi_schema()
    operations = [
        (method, path)
        for path, item in (document.paths or {}).items()
        for method in item.model_dump(exclude_none=True)
        if method in ("get", "post", "put", "delete", "patch")
    ]
    assert ("post", "/jobs") in operations
    unrouted = [f"{m.upper()} {p}" for m, p in operations if not _routed(list(routes), m, p)]
    assert unrouted == []
