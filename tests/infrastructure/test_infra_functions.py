"""Every function comes from one factory: same runtime, code, layer, tracing, logs and environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from leadwire.settings import IngestionSettings
from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    HANDLERS,
    INGESTION_HANDLER,
    REEVALUATE_HANDLER,
    SEGMENTATION_HANDLER,
    SWEEP_HANDLER,
    TRIGGER_HANDLER,
    Resources,
    asset_dir,
    function_props,
    of_type,
)

POWERTOOLS_LAYER = re.compile(
    r"^arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:017000801446:layer:"
    r"AWSLambdaPowertoolsPythonV3-python312-arm64:\d+$"
)


def test_one_function_per_handler(resources: Resources) -> None:
    # Given the ingestion, admin, segmentation, re-evaluation, sweep, trigger and actions entry points
    # When the stack is synthesised
    # Then there is exactly one function for each, and no other (no placeholders)
    handlers = sorted(
        v["Properties"]["Handler"] for v in of_type(resources, "AWS::Lambda::Function").values()
    )
    assert handlers == sorted(HANDLERS)


@pytest.mark.parametrize("handler", HANDLERS)
def test_runs_python312_on_arm64(resources: Resources, handler: str) -> None:
    # Given / When: the synthesised function
    # Then: Graviton (cheaper per GB-second) on the runtime the Powertools layer is built for
    props = function_props(resources, handler)
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])


@pytest.mark.parametrize("handler", HANDLERS)
def test_powertools_layer_attached(resources: Resources, handler: str) -> None:
    # Given the code ships without third-party packages
    # When the function is synthesised
    # Then the public Powertools v3 layer for python3.12/arm64 is attached (it bundles pydantic), in
    # the deployment's own partition and region
    (layer,) = function_props(resources, handler)["Layers"]
    assert POWERTOOLS_LAYER.match(layer["Fn::Sub"]), layer


@pytest.mark.parametrize("handler", HANDLERS)
def test_active_tracing(resources: Resources, handler: str) -> None:
    # Given / When: the synthesised function
    # Then: X-Ray active tracing is on (no Tracer import needed in the code)
    assert function_props(resources, handler)["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("handler", HANDLERS)
def test_environment_names_table_and_powertools(resources: Resources, table_id: str, handler: str) -> None:
    # Given the settings models read TABLE_NAME and Powertools reads its own variables
    # When the function is synthesised
    # Then they are set, TABLE_NAME to this stack's table
    env = function_props(resources, handler)["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": table_id}
    assert {
        k: env[k] for k in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL")
    } == {
        "POWERTOOLS_SERVICE_NAME": "leadwire",
        "POWERTOOLS_METRICS_NAMESPACE": "Leadwire",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


@pytest.mark.parametrize(
    ("handler", "memory_mb", "timeout_s"),
    [
        (INGESTION_HANDLER, 512, 10),
        (ADMIN_HANDLER, 256, 15),
        (SEGMENTATION_HANDLER, 1024, 60),
        (REEVALUATE_HANDLER, 1024, 900),
        (SWEEP_HANDLER, 1024, 300),
        (TRIGGER_HANDLER, 512, 60),  # the reactions function: triggers and actions
    ],
)
def test_memory_and_timeout(resources: Resources, handler: str, memory_mb: int, timeout_s: int) -> None:
    # Given / When: the synthesised function
    # Then: sized for its path (more memory is more CPU: ingestion's cold start, evaluation's rules;
    # re-evaluation pages through every lead, so it may run for Lambda's maximum; a sweep catching
    # up after an outage is bounded per run)
    props = function_props(resources, handler)
    assert (props["MemorySize"], props["Timeout"]) == (memory_mb, timeout_s)


@pytest.mark.parametrize("handler", HANDLERS)
def test_logs_to_its_own_log_group_with_retention(resources: Resources, handler: str) -> None:
    # Given / When: the synthesised function
    # Then: it logs to a log group of its own whose logs expire (leads are PII)
    log_group_id = function_props(resources, handler)["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources[log_group_id]["Properties"]["RetentionInDays"] > 0


def test_every_log_group_has_retention(resources: Resources) -> None:
    # Given any log group in the stack
    # Then: none keeps logs forever
    never_expire = [
        k
        for k, v in of_type(resources, "AWS::Logs::LogGroup").items()
        if "RetentionInDays" not in v["Properties"]
    ]
    assert never_expire == []


def test_ingestion_gets_write_key_hashes_its_settings_accept(resources: Resources) -> None:
    # Given no writeKeyHashes context (the cdk.json default)
    # When the ingestion function is synthesised
    # Then WRITE_KEY_HASHES is a map that the Lambda's own settings model accepts at cold start
    env = function_props(resources, INGESTION_HANDLER)["Environment"]["Variables"]
    settings = IngestionSettings.from_env(
        {"TABLE_NAME": "leadwire-test", "WRITE_KEY_HASHES": env["WRITE_KEY_HASHES"]}
    )
    assert settings.write_key_hashes == json.loads(env["WRITE_KEY_HASHES"])


def test_admin_gets_no_write_keys(resources: Resources) -> None:
    # Given / When: the synthesised admin function
    # Then: it never sees the write-key digests
    assert "WRITE_KEY_HASHES" not in function_props(resources, ADMIN_HANDLER)["Environment"]["Variables"]


def test_every_function_runs_the_same_code_asset(resources: Resources) -> None:
    # Given one package with every handler and one bundled config
    # When the stack is synthesised
    # Then all functions share one asset (one upload, one version of the definitions)
    codes = {json.dumps(function_props(resources, handler)["Code"], sort_keys=True) for handler in HANDLERS}
    assert len(codes) == 1


@pytest.mark.parametrize("handler", HANDLERS)
def test_handler_is_in_the_code_asset(outdir: Any, resources: Resources, handler: str) -> None:
    # Given a handler setting "package.module.function"
    # When Lambda imports it from the staged asset
    # Then the module is there and defines the function
    module, function = handler.rsplit(".", 1)
    source = asset_dir(outdir, resources, handler) / (module.replace(".", "/") + ".py")
    assert f"def {function}(" in source.read_text(encoding="utf-8")


def test_code_asset_leaves_out_local_runtime_and_bytecode(outdir: Any, resources: Resources) -> None:
    # Given functions/ also holds the local runtime (moto, HTTP server) and caches
    # When the code asset is staged
    # Then only Lambda code is in it
    asset = asset_dir(outdir, resources, INGESTION_HANDLER)
    files = [p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()]
    assert "leadwire/ingestion/handler.py" in files
    assert "leadwire/admin/handler.py" in files
    unwanted = [f for f in files if f.startswith("leadwire/local/") or f.endswith(".pyc") or ".egg-info" in f]
    assert unwanted == []


def test_no_function_uses_a_managed_execution_policy(resources: Resources) -> None:
    # Given each function's role starts empty and gets only its own grants
    # Then: no role carries AWSLambdaBasicExecutionRole (logs:CreateLogGroup on *)
    managed = {
        k: v["Properties"].get("ManagedPolicyArns") for k, v in of_type(resources, "AWS::IAM::Role").items()
    }
    assert {k: v for k, v in managed.items() if v} == {}
