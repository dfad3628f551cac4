"""Config as code bundled at synth: validated, staged into the code asset, found through CONFIG_PATH."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadwire.config_loader import load_config_dir
from leadwire.core.rules import parse_definitions
from leadwire_infra.application import REPO_ROOT, ContextError, build_app, config_dir_from_context
from leadwire_infra.config_bundle import (
    BUNDLED_CONFIG,
    ConfigBundleError,
    load_bundled_config,
    stage_function_code,
)
from leadwire_infra.lambda_factory import FUNCTIONS_DIR
from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    HANDLERS,
    INGESTION_HANDLER,
    Resources,
    as_list,
    asset_dir,
    function_props,
    of_type,
)

CONFIG_PATH = "/var/task/leadwire/bundled_config.json"
VALID_SEGMENT = {"id": "pricing", "name": "Pricing", "condition": {"score": {"gte": 10}}}


def _write(directory: Path, name: str, document: dict[str, Any]) -> None:
    (directory / name).write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def umask_077() -> Iterator[None]:
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_function_knows_where_the_bundle_is(resources: Resources, handler: str) -> None:
    # Given the definitions ship inside the code asset
    # When a function starts
    # Then CONFIG_PATH points at the bundle under the Lambda task root
    assert function_props(resources, handler)["Environment"]["Variables"]["CONFIG_PATH"] == CONFIG_PATH


def test_asset_carries_the_default_config_validated(outdir: Path, resources: Resources) -> None:
    # Given config/default (the cdk.json configDir)
    # When the code asset is staged
    # Then it holds, at CONFIG_PATH, the merged config as JSON that parse_definitions accepts
    bundle = asset_dir(outdir, resources, INGESTION_HANDLER) / CONFIG_PATH.removeprefix("/var/task/")
    bundled = json.loads(bundle.read_text(encoding="utf-8"))
    definitions = parse_definitions({"segments": bundled["segments"], "scoring": bundled["scoring"]})
    assert bundled == json.loads(json.dumps(load_config_dir(REPO_ROOT / "config" / "default")))
    assert "hot-leads" in {segment.id for segment in definitions.segments}


def test_custom_config_dir_is_what_ships(tmp_path: Path) -> None:
    # Given -c configDir=<a directory of JSON or YAML files>
    # When the app is built
    # Then the staged code carries that directory's merged definitions, and nothing of the default
    config = tmp_path / "config"
    config.mkdir()
    _write(config, "segments.json", {"segments": [VALID_SEGMENT]})
    (config / "triggers.yaml").write_text(
        "triggers:\n  - {id: t1, on: {event: x}, actions: [{type: emit_event, event: y}]}\n", encoding="utf-8"
    )
    app = build_app({"configDir": str(config)}, outdir=str(tmp_path / "cdk.out"))
    staged = app.node.find_child("Leadwire").node.find_child("Functions").code_dir
    assert json.loads((staged / BUNDLED_CONFIG).read_text(encoding="utf-8")) == {
        "segments": [VALID_SEGMENT],
        "triggers": [{"id": "t1", "on": {"event": "x"}, "actions": [{"type": "emit_event", "event": "y"}]}],
    }


def test_an_invalid_trigger_stops_the_build_with_its_path(tmp_path: Path) -> None:
    # Given a trigger on a segment that does not exist
    _write(tmp_path, "segments.json", {"segments": [VALID_SEGMENT]})
    _write(
        tmp_path,
        "triggers.json",
        {
            "triggers": [
                {"id": "t", "on": {"enter": "nope"}, "actions": [{"type": "emit_event", "event": "e"}]}
            ]
        },
    )
    # When the app is built, Then synth fails naming the trigger and the problem
    with pytest.raises(ConfigBundleError, match=r"triggers\[0\]\.on"):
        build_app({"configDir": str(tmp_path)}, outdir=str(tmp_path / "cdk.out"))


def test_actions_may_read_exactly_the_webhook_secrets_the_config_names(tmp_path: Path) -> None:
    # Given a webhook action whose secret is an SSM parameter
    _write(tmp_path, "segments.json", {"segments": [VALID_SEGMENT]})
    webhook = {"type": "webhook", "url": "https://crm.example.com/hook", "secret": "ssm:/leadwire/crm"}
    _write(tmp_path, "triggers.json", {"triggers": [{"id": "t", "on": {"event": "x"}, "actions": [webhook]}]})
    # When the app is synthesised
    app = build_app({"configDir": str(tmp_path)}, outdir=str(tmp_path / "cdk.out"))
    synthesised = app.synth().get_stack_by_name("Leadwire").template
    template = json.dumps(synthesised)
    # Then the only ssm permission is GetParameter on that parameter
    assert '"ssm:GetParameter"' in template
    assert "parameter/leadwire/crm" in template
    # and the admin API lets triggers it writes name exactly that reference
    resources = synthesised["Resources"]
    admin = function_props(resources, ADMIN_HANDLER)["Environment"]["Variables"]
    assert json.loads(admin["GRANTED_SECRET_REFERENCES"]) == ["ssm:/leadwire/crm"]
    # and the only Secrets Manager permission is on the stack's own unsubscribe signing key
    resources = synthesised["Resources"]
    (signing_key,) = of_type(resources, "AWS::SecretsManager::Secret")
    secret_grants = [
        resource
        for policy in of_type(resources, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"])
    ]
    assert secret_grants
    assert all(resource == {"Ref": signing_key} for resource in secret_grants)
    # and the actions consumer may put events on Leadwire's own bus, not the default one
    assert '"events:PutEvents"' in template
    assert "event-bus/default" not in template


def test_a_webhook_url_given_as_a_reference_is_granted_like_its_secret(tmp_path: Path) -> None:
    # Given a webhook whose URL (it carries a token) and secret are both SSM parameters
    _write(tmp_path, "segments.json", {"segments": [VALID_SEGMENT]})
    webhook = {"type": "webhook", "url": "ssm:/leadwire/crm-url", "secret": "ssm:/leadwire/crm-secret"}
    _write(tmp_path, "triggers.json", {"triggers": [{"id": "t", "on": {"event": "x"}, "actions": [webhook]}]})
    # When the app is synthesised
    app = build_app({"configDir": str(tmp_path)}, outdir=str(tmp_path / "cdk.out"))
    template = json.dumps(app.synth().get_stack_by_name("Leadwire").template)
    # Then the actions consumer may read both parameters, and nothing wider
    assert "parameter/leadwire/crm-url" in template
    assert "parameter/leadwire/crm-secret" in template
    assert "parameter/leadwire/*" not in template


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "a.json": {"segments": [VALID_SEGMENT]},
                "b.json": {"segments": [{**VALID_SEGMENT, "id": "x", "condition": {"score": {"gte": "hi"}}}]},
            },
            r"b\.json: segments\[0\]\.condition\.score\.gte: expected a number",
        ),
        (
            {"a.json": {"segments": [{**VALID_SEGMENT, "condition": {"in_segment": "nope"}}]}},
            r"a\.json: segments\[0\]\.condition\.in_segment: unknown segment 'nope'",
        ),
        (
            {
                "a.json": {"segments": [VALID_SEGMENT]},
                "b.json": {"segments": [VALID_SEGMENT]},
            },
            r"b\.json: segments\[0\]\.id: duplicate segment id 'pricing' \(first at a\.json segments\[0\]\)",
        ),
        (
            {
                "a.json": {"segments": [VALID_SEGMENT]},
                "z.json": {"scoring": {"rules": [{"event": "x", "points": "lots"}]}},
            },
            r"z\.json: scoring\.rules\[0\]\.points: expected a number",
        ),
        (
            {"a.json": {"scoring": {}}, "b.json": {"scoring": {}}},
            r"b\.json: scoring is already defined in a\.json",
        ),
        (
            {"a.json": {"segments": [VALID_SEGMENT]}, "v.json": {"visits": {"gap": "PT5S"}}},
            r"visits\.gap: the visit gap must be between PT1M and P1D",
        ),
    ],
    ids=[
        "bad-operand",
        "unknown-reference",
        "duplicate-across-files",
        "bad-scoring",
        "two-scorings",
        "bad-visit-gap",
    ],
)
def test_invalid_config_stops_the_build_naming_file_and_path(
    tmp_path: Path, files: dict[str, dict[str, Any]], expected: str
) -> None:
    # Given a config directory with a definition problem
    # When the app is built with it as configDir
    # Then the build fails before any construct exists, naming the file and the path inside it
    for name, document in files.items():
        _write(tmp_path, name, document)
    with pytest.raises(ConfigBundleError, match=expected):
        build_app({"configDir": str(tmp_path)}, outdir=str(tmp_path / "cdk.out"))


def test_missing_config_dir_stops_the_build(tmp_path: Path) -> None:
    # Given a configDir that does not exist (a typo in -c configDir=...)
    # When the app is built
    # Then it fails naming the directory instead of deploying no definitions
    with pytest.raises(ConfigBundleError, match="does-not-exist"):
        build_app({"configDir": str(tmp_path / "does-not-exist")})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, REPO_ROOT / "config" / "default"),
        ("config/default", REPO_ROOT / "config" / "default"),
        ("/srv/leadwire/config", Path("/srv/leadwire/config")),
    ],
    ids=["unset", "relative", "absolute"],
)
def test_config_dir_is_relative_to_the_repository(value: str | None, expected: Path) -> None:
    # Given configDir unset, relative or absolute
    # When it is resolved
    # Then relative paths are taken from the repository root, not from the caller's cwd
    assert config_dir_from_context(value) == expected


@pytest.mark.parametrize("value", ["", "  ", 3])
def test_malformed_config_dir_stops_the_build(value: Any) -> None:
    with pytest.raises(ContextError, match="configDir"):
        config_dir_from_context(value)


def test_yaml_dates_reach_the_bundle_as_iso_strings(tmp_path: Path) -> None:
    # Given a trait comparison with an unquoted date, which PyYAML reads as a datetime.date
    # When the config is bundled
    # Then the JSON the Lambda reads holds the same ISO 8601 text
    (tmp_path / "s.yaml").write_text(
        "segments:\n  - {id: s, name: S, condition: {trait: {name: renewal, eq: 2026-01-31}}}\n",
        encoding="utf-8",
    )
    bundled = load_bundled_config(tmp_path)
    assert bundled["segments"][0]["condition"]["trait"]["eq"] == "2026-01-31"


def test_values_json_cannot_carry_stop_the_build(tmp_path: Path) -> None:
    # Given a YAML value with no JSON form (a !!binary blob)
    # When the config is bundled
    # Then the build fails instead of shipping something the Lambda would read differently
    (tmp_path / "s.yaml").write_text(
        "segments:\n  - {id: s, name: S, condition: {trait: {name: blob, eq: !!binary aGk=}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigBundleError, match="no JSON form"):
        load_bundled_config(tmp_path)


def test_staging_is_content_addressed_and_world_readable(tmp_path: Path, umask_077: None) -> None:
    # Given a restrictive local umask, and the same code staged twice, then with other definitions
    # When the code is staged
    # Then the same content reuses one directory, other content replaces it, and Lambda's non-root
    # user can read every file whatever the umask was
    first = stage_function_code(FUNCTIONS_DIR, tmp_path, {"segments": []})
    again = stage_function_code(FUNCTIONS_DIR, tmp_path, {"segments": []})
    other = stage_function_code(FUNCTIONS_DIR, tmp_path, {"segments": [VALID_SEGMENT]})
    assert first == again != other
    assert not first.exists()
    modes = {
        p.relative_to(other).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [other, *other.rglob("*")]
    }
    assert set(modes.values()) <= {0o755, 0o644}
    assert modes[BUNDLED_CONFIG] == 0o644
