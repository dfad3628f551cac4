"""Operations: every alarm reaches the alarm topic; the dashboard shows what an operator watches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from leadwire_infra.application import ContextError, alarm_email_from_context, build_app, cdk_json_context
from leadwire_infra.stack import LeadwireStack
from tests.infrastructure.infra_template import (
    HANDLERS,
    INGESTION_HANDLER,
    STREAM_CONSUMERS,
    Resources,
    function_id,
    function_props,
    of_type,
)


def _topic_id(resources: Resources) -> str:
    (topic_id,) = (
        k
        for k, v in of_type(resources, "AWS::SNS::Topic").items()
        if v["Properties"].get("DisplayName") == "Leadwire alarms"
    )
    return topic_id


def _dashboard_text(template: dict[str, Any]) -> str:
    """The dashboard body with every reference written as ``<LogicalId>`` (it is an Fn::Join)."""
    (dashboard,) = of_type(template["Resources"], "AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else f"<{p.get('Ref') or p['Fn::GetAtt'][0]}>" for p in parts)


@pytest.fixture(scope="module")
def dashboard(template: Any) -> dict[str, Any]:
    text = _dashboard_text(template.to_json())
    body: dict[str, Any] = json.loads(text)
    return body


def _widget(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    (widget,) = (w for w in dashboard["widgets"] if w["properties"].get("title") == title)
    return widget


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(resources: Resources) -> None:
    # Given the alarms of every construct (stream consumers, sweep, timers, email, API)
    # When the stack is synthesised
    # Then each one sends both its ALARM and its OK transition to the alarm topic
    topic = {"Ref": _topic_id(resources)}
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert alarms
    missing = {
        k: (v["Properties"].get("AlarmActions"), v["Properties"].get("OKActions"))
        for k, v in alarms.items()
        if v["Properties"].get("AlarmActions") != [topic] or v["Properties"].get("OKActions") != [topic]
    }
    assert missing == {}


def test_the_alarm_email_is_a_deployment_parameter_that_may_be_empty(
    template: Any, resources: Resources
) -> None:
    # Given no leadwire:alarmEmail context
    # When the stack is synthesised
    # Then AlarmEmail is a parameter (empty by default, an address or nothing), and the e-mail
    # subscription to the alarm topic exists only when it is set
    parameter = template.to_json()["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert parameter["AllowedPattern"] == r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
    (subscription,) = (
        v
        for v in of_type(resources, "AWS::SNS::Subscription").values()
        if v["Properties"]["Protocol"] == "email"
    )
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert subscription["Properties"]["TopicArn"] == {"Ref": _topic_id(resources)}
    condition = template.to_json()["Conditions"][subscription["Condition"]]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def test_cloudwatch_may_publish_to_the_encrypted_topic(resources: Resources) -> None:
    # Given the alarm topic is encrypted with a customer managed key
    # When CloudWatch publishes an alarm
    # Then the key policy lets cloudwatch.amazonaws.com use the key (without it, no alarm arrives)
    key_ref = resources[_topic_id(resources)]["Properties"]["KmsMasterKeyId"]
    key = resources[key_ref["Fn::GetAtt"][0]]["Properties"]
    statements = key["KeyPolicy"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(s["Action"])
        for s in statements
    )
    assert key["EnableKeyRotation"] is True


@pytest.mark.parametrize("value", ["not an address", "a@b", "ops@acme.example, x@y.example"])
def test_a_malformed_alarm_email_stops_synth(value: str) -> None:
    with pytest.raises(ContextError, match="leadwire:alarmEmail"):
        alarm_email_from_context(value)


def test_ingestion_widgets_show_requests_errors_and_latency(
    dashboard: dict[str, Any], resources: Resources
) -> None:
    # Given the HTTP API
    # Then the dashboard graphs its requests, 4xx and 5xx per minute and its latency percentiles
    (api_id,) = of_type(resources, "AWS::ApiGatewayV2::Api")
    requests = _widget(dashboard, "Ingestion: requests / min")["properties"]["metrics"]
    assert requests[0][:4] == ["AWS/ApiGateway", "Count", "ApiId", f"<{api_id}>"]
    errors = _widget(dashboard, "Ingestion: 4xx and 5xx / min")["properties"]["metrics"]
    assert [(m[1], m[-1]["stat"], m[-1]["period"]) for m in errors] == [
        ("4xx", "Sum", 60),
        ("5xx", "Sum", 60),
    ]
    latency = _widget(dashboard, "Ingestion: latency (ms)")["properties"]["metrics"]
    assert [(m[1], m[-1]["stat"]) for m in latency] == [
        ("Latency", "p50"),
        ("Latency", "p99"),
        ("IntegrationLatency", "p99"),
    ]


@pytest.mark.parametrize(
    ("title", "metrics"),
    [
        ("Events stored / min", {"EventsAccepted", "EventsRejected"}),
        ("Segment flips and trigger fires / min", {"SegmentChanges", "SweepChanges", "TriggersFired"}),
    ],
)
def test_pipeline_counts_are_the_functions_own_metrics(
    dashboard: dict[str, Any], title: str, metrics: set[str]
) -> None:
    # Given the counts the functions put (Powertools: namespace Leadwire, dimension service=leadwire)
    # Then the dashboard sums exactly those series per minute
    shown = _widget(dashboard, title)["properties"]["metrics"]
    assert metrics <= {m[1] for m in shown}
    assert all(m[:4] == ["Leadwire", m[1], "service", "leadwire"] and m[-1]["stat"] == "Sum" for m in shown)


def test_sends_are_grouped_by_channel_and_outcome(dashboard: dict[str, Any]) -> None:
    # Given Deliveries counted per trigger, channel and status by the actions function
    # Then one Metrics Insights query sums them per channel and status, whatever the triggers
    (query,) = _widget(dashboard, "Sends by channel and outcome / min")["properties"]["metrics"]
    expression = query[0]["expression"]
    assert "SUM(Deliveries)" in expression
    assert 'SCHEMA("Leadwire", channel, service, status, trigger)' in expression
    assert expression.endswith("GROUP BY channel, status")


def test_every_stream_consumer_has_its_iterator_age_and_failures(
    dashboard: dict[str, Any], resources: Resources
) -> None:
    # Given the stream consumers
    # Then the dashboard shows each one's maximum iterator age, failed invocations and the batches
    # it gave up on (messages sent to its failure queue)
    ages = _widget(dashboard, "Stream iterator age per consumer (ms, max)")["properties"]["metrics"]
    consumers = {f"<{function_id(resources, h)}>" for h in STREAM_CONSUMERS}
    assert {m[3] for m in ages} == consumers
    assert {(m[1], m[-1]["stat"]) for m in ages} == {("IteratorAge", "Maximum")}
    failures = _widget(dashboard, "Stream batch failures per consumer")["properties"]["metrics"]
    assert {m[3] for m in failures if m[1] == "Errors"} == consumers
    assert sum(m[1] == "NumberOfMessagesSent" for m in failures) == len(STREAM_CONSUMERS)


def test_every_dead_letter_queue_depth_is_shown(dashboard: dict[str, Any], resources: Resources) -> None:
    # Given the stream failure queues and the SES feedback dead-letter queue
    # Then the dashboard shows each one's visible messages
    depths = _widget(dashboard, "Dead-letter queue depth")["properties"]["metrics"]
    dead_letter_queues = {
        k
        for k, v in of_type(resources, "AWS::SQS::Queue").items()
        if "RedrivePolicy" not in v["Properties"]  # the feedback queue itself is not a DLQ
    }
    shown = {m[3].strip("<>") for m in depths}
    assert shown == dead_letter_queues
    assert {(m[1], m[-1]["stat"]) for m in depths} == {("ApproximateNumberOfMessagesVisible", "Maximum")}


def test_timers_show_started_failed_and_waiting(dashboard: dict[str, Any]) -> None:
    # Given the timer state machine
    # Then its executions started, failed and timed out are graphed, and the net change of the
    # waiting executions (started minus finished) is computed from them
    shown = {m[1] for m in _widget(dashboard, "Timers (Step Functions) / min")["properties"]["metrics"]}
    assert {"ExecutionsStarted", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsSucceeded"} <= shown
    waiting = _widget(dashboard, "Timers waiting: net change / min")["properties"]["metrics"]
    assert waiting[0][0]["expression"] == (
        "FILL(started, 0) - (FILL(succeeded, 0) + FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0))"
    )


@pytest.mark.parametrize("metric", ["Errors", "Throttles", "Duration"])
def test_every_function_has_errors_throttles_and_duration(
    dashboard: dict[str, Any], resources: Resources, metric: str
) -> None:
    # Given every function the factory made
    # Then each appears on the errors, throttles and p99 duration graphs
    (widget,) = (
        w
        for w in dashboard["widgets"]
        if w["properties"].get("title", "").startswith(f"Lambda {metric.lower()}")
    )
    shown = {m[3] for m in widget["properties"]["metrics"]}
    assert shown == {f"<{function_id(resources, h)}>" for h in HANDLERS}


def test_the_alarm_widget_lists_every_alarm(dashboard: dict[str, Any], resources: Resources) -> None:
    (widget,) = (w for w in dashboard["widgets"] if w["type"] == "alarm")
    assert len(widget["properties"]["alarms"]) == len(of_type(resources, "AWS::CloudWatch::Alarm"))


def test_doctor_finds_what_it_checks_in_the_outputs(template: Any, resources: Resources) -> None:
    # Given leadwire doctor reads the stack outputs
    # Then the sender, the ingestion function and the secret references (webhook, Slack) are there
    outputs = template.to_json()["Outputs"]
    assert outputs["EmailSender"]["Value"] == "Leadwire <hello@leadwire.example>"
    assert outputs["IngestionFunctionName"]["Value"] == {"Ref": function_id(resources, INGESTION_HANDLER)}
    assert outputs["SecretReferences"]["Value"] == (
        "ssm:/leadwire/sales-slack-url ssm:/leadwire/sales-webhook-secret ssm:/leadwire/sales-webhook-url"
    )
    assert {"AlarmTopicArn", "DashboardName"} <= outputs.keys()


def test_context_sets_the_alarm_email_and_another_partitions_layer(tmp_path: Path) -> None:
    # Given a GovCloud deployment: its own Powertools layer ARN, and an alarm address
    layer = (
        "arn:aws-us-gov:lambda:us-gov-west-1:111122223333:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:9"
    )
    app = build_app(
        {
            **cdk_json_context(),
            "leadwire:powertoolsLayerArn": layer,
            "leadwire:alarmEmail": "ops@acme.example",
        },
        outdir=str(tmp_path),
    )
    stack = app.node.find_child("Leadwire")
    assert isinstance(stack, LeadwireStack)
    template = Template.from_stack(stack).to_json()
    # Then every function uses that layer, and the address is the parameter's default
    props = function_props(template["Resources"], INGESTION_HANDLER)
    assert props["Layers"] == [layer]
    assert template["Parameters"]["AlarmEmail"]["Default"] == "ops@acme.example"
