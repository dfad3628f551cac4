"""``leadwire replay --local``: the replay core run inside ``leadwire local``, against moto.

``POST /_local/replay`` with ``{"consumer": "all", "dryRun": false, "max": null}`` lands here. The
failure queue and stream are read through the same adapters as in AWS; re-delivery calls the
consumer's in-process handler (the one the stream pump feeds), and then the runtime drains, so
what the replayed records cause downstream (a fire's delivery, a membership's trigger) happens
before the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from leadwire.core.errors import InvalidRequest
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.local.stream_pump import StreamHandler
from leadwire.observability import metrics
from leadwire.ops.aws import DynamoStreamReader, SqsFailureQueue
from leadwire.ops.replay import (
    Consumer,
    Deliver,
    Delivery,
    Summary,
    consumer_of_function,
    delivery_of_response,
    replay,
    selected,
)

if TYPE_CHECKING:
    from leadwire.local.local_api import ReplayRequest
    from leadwire.local.runtime import LocalRuntime


def _in_process(function_name: str, handler: StreamHandler) -> Deliver:
    def deliver(event: dict[str, Any]) -> Delivery:
        try:
            response = handler(event, LocalLambdaContext(function_name))
        except Exception as exc:
            return Delivery(False, f"function error: {type(exc).__name__}: {exc}")
        finally:
            metrics.clear_metrics()
        return delivery_of_response(response if isinstance(response, dict) else None)

    return deliver


def replay_local(
    runtime: LocalRuntime, *, consumer: str = "all", dry_run: bool = False, max_messages: int | None = None
) -> Summary:
    names = selected(consumer)
    queue = SqsFailureQueue(runtime.sqs, runtime.stream_dlq_url, wait_seconds=0)  # one queue, shared
    consumers = [
        Consumer(
            name=name,
            function_name=stream_consumer.name,
            queue=queue,
            deliver=_in_process(stream_consumer.name, stream_consumer.handler),
            filters=stream_consumer.filters,
            exclusive_queue=False,
        )
        for stream_consumer in runtime.pump.consumers
        if (name := consumer_of_function(stream_consumer.name)) in names
    ]
    streams = boto3.client(
        "dynamodbstreams",
        region_name=runtime.sqs.meta.region_name,
        config=Config(account_id_endpoint_mode="disabled"),
    )
    with runtime.lock:
        summary = replay(consumers, DynamoStreamReader(streams), dry_run=dry_run, max_messages=max_messages)
        if not dry_run and summary.counts()["replayed"]:
            runtime.drain()
    return summary


def replay_request(runtime: LocalRuntime, request: ReplayRequest) -> dict[str, Any]:
    """The ``POST /_local/replay`` request (parsed by ``local/local_api.py``) run, its summary."""
    try:
        selected(request.consumer)
    except ValueError as exc:
        raise InvalidRequest(str(exc), {"field": "consumer"}) from None
    return replay_local(
        runtime, consumer=request.consumer, dry_run=request.dry_run, max_messages=request.max
    ).to_dict()
