"""Operations: the alarm topic (its e-mail subscription a deployment parameter) and the dashboard.

Every alarm in the stack notifies one SNS topic, on entering ALARM and on returning to OK, so an
operator hears both the problem and its end. The subscriber's address is the ``AlarmEmail``
CloudFormation parameter (default: the ``leadwire:alarmEmail`` context value, else none), so it
can change with ``cdk deploy --parameters AlarmEmail=...`` without a new synth. AWS sends a
confirmation mail first: until it is confirmed, nothing is delivered.

The dashboard reads the stack generically: every function the factory made, every stream
consumer, every dead-letter queue it is given. A function or consumer added later appears on it
without an edit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from aws_cdk import CfnCondition, CfnParameter, Duration, Fn, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from leadwire_infra.alarms import alarm_above
from leadwire_infra.stream_consumer import StreamConsumer

METRICS_NAMESPACE: Final = "Leadwire"  # leadwire.observability: Metrics(namespace="Leadwire", service=...)
SERVICE_DIMENSION: Final = {"service": "leadwire"}
MINUTE: Final = Duration.minutes(1)
# Ingestion 5xx: clients resend on 5xx, so a few are absorbed; a run of them loses events.
API_SERVER_ERRORS_ALARM: Final = 10
EMAIL_PATTERN: Final = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
WIDGET_WIDTH: Final = 8
WIDGET_HEIGHT: Final = 6


def leadwire_metric(name: str, label: str | None = None) -> cloudwatch.Metric:
    """A count the functions put through Powertools (namespace ``Leadwire``, ``service`` dimension)."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map=SERVICE_DIMENSION,
        statistic=cloudwatch.Stats.SUM,
        period=MINUTE,
        label=label or name,
    )


