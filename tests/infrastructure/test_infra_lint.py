"""cfn-lint on the synthesised template: no error in the regions it is meant for, no fixed partition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

# Commercial regions and GovCloud. Not China: SES (the configuration set) does not exist there.
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
# W3005 (a DependsOn that a GetAtt already implies) is how CDK writes roles' default policies.
KNOWN_WARNINGS = {"W3005"}


@pytest.fixture(scope="module")
def findings(template: Any) -> list[Any]:
    # I3042 (a hard-coded partition in an ARN) is informational, so it is asked for by name.
    return lint(
        json.dumps(template.to_json()),
        regions=REGIONS,
        config=ManualArgs(regions=REGIONS, include_checks=["I3042"]),
    )


def _ids(findings: list[Any], prefix: str) -> list[str]:
    return [f"{m.rule.id} {m.message}" for m in findings if m.rule.id.startswith(prefix)]


def test_no_errors(findings: list[Any]) -> None:
    # Given the template cdk synth writes
    # When cfn-lint checks it against every target region's resource specification
    # Then it reports no error
    assert _ids(findings, "E") == []


def test_no_warnings_beyond_the_known_cdk_one(findings: list[Any]) -> None:
    assert [f for f in _ids(findings, "W") if f.split()[0] not in KNOWN_WARNINGS] == []


def test_no_hard_coded_partition(findings: list[Any]) -> None:
    # Given an ARN written as arn:aws:... fails in the China and GovCloud partitions
    # Then none is left (the layer ARN and every grant use ${AWS::Partition})
    assert _ids(findings, "I3042") == []


def test_checkov_findings_are_acknowledged_with_reasons(resources: dict[str, dict[str, Any]]) -> None:
    # Given checkov's findings that are design decisions (leadwire_infra.checkov; the run is in
    # docs/DEPLOY.md), acknowledged per resource type
    from leadwire_infra.checkov import ACKNOWLEDGEMENTS

    # When the template is synthesised
    # Then every resource of those types carries checkov skip metadata, each with its reason
    for resource_type, expected in ACKNOWLEDGEMENTS.items():
        typed = [v for v in resources.values() if v["Type"] == resource_type]
        assert typed, resource_type
        for resource in typed:
            skips = resource["Metadata"]["checkov"]["skip"]
            assert [s["id"] for s in skips] == [i for i, _ in expected]
            assert all(len(s["comment"].split()) >= 8 for s in skips)
