"""One synthesised Leadwire app per test session; ``infra_template`` reads its template.

The app is built exactly as ``cdk synth`` builds it (same ``build_app``, same cdk.json context,
cdk-nag registered), so the tests check what would be deployed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.infra_template import of_type

REPO_ROOT = Path(__file__).resolve().parents[2]

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")


@pytest.fixture(scope="session")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk.out")


@pytest.fixture(scope="session")
def app(outdir: Path) -> Any:
    from leadwire_infra.application import build_app, cdk_json_context

    return build_app(cdk_json_context(), outdir=str(outdir))


@pytest.fixture(scope="session")
def stack(app: Any) -> Any:
    from leadwire_infra import leadwire_stack

    return leadwire_stack(app)


@pytest.fixture(scope="session")
def template(stack: Any) -> Any:
    """Synthesises the app once (cdk-nag runs here and fails synthesis on any unacknowledged finding)."""
    from aws_cdk.assertions import Template

    return Template.from_stack(stack)


@pytest.fixture(scope="session")
def resources(template: Any) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, from the synthesised template."""
    result: dict[str, dict[str, Any]] = template.to_json()["Resources"]
    return result


@pytest.fixture(scope="session")
def table_id(resources: dict[str, dict[str, Any]]) -> str:
    (logical_id,) = of_type(resources, "AWS::DynamoDB::Table")
    return logical_id
