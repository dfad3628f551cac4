"""Feeds DynamoDB stream records to stream handlers exactly as a Lambda event source mapping would.

Per consumer (one per event source mapping): its own position in every shard, the mapping's
filter criteria (non-matching records are dropped, as Lambda drops them), batches of at most
``batch_size`` records in Lambda's event shape, partial batch responses honoured (the checkpoint
moves to the first failed record and the batch is retried from there), bisect on function error,
a bounded number of retries, then the on-failure destination gets the batch's coordinates and the
pump moves on. That failure message has the shape Lambda sends to an on-failure destination for a
DynamoDB stream (``requestContext``, ``responseContext``, ``version``, ``timestamp`` and
``DDBStreamBatchInfo`` with the shard and sequence-number range; never the records), one message
per shard, so ``leadwire replay`` reads local failures exactly as it reads AWS's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from leadwire import clock
from leadwire.core.instants import iso
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.stream_records import matches_any, to_lambda_record

StreamHandler = Callable[[dict[str, Any], Any], Any]


@dataclass
class StreamConsumer:
    name: str
    handler: StreamHandler
    batch_size: int = 100
    filters: list[dict[str, Any]] = field(default_factory=list)
    max_retries: int = 3
    bisect_on_error: bool = True
    on_failure: Callable[[dict[str, Any]], None] | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    invocations: int = 0
    failures_sent: int = 0


class StreamReader(Protocol):
    def shards(self) -> list[str]: ...

    def records(self, shard_id: str, after: str | None) -> Iterator[dict[str, Any]]:
        """The shard's records after sequence number ``after`` (from the trim horizon if None),
        as ``GetRecords`` returns them."""
        ...


class ApiStreamReader:
    """Reads a stream through the DynamoDB Streams API (any endpoint: moto, AWS)."""

    def __init__(self, streams_client: Any, stream_arn: str) -> None:
        self._client = streams_client
        self._stream_arn = stream_arn
        self._shard_ids: list[str] | None = None

    def shards(self) -> list[str]:
        if self._shard_ids is None:
            description = self._client.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
            self._shard_ids = [shard["ShardId"] for shard in description.get("Shards", [])]
        return self._shard_ids

    def records(self, shard_id: str, after: str | None) -> Iterator[dict[str, Any]]:
        position: dict[str, Any] = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if after is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        )
        iterator = self._client.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard_id, **position)[
            "ShardIterator"
        ]
        while iterator:
            response = self._client.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            if not records:
                return
            yield from records
            iterator = response.get("NextShardIterator")


class StreamPump:
    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        *,
        reader: StreamReader | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        """``reader`` replaces the Streams API (``leadwire local`` reads moto's stream in-process);
        ``now`` is the runtime's clock (the project's, simulated under ``--clock``)."""
        self._reader = reader or ApiStreamReader(streams_client, stream_arn)
        self._stream_arn = stream_arn
        self._now = now
        self.consumers: list[StreamConsumer] = []
        self._positions: dict[str, str] = {}  # shard id -> last sequence number read
        self._shard_of: dict[str, str] = {}  # sequence number -> shard id, for records pending delivery
        self._observers: list[Callable[[dict[str, Any]], None]] = []

    def add_consumer(self, consumer: StreamConsumer) -> None:
        """A consumer added later still starts at the trim horizon, as a new mapping would."""
        if self._positions:
            raise RuntimeError("add every consumer before the first pump")
        self.consumers.append(consumer)

    def observe(self, observer: Callable[[dict[str, Any]], None]) -> None:
        """Call ``observer`` with every record read (unfiltered): a local-only view of the table."""
        self._observers.append(observer)

    def pump(self) -> int:
        """Deliver everything available now; returns the number of records delivered."""
        self._fetch()
        delivered = sum(self._deliver(consumer) for consumer in self.consumers)
        self._shard_of.clear()  # every consumer's pending records were delivered or given up on
        return delivered

    def drain(self, max_rounds: int = 1000) -> int:
        """Pump until no consumer has anything left (handlers may write records that others read)."""
        total = 0
        for _ in range(max_rounds):
            delivered = self.pump()
            total += delivered
            if delivered == 0 and not any(c.pending for c in self.consumers):
                return total
        raise RuntimeError("stream pump did not settle: a consumer keeps producing records for itself")

    def _fetch(self) -> None:
        """Read each shard once, from one shared position, and hand every record to each
        consumer whose filters pass it (each keeps its own pending records and retries)."""
        for shard_id in self._reader.shards():
            for record in self._reader.records(shard_id, self._positions.get(shard_id)):
                self._positions[shard_id] = record["dynamodb"]["SequenceNumber"]
                self._shard_of[record["dynamodb"]["SequenceNumber"]] = shard_id
                shaped = to_lambda_record(record, self._stream_arn, self._now())
                for observer in self._observers:
                    observer(shaped)
                for consumer in self.consumers:
                    if matches_any(consumer.filters, shaped):
                        consumer.pending.append(shaped)

    def _invoke(self, consumer: StreamConsumer, batch: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """Returns (index of the first failed record or None, whether the function itself failed)."""
        consumer.invocations += 1
        try:
            response = consumer.handler({"Records": batch}, LocalLambdaContext(consumer.name))
        except Exception:
            return 0, True
        failures = (response or {}).get("batchItemFailures") or []
        if not failures:
            return None, False
        failed_ids = {f.get("itemIdentifier") for f in failures}
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed_ids:
                return index, False
        return 0, False  # an identifier Lambda cannot match: the whole batch is retried

    def _deliver(self, consumer: StreamConsumer) -> int:
        delivered = 0
        attempts = 0
        window = consumer.batch_size
        while consumer.pending:
            batch = consumer.pending[:window]
            failed_at, crashed = self._invoke(consumer, batch)
            if failed_at is None:
                del consumer.pending[: len(batch)]
                delivered += len(batch)
                attempts, window = 0, consumer.batch_size
                continue
            del consumer.pending[:failed_at]
            delivered += failed_at
            if crashed and consumer.bisect_on_error and len(batch) > 1:
                window = max(1, len(batch) // 2)  # as Lambda: splitting does not use up a retry
                continue
            attempts += 1
            failing = batch[failed_at:]
            if attempts > consumer.max_retries:
                self._send_to_failure_destination(consumer, failing, crashed)
                del consumer.pending[: len(failing)]
                attempts, window = 0, consumer.batch_size
        return delivered

    def _send_to_failure_destination(
        self, consumer: StreamConsumer, batch: list[dict[str, Any]], crashed: bool
    ) -> None:
        """What Lambda sends to the mapping's on-failure destination: one message per shard."""
        consumer.failures_sent += len(batch)
        if consumer.on_failure is None:
            return
        runs: list[tuple[str, list[dict[str, Any]]]] = []
        for record in batch:
            shard_id = self._shard_of.get(record["dynamodb"]["SequenceNumber"], "")
            if runs and runs[-1][0] == shard_id:
                runs[-1][1].append(record)
            else:
                runs.append((shard_id, [record]))
        for shard_id, records in runs:
            consumer.on_failure(self._failure_message(consumer, shard_id, records, crashed))

    def _failure_message(
        self, consumer: StreamConsumer, shard_id: str, records: list[dict[str, Any]], crashed: bool
    ) -> dict[str, Any]:
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if crashed:
            response_context["functionError"] = "Unhandled"
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": LocalLambdaContext(consumer.name).invoked_function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": consumer.max_retries + 1,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": iso(self._now()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": self._arrival(records[0]),
                "approximateArrivalOfLastRecord": self._arrival(records[-1]),
                "batchSize": len(records),
                "streamArn": self._stream_arn,
            },
        }

    def _arrival(self, record: dict[str, Any]) -> str:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if isinstance(created, int | float):
            return iso(datetime.fromtimestamp(created, UTC))
        return iso(self._now())
