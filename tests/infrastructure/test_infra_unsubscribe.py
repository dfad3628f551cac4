"""The unsubscribe signing key: generated, kept, readable by exactly the two functions that use it,
and handed to them as a secret reference; the actions know the API's URL; GET reaches ingestion."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.infra_template import (
    ACTIONS_HANDLER,
    HANDLERS,
    INGESTION_HANDLER,
    Resources,
    as_list,
    function_props,
    of_type,
    role_statements,
)

READERS = [INGESTION_HANDLER, ACTIONS_HANDLER]


def _secret_id(resources: Resources) -> str:
    secrets = {
        k: v
        for k, v in of_type(resources, "AWS::SecretsManager::Secret").items()
        if "unsubscribe" in v["Properties"].get("Description", "")
    }
    (logical_id,) = secrets
    return logical_id


def _environment(resources: Resources, handler: str) -> dict[str, Any]:
    variables: dict[str, Any] = function_props(resources, handler)["Environment"]["Variables"]
    return variables


def test_the_signing_key_is_generated_and_kept(resources: Resources) -> None:
    # Given the key that signs links already sitting in inboxes
    secret = resources[_secret_id(resources)]
    # Then CloudFormation generates its value (it is in no template or repository)
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    # And deleting the stack or replacing the resource keeps it
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # And it is not rotated (a rotated key would break sent links)
    assert of_type(resources, "AWS::SecretsManager::RotationSchedule") == {}


@pytest.mark.parametrize("handler", HANDLERS)
def test_only_ingestion_and_actions_may_read_the_key(resources: Resources, handler: str) -> None:
    # Given the secret's ARN (its Ref)
    arn = {"Ref": _secret_id(resources)}
    # When each function's role is read
    granted = {
        action
        for statement in role_statements(resources, handler)
        if arn in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    # Then the two readers may get its value, and nothing else; nobody else may touch it
    assert granted == ({"secretsmanager:GetSecretValue"} if handler in READERS else set())


@pytest.mark.parametrize("handler", HANDLERS)
def test_the_readers_get_the_key_as_a_secret_reference(resources: Resources, handler: str) -> None:
    environment = _environment(resources, handler)
    if handler in READERS:
        assert environment["UNSUBSCRIBE_SECRET_REF"] == {"Ref": _secret_id(resources)}
    else:
        assert "UNSUBSCRIBE_SECRET_REF" not in environment


def test_the_actions_know_the_public_api_url(resources: Resources) -> None:
    (api_id,) = of_type(resources, "AWS::ApiGatewayV2::Api")
    url = _environment(resources, ACTIONS_HANDLER)["PUBLIC_API_URL"]
    assert {"Ref": api_id} in url["Fn::Join"][1]
    assert "PUBLIC_API_URL" not in _environment(resources, INGESTION_HANDLER)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unsubscribe_links_reach_ingestion_without_iam(resources: Resources, method: str) -> None:
    # Given the routes of the HTTP API
    routes = {
        props["RouteKey"]: props
        for props in (r["Properties"] for r in of_type(resources, "AWS::ApiGatewayV2::Route").values())
    }
    # Then the link's method is routed (POST by the /v1 proxy) and needs no IAM signature
    key = f"{method} /v1/unsubscribe" if method == "GET" else "POST /v1/{proxy+}"
    assert routes[key].get("AuthorizationType", "NONE") == "NONE"
    target = routes[key]["Target"]["Fn::Join"][1][1]
    assert target == routes["POST /v1/{proxy+}"]["Target"]["Fn::Join"][1][1]
