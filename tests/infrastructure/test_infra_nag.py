"""cdk-nag (AwsSolutions): runs on every synth, and every finding is fixed or acknowledged with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Validations
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from leadwire_infra.application import build_app, cdk_json_context, leadwire_stack


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: Path) -> None:
    # Given the app as cdk synth builds it, plus a resource that breaks AwsSolutions rules
    app = build_app(cdk_json_context(), outdir=str(tmp_path))
    sns.Topic(leadwire_stack(app), "UnencryptedTopic")
    # When it is synthesised
    # Then cdk-nag's findings stop synthesis (the pack is registered and not advisory)
    with pytest.raises(RuntimeError, match=r"AwsSolutions-SNS3"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    failed = {r["pluginName"] for r in report["pluginReports"] if r["conclusion"] == "failure"}
    assert failed == {"AwsSolutions"}


def test_no_unacknowledged_findings(app: Any) -> None:
    # Given the construct tree with its acknowledgements
    # When the AwsSolutions pack checks it directly
    # Then there is no finding at any level (error or warning) left unacknowledged
    report = AwsSolutionsChecks().validate_scope(app)
    findings = {v.rule_name: [r.construct_path for r in v.violating_resources] for v in report.violations}
    assert findings == {}


def _acknowledgements(node: IConstruct) -> list[tuple[str, str, str]]:
    found = [
        (node.node.path, rule, reason)
        for entry in node.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry.data.items()
    ]
    for child in node.node.children:
        found.extend(_acknowledgements(child))
    return found


def test_every_acknowledgement_gives_a_specific_reason(app: Any) -> None:
    # Given findings acknowledged next to the constructs they concern
    # When the tree is read
    # Then each acknowledgement names a rule and explains itself in more than a few words
    acknowledgements = _acknowledgements(app)
    assert acknowledgements
    vague = [(path, rule) for path, rule, reason in acknowledgements if len(reason.split()) < 8]
    assert vague == []
