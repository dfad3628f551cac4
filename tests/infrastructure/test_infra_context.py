"""Context: write-key digests and throttle limits, validated at synth time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from leadwire.settings import hash_write_key
from leadwire_infra.application import (
    ContextError,
    build_app,
    cdk_json_context,
    change_guard_from_context,
    leadwire_stack,
    write_key_hashes_from_context,
)
from tests.infrastructure.infra_template import ADMIN_HANDLER, INGESTION_HANDLER, function_props

DIGEST = hash_write_key("test-write-key")


@pytest.mark.parametrize(
    "value",
    [json.dumps({DIGEST: "website"}), {DIGEST: "website"}],
    ids=["json-string-from-cli", "object-from-cdk-json"],
)
def test_write_key_hashes_accept_cli_string_and_json_object(value: Any) -> None:
    # Given writeKeyHashes as `-c` passes it (a string) or as cdk.json holds it (an object)
    # When it is parsed
    # Then both give the same digest -> source map
    assert write_key_hashes_from_context(value) == {DIGEST: "website"}


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        json.dumps([DIGEST]),
        json.dumps({}),
        json.dumps({DIGEST.upper(): "website"}),
        json.dumps({"test-write-key": "website"}),
    ],
    ids=["not-json", "a-list", "empty", "uppercase-digest", "raw-key-not-digest"],
)
def test_malformed_write_key_hashes_stop_synth(value: str) -> None:
    # Given a malformed writeKeyHashes value (e.g. a raw key pasted instead of its digest)
    # When the app is built
    # Then it fails before synthesis, with the same rule the Lambda applies at cold start
    with pytest.raises(ContextError, match="writeKeyHashes"):
        build_app({"writeKeyHashes": value})


@pytest.mark.parametrize("value", ["fast", 0, -5])
def test_malformed_throttle_limit_stops_synth(value: Any) -> None:
    # Given a throttle limit that is not a positive integer
    # When the app is built
    # Then it fails naming the key
    with pytest.raises(ContextError, match="apiThrottleRateLimit"):
        build_app({"apiThrottleRateLimit": value})


def test_placeholder_write_keys_fail_closed_and_warn(resources: Any, stack: Any) -> None:
    # Given no writeKeyHashes context (cdk.json sets none)
    # When the app is synthesised
    # Then ingestion gets a digest nobody holds a key for, and synth warns about it
    env = function_props(resources, INGESTION_HANDLER)["Environment"]["Variables"]
    assert json.loads(env["WRITE_KEY_HASHES"]) == {"0" * 64: "placeholder"}
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("writeKeyHashes is not set"))


def test_cli_write_key_hashes_reach_the_ingestion_function(tmp_path: Any) -> None:
    # Given `cdk synth -c writeKeyHashes='{"<sha256>":"website"}'`
    # When the app is synthesised
    # Then the ingestion function's WRITE_KEY_HASHES holds exactly that map
    app = build_app(
        {**cdk_json_context(), "writeKeyHashes": json.dumps({DIGEST: "website"})}, outdir=str(tmp_path)
    )
    resources = Template.from_stack(leadwire_stack(app)).to_json()["Resources"]
    env = function_props(resources, INGESTION_HANDLER)["Environment"]["Variables"]
    assert json.loads(env["WRITE_KEY_HASHES"]) == {DIGEST: "website"}


def test_the_admin_function_holds_the_safe_change_thresholds(resources: Any) -> None:
    # Given no leadwire:confirm* context (cdk.json sets none)
    # Then the admin function runs with the settings' defaults, written out in the template
    env = function_props(resources, ADMIN_HANDLER)["Environment"]["Variables"]
    assert (env["CONFIRM_FLIP_SHARE"], env["CONFIRM_MIN_FLIPS"]) == ("0.2", "50")


def test_safe_change_thresholds_come_from_context() -> None:
    app = build_app(
        {**cdk_json_context(), "leadwire:confirmFlipShare": "0.05", "leadwire:confirmMinFlips": 500}
    )
    assert change_guard_from_context(app) == {"CONFIRM_FLIP_SHARE": "0.05", "CONFIRM_MIN_FLIPS": "500"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("leadwire:confirmFlipShare", "1.5"),
        ("leadwire:confirmFlipShare", "half"),
        ("leadwire:confirmMinFlips", 0),
    ],
)
def test_malformed_safe_change_thresholds_stop_synth(key: str, value: Any) -> None:
    with pytest.raises(ContextError, match="leadwire:confirmFlipShare"):
        build_app({key: value})
