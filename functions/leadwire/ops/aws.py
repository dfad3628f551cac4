"""boto3 adapters for ``leadwire replay``: SQS failure queues, the table stream, Lambda, the stack.

The same queue and stream adapters serve ``leadwire local`` (on moto); only re-delivery differs
(a synchronous Lambda invoke here, the in-process handler there).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from botocore.exceptions import ClientError

from leadwire.ops.replay import (
    CONSUMER_FILTERS,
    Consumer,
    Delivery,
    QueueMessage,
    RecordsExpired,
    Summary,
    counts_by_consumer,
    delivery_of_response,
    replay,
)

log = logging.getLogger("leadwire.replay")

DEFAULT_STACK_NAME: Final = "Leadwire"  # leadwire_infra.application.STACK_NAME
# Stack output keys per consumer: (failure queue URL, function name).
STACK_OUTPUTS: Final[Mapping[str, tuple[str, str]]] = {
    "segmentation": ("StreamFailuresQueueUrl", "SegmentationFunctionName"),
    "reactions": ("ReactionStreamFailuresQueueUrl", "ReactionFunctionName"),
}
# Past what the stream no longer holds, or a shard that was deleted after its records expired.
_EXPIRED_CODES: Final = frozenset({"TrimmedDataAccessException", "ResourceNotFoundException"})
METRICS_NAMESPACE: Final = "Leadwire"


class SqsFailureQueue:
    """A consumer's on-failure queue. Received messages stay hidden for ``visibility_seconds``
    (longer than one replay takes) until deleted or released."""

    def __init__(
        self, client: Any, url: str, *, wait_seconds: int = 1, visibility_seconds: int = 900
    ) -> None:
        self._client = client
        self.url = url
        self._wait = wait_seconds
        self._visibility = visibility_seconds

    def receive(self, max_messages: int) -> list[QueueMessage]:
        response = self._client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            VisibilityTimeout=self._visibility,
            WaitTimeSeconds=self._wait,
        )
        return [
            QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"])
            for message in response.get("Messages", [])
        ]

    def delete(self, message: QueueMessage) -> None:
        self._client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)

    def release(self, message: QueueMessage) -> None:
        self._client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=0
        )


class DynamoStreamReader:
    def __init__(self, client: Any) -> None:
        self._client = client

    def iterator_at(self, stream_arn: str, shard_id: str, sequence_number: str) -> str:
        try:
            iterator: str = self._client.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=sequence_number,
            )["ShardIterator"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _EXPIRED_CODES:
                raise RecordsExpired(str(exc)) from exc
            raise
        return iterator

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        try:
            response = self._client.get_records(ShardIterator=iterator, Limit=1000)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _EXPIRED_CODES:
                raise RecordsExpired(str(exc)) from exc
            raise
        return response.get("Records", []), response.get("NextShardIterator")


def lambda_deliverer(client: Any, function_name: str) -> Any:
    """Re-delivery in AWS: a synchronous (RequestResponse) invoke of the deployed consumer."""

    def deliver(event: dict[str, Any]) -> Delivery:
        response = client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        raw = response["Payload"].read()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        function_error = response.get("FunctionError")
        if function_error and isinstance(body, dict) and body.get("errorMessage"):
            function_error = f"{function_error} ({body.get('errorType')}: {body['errorMessage']})"
        return delivery_of_response(body if isinstance(body, dict) else None, function_error)

    return deliver


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_consumers(session: Any, stack_name: str, names: Sequence[str]) -> list[Consumer]:
    """The consumers' queues and functions, from the stack outputs."""
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    sqs, lambda_ = session.client("sqs"), session.client("lambda")
    consumers = []
    for name in names:
        queue_key, function_key = STACK_OUTPUTS[name]
        missing = [key for key in (queue_key, function_key) if key not in outputs]
        if missing:
            raise LookupError(
                f"stack {stack_name} has no output {', '.join(missing)}: deploy this version of the stack"
            )
        consumers.append(
            Consumer(
                name=name,
                function_name=outputs[function_key],
                queue=SqsFailureQueue(sqs, outputs[queue_key]),
                deliver=lambda_deliverer(lambda_, outputs[function_key]),
                filters=list(CONSUMER_FILTERS[name]),
            )
        )
    return consumers


def publish_metrics(cloudwatch: Any, summary: Summary) -> None:
    """``ReplayedBatches``, ``ReplayFailedBatches`` and ``ReplayExpiredBatches`` per consumer;
    best effort (an operator without cloudwatch:PutMetricData still gets the report)."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "consumer", "Value": consumer}],
            "Unit": "Count",
            "Value": float(counts[status]),
        }
        for consumer, counts in counts_by_consumer(summary).items()
        for metric, status in (
            ("ReplayedBatches", "replayed"),
            ("ReplayFailedBatches", "failed"),
            ("ReplayExpiredBatches", "expired"),
        )
    ]
    if not data:
        return
    try:
        cloudwatch.put_metric_data(Namespace=METRICS_NAMESPACE, MetricData=data)
    except ClientError as exc:
        log.warning("could not publish replay metrics: %s", exc)


def replay_in_aws(
    *,
    stack_name: str,
    names: Sequence[str],
    dry_run: bool,
    max_messages: int | None,
    region: str | None = None,
) -> Summary:
    import boto3

    session = boto3.Session(region_name=region)
    consumers = stack_consumers(session, stack_name, names)
    summary = replay(
        consumers,
        DynamoStreamReader(session.client("dynamodbstreams")),
        dry_run=dry_run,
        max_messages=max_messages,
    )
    if not dry_run:
        publish_metrics(session.client("cloudwatch"), summary)
    return summary
