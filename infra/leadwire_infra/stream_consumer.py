"""A function on the table stream, with the settings, failure queue and alarms every consumer needs.

Segmentation, triggers and actions each read the one table stream, filtered to the item types
they own (``leadwire.schema``), so the engine's own writes never re-trigger the consumer that made
them. Their settings are declared once (``leadwire.stream_consumers``, which ``leadwire local``
and ``leadwire replay`` read too); each event source mapping states every setting that matters,
because the defaults are wrong for this workload:

- parallelization factor 1: one batch per shard at a time, so a lead's records apply in order;
- bounded retries (the default is infinite, which blocks the shard until the record expires),
  bisect on error and partial batch responses, so one bad record is isolated and retried alone;
- an on-failure destination: an SQS queue of the consumer's own that receives, for each batch given
  up on, the shard and sequence-number range (not the records). Replay must read the stream within
  its 24-hour retention, so the queue alarms on its first message.

DynamoDB Streams serves at most two readers per shard without throttling; every consumer here is
one reader, so the iterator-age alarm is the first sign that they are falling behind.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from leadwire.stream_consumers import ConsumerSpec
from leadwire_infra.alarms import alarm_above
from leadwire_infra.queues import dead_letter_queue

# Lag past which a consumer is not "real time" any more: throttled reads, slow batches or a
# poisoned shard. Records expire from the stream after 24 hours.
ITERATOR_AGE_ALARM: Final = Duration.minutes(5)

# Pass as the factory's ``unscoped_actions_reason`` for every function that becomes a consumer.
LIST_STREAMS_REASON: Final = (
    "the stream event source mapping needs dynamodb:ListStreams, which supports no resource-level "
    "permissions (the stream reads themselves are scoped to this table's stream ARN)"
)


class StreamConsumer(Construct):
    """Attaches ``function`` to ``table``'s stream as ``spec`` declares; adds its failure queue and alarms.

    ``name`` says who the consumer is in alarm descriptions ("Segmentation"); ``lost`` says what is
    lost when a batch is given up on and never replayed ("its events are never segmented").
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.Function,
        table: dynamodb.ITable,
        spec: ConsumerSpec,
        name: str,
        lost: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = function  # the dashboard finds every consumer through these two
        self.name = name
        self.dead_letter_queue = dead_letter_queue(
            self,
            "Failures",
            reason=f"This queue is itself the on-failure destination of the {name} stream "
            "consumer; its messages are read by operators for replay, never by a consumer "
            "that could fail, so a queue behind it would only hide them.",
        )

        # A record no retry can fix (stream_poison.py) is sent here by the function itself,
        # alone, instead of failing its batch until the mapping gives the whole batch up.
        function.add_environment("STREAM_FAILURE_QUEUE_URL", self.dead_letter_queue.queue_url)
        self.dead_letter_queue.grant_send_messages(function)

        function.add_event_source(
            event_sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=spec.batch_size,
                max_batching_window=Duration.seconds(spec.batching_window_seconds),
                parallelization_factor=spec.parallelization_factor,
                report_batch_item_failures=True,
                bisect_batch_on_error=spec.bisect_on_error,
                retry_attempts=spec.retry_attempts,
                max_record_age=Duration.seconds(spec.max_record_age_seconds),
                on_failure=event_sources.SqsDlq(self.dead_letter_queue),
                filters=[lambda_.FilterCriteria.filter(dict(pattern)) for pattern in spec.filters],
            )
        )

        self.dead_letter_alarm = alarm_above(
            self,
            "FailuresAlarm",
            description=f"{name} gave up on a stream batch: replay it from the shard and "
            f"sequence numbers in the message within 24 hours, or {lost}.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
        )
        self.errors_alarm = alarm_above(
            self,
            "ErrorsAlarm",
            description=f"{name} failed whole invocations (crash, timeout or throttling); failed "
            "records are retried, then sent to the stream failure queue.",
            metric=function.metric_errors(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
        )
        self.iterator_age_alarm = alarm_above(
            self,
            "IteratorAgeAlarm",
            description=f"{name} is more than {ITERATOR_AGE_ALARM.to_minutes()} minutes behind the "
            "table stream (failing batches being retried, slow batches, or throttled stream reads); "
            "records older than a day are given up on.",
            metric=function.metric(
                "IteratorAge", period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=ITERATOR_AGE_ALARM.to_milliseconds(),
        )
