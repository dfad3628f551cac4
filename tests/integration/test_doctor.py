"""leadwire doctor's checks against moto: each one passes on a healthy stack and fails on a broken one.

moto cannot run CloudFormation without extras Leadwire does not install, so the stack lookup is
injected (``StackDouble``: outputs and physical ids, as ``CloudFormationStack`` reads them; that
adapter is checked with botocore's Stubber). Every resource the checks read is real in moto.
SES v2 ``GetAccount`` is not in moto: the sandbox check runs on botocore's Stubber, which
validates requests and responses against the service model.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from leadwire import schema
from leadwire.core.fires import Fire
from leadwire.dal.definition_store import DefinitionStore
from leadwire.dal.fire_store import FireStore, fire_to_item
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.ops.doctor import CloudFormationStack, Finding, format_report, run_checks, to_json
from leadwire.ops.doctor_checks import (
    PLACEHOLDER_DIGEST,
    all_checks,
    check_alarms,
    check_dead_letters,
    check_definitions,
    check_iterator_age,
    check_secret_references,
    check_ses_identity,
    check_ses_sandbox,
    check_timer_fires,
    check_write_keys,
    unknown_reason,
)
from tests.integration.conftest import TABLE

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "default"
REGION = "us-east-1"


class StackDouble:
    def __init__(self, outputs: dict[str, str], resources: dict[str, list[str]] | None = None) -> None:
        self.name = "Leadwire"
        self._outputs = outputs
        self._resources = resources or {}

    def outputs(self) -> dict[str, str]:
        return dict(self._outputs)

    def physical_ids(self, resource_type: str) -> list[str]:
        return list(self._resources.get(resource_type, []))


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def statuses(findings: list[Finding]) -> list[str]:
    return [f.status for f in findings]


# -- SES --------------------------------------------------------------------------------------


def test_ses_identity_passes_when_the_senders_domain_is_verified_with_dkim(aws: None) -> None:
    # Given the sender's domain verified in SES (moto verifies at once, DKIM included)
    ses = client("ses")
    ses.verify_domain_identity(Domain="acme.example")
    # When the doctor checks the identity
    findings = check_ses_identity(StackDouble({"EmailSender": "Acme <hello@acme.example>"}), ses)
    # Then it is in order
    assert statuses(findings) == ["ok"]


@pytest.mark.parametrize(
    ("sender", "says"),
    [
        ("Acme <hello@acme.example>", "acme.example is not a verified SES identity (status: missing)"),
        ("Leadwire <hello@leadwire.example>", "the placeholder Leadwire <hello@leadwire.example>"),
    ],
    ids=["not-verified", "placeholder-sender"],
)
def test_ses_identity_fails_when_the_domain_is_not_verified(aws: None, sender: str, says: str) -> None:
    # Given another domain verified, but not the sender's
    ses = client("ses")
    ses.verify_domain_identity(Domain="other.example")
    # When the doctor checks the identity
    (finding,) = check_ses_identity(StackDouble({"EmailSender": sender}), ses)
    # Then it fails, naming the domain and how to verify it
    assert finding.status == "fail"
    assert says in finding.message
    assert finding.fix


def _sesv2_account(production: bool, sending: bool = True) -> tuple[Any, Stubber]:
    sesv2 = client("sesv2")
    stubber = Stubber(sesv2)
    stubber.add_response(
        "get_account",
        {
            "ProductionAccessEnabled": production,
            "SendingEnabled": sending,
            "SendQuota": {"Max24HourSend": 50000.0 if production else 200.0, "MaxSendRate": 14.0},
        },
        {},
    )
    stubber.activate()
    return sesv2, stubber


def test_ses_account_passes_with_production_access() -> None:
    sesv2, stubber = _sesv2_account(production=True)
    assert statuses(check_ses_sandbox(sesv2)) == ["ok"]
    stubber.assert_no_pending_responses()


def test_ses_account_fails_in_the_sandbox() -> None:
    # Given an account still in the SES sandbox
    sesv2, _ = _sesv2_account(production=False)
    # When the doctor checks the account
    (finding,) = check_ses_sandbox(sesv2)
    # Then it says so, with the quota, and how to leave it
    assert finding.status == "fail"
    assert "sandbox" in finding.message
    assert "at most 200 a day" in finding.message
    assert "production access" in finding.fix


def test_ses_account_fails_when_sending_is_paused() -> None:
    sesv2, _ = _sesv2_account(production=True, sending=False)
    (finding,) = check_ses_sandbox(sesv2)
    assert (finding.status, "paused" in finding.message) == ("fail", True)


# -- secrets ----------------------------------------------------------------------------------

REFERENCES = "ssm:/leadwire/sales-webhook-secret ssm:/leadwire/sales-webhook-url"


def test_secrets_pass_when_every_referenced_parameter_exists(aws: None) -> None:
    ssm = client("ssm")
    for name in ("/leadwire/sales-webhook-secret", "/leadwire/sales-webhook-url"):
        ssm.put_parameter(Name=name, Value="x", Type="SecureString")
    findings = check_secret_references(
        StackDouble({"SecretReferences": REFERENCES}), ssm, client("secretsmanager")
    )
    assert statuses(findings) == ["ok"]
    assert findings[0].message == "2 of 2 referenced secrets exist"


def test_secrets_fail_for_each_missing_parameter_or_secret(aws: None) -> None:
    # Given one parameter present, and a missing parameter and a missing secret referenced
    ssm, secretsmanager = client("ssm"), client("secretsmanager")
    ssm.put_parameter(Name="/leadwire/sales-webhook-url", Value="x", Type="SecureString")
    missing_secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-AbCdEf"
    stack = StackDouble({"SecretReferences": f"{REFERENCES} {missing_secret}"})
    # When the doctor checks them
    findings = check_secret_references(stack, ssm, secretsmanager)
    # Then each missing one is a failure that names it, and the present one is counted
    failed = [f.message for f in findings if f.status == "fail"]
    assert failed == [
        "the SSM parameter /leadwire/sales-webhook-secret that a bundled action names does not exist",
        f"the secret {missing_secret} that a bundled action names does not exist",
    ]
    assert [f.message for f in findings if f.status == "ok"] == ["1 of 3 referenced secrets exist"]


def test_secrets_pass_when_no_webhook_names_one() -> None:
    findings = check_secret_references(StackDouble({"SecretReferences": "none"}), None, None)
    assert statuses(findings) == ["ok"]


# -- write keys -------------------------------------------------------------------------------


def _ingestion_function(hashes: dict[str, str]) -> str:
    role = client("iam").create_role(RoleName="ingestion", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    client("lambda").create_function(
        FunctionName="leadwire-ingestion",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"WRITE_KEY_HASHES": json.dumps(hashes)}},
    )
    return "leadwire-ingestion"


def test_write_keys_pass_when_a_real_digest_is_deployed(aws: None) -> None:
    name = _ingestion_function({"ab" * 32: "website"})
    (finding,) = check_write_keys(StackDouble({"IngestionFunctionName": name}), client("lambda"))
    assert (finding.status, finding.message) == ("ok", "1 write key(s) deployed (sources: website)")


def test_write_keys_fail_when_only_the_placeholder_is_deployed(aws: None) -> None:
    # Given a stack deployed without writeKeyHashes
    name = _ingestion_function({PLACEHOLDER_DIGEST: "placeholder"})
    # When the doctor checks the ingestion function
    (finding,) = check_write_keys(StackDouble({"IngestionFunctionName": name}), client("lambda"))
    # Then it says every event is refused, and how to deploy a key
    assert finding.status == "fail"
    assert "401 to every event" in finding.message
    assert "writeKeyHashes" in finding.fix


# -- alarms -----------------------------------------------------------------------------------


def _alarms(*states: str) -> list[str]:
    cloudwatch = client("cloudwatch")
    names = []
    for index, state in enumerate(states):
        name = f"Leadwire-Alarm{index}-ABC"
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            AlarmDescription=f"alarm {index}: what it means and what to do",
            Namespace="Leadwire",
            MetricName="Errors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")
        names.append(name)
    return names


def test_alarms_pass_when_none_is_in_alarm(aws: None) -> None:
    names = _alarms("OK", "INSUFFICIENT_DATA")
    (finding,) = check_alarms(StackDouble({}, {"AWS::CloudWatch::Alarm": names}), client("cloudwatch"))
    assert (finding.status, finding.message) == ("ok", "none of the 2 alarms is in ALARM")


def test_alarms_fail_for_each_alarm_in_alarm_with_its_description(aws: None) -> None:
    # Given two of the stack's three alarms in ALARM, and another stack's alarm in ALARM
    names = _alarms("ALARM", "OK", "ALARM")
    stranger = _alarms("ALARM")  # not the stack's (same generated name shape, not listed)
    assert stranger
    # When the doctor reads the stack's alarms
    findings = check_alarms(StackDouble({}, {"AWS::CloudWatch::Alarm": names}), client("cloudwatch"))
    # Then each of the stack's firing alarms is a failure, its description saying what to do
    assert [(f.status, f.message, f.fix) for f in findings] == [
        ("fail", "Leadwire-Alarm0-ABC is in ALARM", "alarm 0: what it means and what to do"),
        ("fail", "Leadwire-Alarm2-ABC is in ALARM", "alarm 2: what it means and what to do"),
    ]


# -- dead-letter queues -----------------------------------------------------------------------


def _queues() -> dict[str, str]:
    sqs = client("sqs")
    return {
        key: sqs.create_queue(QueueName=key)["QueueUrl"]
        for key in ("StreamFailuresQueueUrl", "ActionStreamFailuresQueueUrl", "EmailFeedbackFailuresQueueUrl")
    }


def test_dead_letters_pass_when_every_failure_queue_is_empty(aws: None) -> None:
    stack = StackDouble({**_queues(), "TableName": TABLE})
    (finding,) = check_dead_letters(stack, client("sqs"))
    assert (finding.status, finding.message) == ("ok", "all 3 failure queues are empty")


def test_dead_letters_fail_for_each_queue_with_messages(aws: None) -> None:
    # Given a stream batch given up on (held invisible by a running replay) and an SES record parked
    queues, sqs = _queues(), client("sqs")
    sqs.send_message(QueueUrl=queues["StreamFailuresQueueUrl"], MessageBody="{}")
    sqs.receive_message(QueueUrl=queues["StreamFailuresQueueUrl"], VisibilityTimeout=600)
    sqs.send_message(QueueUrl=queues["EmailFeedbackFailuresQueueUrl"], MessageBody="{}")
    # When the doctor reads the queues named by the outputs
    findings = check_dead_letters(StackDouble(queues), sqs)
    # Then each queue with messages is a failure, with what to do for its kind
    assert [(f.status, f.message) for f in findings] == [
        ("fail", "1 message(s) wait in EmailFeedbackFailuresQueue"),
        ("fail", "1 message(s) wait in StreamFailuresQueue"),
    ]
    assert "redrive" in findings[0].fix
    assert "leadwire replay" in findings[1].fix


# -- stream lag -------------------------------------------------------------------------------


def _iterator_age(function: str, milliseconds: float, at: datetime) -> None:
    client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "IteratorAge",
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": at,
                "Value": milliseconds,
                "Unit": "Milliseconds",
            }
        ],
    )


STREAM_FUNCTIONS = {"SegmentationFunctionName": "seg-fn", "ActionFunctionName": "act-fn"}


def test_stream_lag_passes_when_consumers_keep_up(aws: None) -> None:
    # Given one consumer 2 minutes behind now, and one that was 2 hours behind an hour ago
    _iterator_age("seg-fn", 120_000, NOW - timedelta(minutes=3))
    _iterator_age("act-fn", 7_200_000, NOW - timedelta(hours=1))
    (finding,) = check_iterator_age(StackDouble(STREAM_FUNCTIONS), client("cloudwatch"), NOW)
    assert finding.status == "ok"


def test_stream_lag_fails_for_a_consumer_behind_by_more_than_five_minutes(aws: None) -> None:
    # Given the actions consumer 12 minutes behind in the last quarter hour
    _iterator_age("seg-fn", 1_000, NOW - timedelta(minutes=2))
    _iterator_age("act-fn", 720_000, NOW - timedelta(minutes=4))
    # When the doctor reads the iterator age of the stack's functions
    findings = check_iterator_age(StackDouble(STREAM_FUNCTIONS), client("cloudwatch"), NOW)
    # Then that consumer, and only it, fails
    assert [(f.status, f.message.split(" is ")[0]) for f in findings] == [("fail", "Action")]
    assert "12 minutes behind" in findings[0].message


# -- definitions ------------------------------------------------------------------------------


def test_definitions_pass_when_bundled_and_api_changes_load(dynamodb: Any) -> None:
    # Given a segment changed through the admin API
    store = DefinitionStore(dynamodb, TABLE)
    store.put("vip", {"id": "vip", "name": "VIP", "condition": {"score": {"gte": 90}}}, 0)
    # When the doctor loads the definitions as the functions do
    (finding,) = check_definitions(StackDouble({"TableName": TABLE}), dynamodb, CONFIG)
    # Then they load
    assert finding.status == "ok"
    assert "(1 changed through the admin API)" in finding.message


def test_definitions_fail_when_a_stored_trigger_names_a_missing_segment(dynamodb: Any) -> None:
    # Given a trigger stored through the admin API whose segment is gone
    store = DefinitionStore(dynamodb, TABLE)
    store.put_trigger(
        "orphan",
        {
            "id": "orphan",
            "on": {"enter": "deleted-segment"},
            "actions": [{"type": "emit_event", "event": "x"}],
        },
        0,
    )
    # When the doctor loads the definitions
    (finding,) = check_definitions(StackDouble({"TableName": TABLE}), dynamodb, CONFIG)
    # Then it fails, naming the problem, and says how to fix it
    assert finding.status == "fail"
    assert "deleted-segment" in finding.message
    assert "PUT /segments/{id} or /triggers/{id}" in finding.fix


# -- the run and the report -------------------------------------------------------------------


def test_a_check_that_cannot_look_costs_no_other() -> None:
    # Given a check refused by IAM, and one that works
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetAccount")

    def refused() -> list[Finding]:
        raise denied

    checks = [("ses-account", refused), ("alarms", lambda: [Finding("alarms", "ok", "fine")])]
    # When both run
    findings = run_checks(checks, unknown_reason)
    # Then the refused one is unknown (with the reason) and the other still answers
    assert findings == [
        Finding("ses-account", "unknown", "could not look (AccessDenied: not allowed)"),
        Finding("alarms", "ok", "fine"),
    ]


def test_the_report_says_what_is_wrong_and_what_to_do() -> None:
    findings = [
        Finding("write-keys", "fail", "no write key is deployed", "cdk deploy -c writeKeyHashes=..."),
        Finding("alarms", "ok", "none of the 14 alarms is in ALARM", "unused"),
    ]
    assert format_report("Leadwire", findings).splitlines() == [
        "leadwire doctor: stack Leadwire",
        "  FAIL     write-keys  no write key is deployed",
        "                       -> cdk deploy -c writeKeyHashes=...",
        "  ok       alarms      none of the 14 alarms is in ALARM",
        "1 problem(s), 0 check(s) could not look.",
    ]
    assert to_json("Leadwire", findings)["ok"] is False


def test_every_check_runs_on_a_healthy_stack(dynamodb: Any) -> None:
    # Given a stack whose every part is in order (moto), SES's account stubbed as in production
    ses = client("ses")
    ses.verify_domain_identity(Domain="acme.example")
    ssm = client("ssm")
    for name in ("/leadwire/sales-webhook-secret", "/leadwire/sales-webhook-url"):
        ssm.put_parameter(Name=name, Value="x", Type="SecureString")
    stack = StackDouble(
        {
            "EmailSender": "hello@acme.example",
            "SecretReferences": REFERENCES,
            "IngestionFunctionName": _ingestion_function({"cd" * 32: "app"}),
            "TableName": TABLE,
            **_queues(),
            **STREAM_FUNCTIONS,
        },
        {"AWS::CloudWatch::Alarm": _alarms("OK")},
    )
    sesv2, _ = _sesv2_account(production=True)
    clients = {"sesv2": sesv2}
    # When the doctor runs all its checks
    findings = run_checks(
        all_checks(stack, lambda s: clients.get(s) or client(s), NOW, CONFIG), unknown_reason
    )
    # Then each answers ok
    assert [(f.check, f.status) for f in findings] == [
        ("ses-identity", "ok"),
        ("ses-account", "ok"),
        ("write-keys", "ok"),
        ("secrets", "ok"),
        ("definitions", "ok"),
        ("alarms", "ok"),
        ("dead-letters", "ok"),
        ("stream-lag", "ok"),
        ("timer-fires", "ok"),
    ]


def test_cloudformation_stack_reads_outputs_and_resources_of_one_type() -> None:
    # Given CloudFormation's answers for a stack (Stubber: shapes checked against the API model)
    cloudformation = client("cloudformation")
    stubber = Stubber(cloudformation)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "Leadwire",
                    "CreationTime": NOW,
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [{"OutputKey": "TableName", "OutputValue": "Leadwire-Table-1"}],
                }
            ]
        },
        {"StackName": "Leadwire"},
    )
    summary = {"LastUpdatedTimestamp": NOW, "ResourceStatus": "CREATE_COMPLETE"}
    stubber.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    **summary,
                    "LogicalResourceId": "A",
                    "PhysicalResourceId": "Leadwire-A-1",
                    "ResourceType": "AWS::CloudWatch::Alarm",
                },
                {
                    **summary,
                    "LogicalResourceId": "Q",
                    "PhysicalResourceId": "https://q",
                    "ResourceType": "AWS::SQS::Queue",
                },
            ]
        },
        {"StackName": "Leadwire"},
    )
    stubber.activate()
    stack = CloudFormationStack(cloudformation, "Leadwire")
    # When the doctor reads it (outputs twice: one call)
    assert stack.outputs() == {"TableName": "Leadwire-Table-1"}
    assert stack.outputs() == {"TableName": "Leadwire-Table-1"}
    # Then it gets the outputs and only the alarms' physical ids
    assert stack.physical_ids("AWS::CloudWatch::Alarm") == ["Leadwire-A-1"]
    stubber.assert_no_pending_responses()


# -- timer fires ---------------------------------------------------------------------------------


def _fired_timer(dynamodb: Any, lead: str, at: datetime = NOW) -> Fire:
    """A cart-abandonment timer its state machine marked fired, the fire written with the mark."""
    fire = Fire.of("cart-abandonment", lead, f"m-{lead}", at, {"cart_id": "c-1"})
    fields = {name: value["S"] for name, value in fire_to_item(fire).items()}
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": schema.timer_pk("cart-abandonment")},
            "sk": {"S": f"{lead}#c-1"},
            "status": {"S": "fired"},
            "fire": {"S": json.dumps(fields)},
        },
    )
    return fire


def test_timer_fires_are_ok_when_each_fired_timer_has_its_fire_item(dynamodb: Any) -> None:
    fire = _fired_timer(dynamodb, "ann")
    FireStore(dynamodb, TABLE).put_fire(fire)
    _fired_timer(dynamodb, "old", at=NOW - timedelta(days=8))  # before the lookback: not read
    (finding,) = check_timer_fires(StackDouble({"TableName": TABLE}), dynamodb, CONFIG, NOW)
    assert (finding.status, finding.message) == (
        "ok",
        "each of 1 timer(s) fired in the last 7 days has its FIRE item",
    )


def test_a_fired_timer_without_its_fire_item_fails_and_refire_writes_it_once(dynamodb: Any) -> None:
    # Given a timer that woke during an upgrade: marked fired, its FIRE item never written, and
    # one of an erased lead
    fire = _fired_timer(dynamodb, "bob")
    erased = _fired_timer(dynamodb, "gone")
    SuppressionStore(dynamodb, TABLE).suppress("gone", [], NOW, "job-1")
    stack = StackDouble({"TableName": TABLE})
    # When the doctor looks, it names the missing one and says what to run
    (finding,) = check_timer_fires(stack, dynamodb, CONFIG, NOW)
    assert finding.status == "fail"
    assert "1 timer(s) marked fired have no FIRE item (cart-abandonment for bob)" in finding.message
    assert "leadwire doctor --refire" in finding.fix
    # When asked to refire, it writes that one (not the erased lead's), and then all is well
    (refired,) = check_timer_fires(stack, dynamodb, CONFIG, NOW, refire=True)
    assert refired.message == "wrote the FIRE item of 1 fired timer(s) that had none; the actions send them"
    assert FireStore(dynamodb, TABLE).missing([fire, erased]) == [erased]
    assert check_timer_fires(stack, dynamodb, CONFIG, NOW)[0].status == "ok"