class OperationsConstruct(Construct):
    """The alarm topic with its parameterised e-mail subscription, and the operations dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        http_api: apigwv2.HttpApi,
        functions: Sequence[lambda_.Function],
        stream_consumers: Sequence[StreamConsumer],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        timer: sfn.StateMachine,
        alarm_email: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.alarm_email = CfnParameter(
            stack,
            "AlarmEmail",
            type="String",
            default=alarm_email,
            allowed_pattern=EMAIL_PATTERN,
            constraint_description="an e-mail address, or empty for no subscription",
            description="Who receives Leadwire's alarms (ALARM and OK) by e-mail; empty: nobody "
            "(subscribe to the AlarmTopicArn output yourself).",
        )
        key = kms.Key(
            self,
            "AlarmKey",
            description="Leadwire: encrypts the alarm topic (CloudWatch publishes, SNS delivers)",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self, "AlarmTopic", display_name="Leadwire alarms", master_key=key, enforce_ssl=True
        )
        has_email = CfnCondition(
            self, "HasAlarmEmail", expression=Fn.condition_not(Fn.condition_equals(self.alarm_email, ""))
        )
        subscription = sns.CfnSubscription(
            self,
            "AlarmEmailSubscription",
            topic_arn=self.topic.topic_arn,
            protocol="email",
            endpoint=self.alarm_email.value_as_string,
        )
        subscription.cfn_options.condition = has_email

        self.api_server_errors_alarm = alarm_above(
            self,
            "ApiServerErrorsAlarm",
            description=f"The API answered more than {API_SERVER_ERRORS_ALARM} requests with 5xx in "
            "five minutes: clients resend, but a run of failures loses events. Read the ingestion "
            "function's errors and throttles on the dashboard.",
            metric=http_api.metric_server_error(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=API_SERVER_ERRORS_ALARM,
        )
        self.dashboard = self._dashboard(http_api, functions, stream_consumers, dead_letter_queues, timer)

    def notify(self, alarms: Iterable[cloudwatch.Alarm]) -> None:
        """Every alarm notifies the topic when it goes to ALARM and when it is back to OK."""
        action = cloudwatch_actions.SnsAction(self.topic)
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

    def _dashboard(
        self,
        http_api: apigwv2.HttpApi,
        functions: Sequence[lambda_.Function],
        consumers: Sequence[StreamConsumer],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        timer: sfn.StateMachine,
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{Stack.of(self).stack_name}-Operations",
            default_interval=Duration.hours(3),
        )

        def graph(title: str, left: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=title, left=list(left), width=WIDGET_WIDTH, height=WIDGET_HEIGHT
            )

        def per_function(
            metric: str, statistic: str, items: Iterable[lambda_.Function]
        ) -> list[cloudwatch.IMetric]:
            return [f.metric(metric, statistic=statistic, period=MINUTE, label=f.node.id) for f in items]

        timer_metric = {
            name: timer.metric(name, statistic=cloudwatch.Stats.SUM, period=MINUTE, label=label)
            for name, label in (
                ("ExecutionsStarted", "started"),
                ("ExecutionsSucceeded", "succeeded"),
                ("ExecutionsFailed", "failed"),
                ("ExecutionsTimedOut", "timed out"),
                ("ExecutionsAborted", "aborted (a timer stopped)"),
            )
        }
        dashboard.add_widgets(
            graph(
                "Ingestion: requests / min",
                [http_api.metric_count(period=MINUTE, statistic=cloudwatch.Stats.SUM, label="requests")],
            ),
            graph(
                "Ingestion: 4xx and 5xx / min",
                [
                    http_api.metric_client_error(period=MINUTE, statistic=cloudwatch.Stats.SUM, label="4xx"),
                    http_api.metric_server_error(period=MINUTE, statistic=cloudwatch.Stats.SUM, label="5xx"),
                ],
            ),
            graph(
                "Ingestion: latency (ms)",
                [
                    http_api.metric_latency(period=MINUTE, statistic="p50", label="p50"),
                    http_api.metric_latency(period=MINUTE, statistic="p99", label="p99"),
                    http_api.metric_integration_latency(period=MINUTE, statistic="p99", label="Lambda p99"),
                ],
            ),
        )
        dashboard.add_widgets(
            graph(
                "Events stored / min",
                [
                    leadwire_metric("EventsAccepted", "stored"),
                    leadwire_metric("EventsRejected", "rejected (invalid)"),
                    leadwire_metric("RequestsRejected", "requests rejected"),
                ],
            ),
            graph(
                "Segment flips and trigger fires / min",
                [
                    leadwire_metric("SegmentChanges", "flips (events)"),
                    leadwire_metric("SweepChanges", "flips (time, sweep)"),
                    leadwire_metric("TriggersFired", "trigger fires"),
                    leadwire_metric("TimersScheduled", "timers started"),
                ],
            ),
            graph(
                "Sends by channel and outcome / min",
                [
                    cloudwatch.MathExpression(
                        expression='SELECT SUM(Deliveries) FROM SCHEMA("Leadwire", channel, service, '
                        "status, trigger) GROUP BY channel, status",
                        label="",
                        period=MINUTE,
                    )
                ],
            ),
        )
        dashboard.add_widgets(
            graph(
                "Stream iterator age per consumer (ms, max)",
                [
                    c.function.metric(
                        "IteratorAge", statistic=cloudwatch.Stats.MAXIMUM, period=MINUTE, label=c.name
                    )
                    for c in consumers
                ],
            ),
            graph(
                "Stream batch failures per consumer",
                [
                    *(
                        c.function.metric_errors(
                            statistic=cloudwatch.Stats.SUM,
                            period=MINUTE,
                            label=f"{c.name}: failed invocations",
                        )
                        for c in consumers
                    ),
                    *(
                        c.dead_letter_queue.metric_number_of_messages_sent(
                            statistic=cloudwatch.Stats.SUM, period=MINUTE, label=f"{c.name}: batches given up"
                        )
                        for c in consumers
                    ),
                ],
            ),
            graph(
                "Dead-letter queue depth",
                [
                    queue.metric_approximate_number_of_messages_visible(
                        statistic=cloudwatch.Stats.MAXIMUM, period=MINUTE, label=name
                    )
                    for name, queue in dead_letter_queues.items()
                ],
            ),
        )
        dashboard.add_widgets(
            graph(
                "Timers (Step Functions) / min",
                list(timer_metric.values()),
            ),
            graph(
                "Timers waiting: net change / min",
                [
                    cloudwatch.MathExpression(
                        # FILL: a minute with starts but no finishes (or none at all) is still a point.
                        expression="FILL(started, 0) - (FILL(succeeded, 0) + FILL(failed, 0) "
                        "+ FILL(timedout, 0) + FILL(aborted, 0))",
                        using_metrics={
                            "started": timer_metric["ExecutionsStarted"],
                            "succeeded": timer_metric["ExecutionsSucceeded"],
                            "failed": timer_metric["ExecutionsFailed"],
                            "timedout": timer_metric["ExecutionsTimedOut"],
                            "aborted": timer_metric["ExecutionsAborted"],
                        },
                        label="executions waiting (+ started, - finished)",
                        period=MINUTE,
                    ),
                    leadwire_metric("TimersSatisfied", "timers satisfied (awaited event came)"),
                    leadwire_metric("TimersStopped", "waits stopped early (satisfied or taken over)"),
                ],
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[a for a in Stack.of(self).node.find_all() if isinstance(a, cloudwatch.Alarm)],
                width=WIDGET_WIDTH,
                height=WIDGET_HEIGHT,
            ),
        )
        dashboard.add_widgets(
            graph("Lambda errors / min", per_function("Errors", cloudwatch.Stats.SUM, functions)),
            graph("Lambda throttles / min", per_function("Throttles", cloudwatch.Stats.SUM, functions)),
            graph("Lambda duration p99 (ms)", per_function("Duration", "p99", functions)),
        )
        return dashboard
