"""Replay what the stream consumers gave up on: the core of ``leadwire replay`` (no boto3 here).

When a stream consumer (segmentation, triggers, actions) exhausts its retries on a batch, Lambda
sends the batch's coordinates to the consumer's on-failure queue: the shard and the first and last
sequence numbers (``DDBStreamBatchInfo``), never the records. For each such message this module:

1. parses the batch info (a malformed message is reported with the field at fault, and kept);
2. reads exactly that sequence-number range from the shard (``AT_SEQUENCE_NUMBER`` on the start,
   then records until the end); a range past the stream's 24-hour retention is gone: ``expired``,
   and the message is kept so that the loss stays visible;
3. keeps only the records the consumer's own filter passes (the filter patterns of its event
   source mapping: the range also holds other item types, which the consumer never saw);
4. re-delivers them to the consumer as a DynamoDB stream event, through a ``Deliver`` port: in AWS
   a synchronous invoke of the deployed function, locally the in-process handler. A reported
   failure (``batchItemFailures``, a function error) keeps the message; success deletes it.

Re-delivering is safe because every consumer is idempotent (events dedupe on ``messageId``, fires
on fire ids, deliveries on delivery ids): a batch that partly succeeded before it was given up on
applies its effects once.

Messages are held invisible while a run works through the queue and released at the end, so one
run sees each message once, and a kept message is visible again to the next run straight away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal, Protocol

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
)

from leadwire import clock
from leadwire.stream_consumers import STREAM_CONSUMERS
from leadwire.stream_records import matches_any, to_lambda_record

log = logging.getLogger("leadwire.replay")

CONSUMERS: Final = tuple(spec.name for spec in STREAM_CONSUMERS)
# The filter patterns of each consumer's event source mapping (leadwire/stream_consumers.py).
CONSUMER_FILTERS: Final[Mapping[str, list[dict[str, Any]]]] = {
    spec.name: list(spec.filters) for spec in STREAM_CONSUMERS
}
STREAM_RETENTION: Final = timedelta(hours=24)
# Re-delivered events stay within what the event source mapping would send: its batch size, and
# well under the 6 MB synchronous-invoke payload limit.
REDELIVERY_BATCH_SIZE: Final = 100
REDELIVERY_MAX_BYTES: Final = 5_000_000
# GetRecords may answer empty while it moves through a shard; give up on the range after this many.
MAX_EMPTY_READS: Final = 20

Status = Literal["pending", "replayed", "failed", "expired", "malformed"]
STATUSES: Final[tuple[Status, ...]] = ("pending", "replayed", "failed", "expired", "malformed")


class MalformedFailure(ValueError):
    """A failure message that does not hold a usable ``DDBStreamBatchInfo``; the text names the field."""


class RecordsExpired(Exception):
    """The stream no longer holds the range (past retention, or the shard is gone)."""


class IncompleteRange(Exception):
    """The stream answered, but not with the range the failure message names."""


# -- ports -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str


class FailureQueue(Protocol):
    """An on-failure queue. ``receive`` hides what it returns until ``release`` or ``delete``."""

    def receive(self, max_messages: int) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...

    def release(self, message: QueueMessage) -> None: ...


class StreamReader(Protocol):
    def iterator_at(self, stream_arn: str, shard_id: str, sequence_number: str) -> str:
        """A shard iterator AT_SEQUENCE_NUMBER; raises ``RecordsExpired`` when it is gone."""
        ...

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        """One GetRecords call: the records (as boto3 returns them) and the next iterator."""
        ...


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str = ""


# Called with a DynamoDB stream event ({"Records": [...]}) for the consumer.
Deliver = Callable[[dict[str, Any]], Delivery]


@dataclass
class Consumer:
    name: str  # segmentation | triggers | actions
    function_name: str
    queue: FailureQueue
    deliver: Deliver
    filters: list[dict[str, Any]] = field(default_factory=list)
    # False where one queue serves several consumers (``leadwire local``): messages then go by the
    # function ARN they name, and those of other consumers are left alone.
    exclusive_queue: bool = True


def delivery_of_response(response: Mapping[str, Any] | None, function_error: str | None = None) -> Delivery:
    """A consumer's answer as success or failure: a function error, or any ``batchItemFailures``."""
    if function_error:
        return Delivery(False, f"function error: {function_error}")
    failures = (response or {}).get("batchItemFailures") or []
    if failures:
        ids = ", ".join(str(f.get("itemIdentifier")) for f in failures[:3])
        return Delivery(False, f"{len(failures)} record(s) failed again (first: {ids})")
    return Delivery(True)


# -- the batch info ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchInfo:
    stream_arn: str
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    batch_size: int
    first_arrival: datetime | None
    last_arrival: datetime | None
    function_arn: str | None
    condition: str | None

    @property
    def function_name(self) -> str | None:
        """The function the batch was given up by, from ``requestContext.functionArn``."""
        if not self.function_arn:
            return None
        name = self.function_arn.split(":function:", 1)[-1]
        return name.split(":", 1)[0]


SequenceNumber = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
    StringConstraints(pattern=r"^[0-9]+$"),
]


class _BatchInfoMessage(BaseModel):
    """``DDBStreamBatchInfo`` as Lambda writes it (what Leadwire reads of it)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    stream_arn: Annotated[str, StringConstraints(min_length=1)] = Field(alias="streamArn")
    shard_id: Annotated[str, StringConstraints(min_length=1)] = Field(alias="shardId")
    start_sequence_number: SequenceNumber = Field(alias="startSequenceNumber")
    end_sequence_number: SequenceNumber = Field(alias="endSequenceNumber")
    batch_size: StrictInt = Field(default=0, ge=0, alias="batchSize")
    first_arrival: datetime | None = Field(default=None, alias="approximateArrivalOfFirstRecord")
    last_arrival: datetime | None = Field(default=None, alias="approximateArrivalOfLastRecord")


OptionalText = Annotated[str | None, BeforeValidator(lambda v: v if isinstance(v, str) else None)]


class _RequestContext(BaseModel):
    """What Lambda says of the invocation; optional, and a field of another shape counts as none."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    function_arn: OptionalText = Field(default=None, alias="functionArn")
    condition: OptionalText = None


class _FailureMessage(BaseModel):
    """An on-failure destination's message for a stream batch."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    info: _BatchInfoMessage = Field(alias="DDBStreamBatchInfo")
    request: _RequestContext = Field(default_factory=_RequestContext, alias="requestContext")


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _malformed(error: ValidationError) -> MalformedFailure:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    if len(loc) == 1 and loc[0] == "DDBStreamBatchInfo":
        return MalformedFailure("DDBStreamBatchInfo is missing or not an object")
    return MalformedFailure(
        f"{'.'.join(loc)} is missing or not valid: {first['msg']} ({first.get('input')!r})"
    )


def parse_failure(body: str | Mapping[str, Any]) -> BatchInfo:
    """The batch a failure message names; ``MalformedFailure`` names the field at fault."""
    if isinstance(body, str):
        try:
            message = json.loads(body)
        except json.JSONDecodeError as exc:
            raise MalformedFailure(f"message body is not JSON ({exc.msg})") from None
    else:
        message = body
    if not isinstance(message, Mapping):
        raise MalformedFailure("message body is not a JSON object")
    if not isinstance(message.get("requestContext"), Mapping | None):
        message = {**message, "requestContext": {}}
    try:
        parsed = _FailureMessage.model_validate(message)
    except ValidationError as error:
        raise _malformed(error) from None
    info = parsed.info
    if int(info.end_sequence_number) < int(info.start_sequence_number):
        raise MalformedFailure(
            f"DDBStreamBatchInfo.endSequenceNumber {info.end_sequence_number} is before "
            f"startSequenceNumber {info.start_sequence_number}"
        )
    return BatchInfo(
        stream_arn=info.stream_arn,
        shard_id=info.shard_id,
        start_sequence_number=info.start_sequence_number,
        end_sequence_number=info.end_sequence_number,
        batch_size=info.batch_size,
        first_arrival=_aware(info.first_arrival),
        last_arrival=_aware(info.last_arrival),
        function_arn=parsed.request.function_arn,
        condition=parsed.request.condition,
    )


# -- reading the range ---------------------------------------------------------------------------
def read_range(stream: StreamReader, info: BatchInfo) -> list[dict[str, Any]]:
    """Every record from start to end sequence number (all item types), as Lambda would shape them."""
    start, end = int(info.start_sequence_number), int(info.end_sequence_number)
    iterator: str | None = stream.iterator_at(info.stream_arn, info.shard_id, info.start_sequence_number)
    records: list[dict[str, Any]] = []
    empty_reads = 0
    while iterator:
        batch, iterator = stream.read(iterator)
        if not batch:
            empty_reads += 1
            if empty_reads >= MAX_EMPTY_READS:
                break
            continue
        empty_reads = 0
        for record in batch:
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if not records and sequence != start:
                # AT_SEQUENCE_NUMBER starts at the record itself; anything else means it is gone.
                raise RecordsExpired(f"the shard no longer starts the range at {start} (first is {sequence})")
            if sequence > end:
                return records
            records.append(to_lambda_record(record, info.stream_arn))
            if sequence == end:
                return records
    if not records:
        raise RecordsExpired(f"no records from {start} on in {info.shard_id}")
    last = records[-1]["dynamodb"]["SequenceNumber"]
    raise IncompleteRange(f"the shard ended at {last} before the range's end {end}")


def redelivery_batches(records: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records in stream order, cut into events no larger than the mapping would send."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for record in records:
        record_size = len(json.dumps(record))
        if current and (len(current) >= REDELIVERY_BATCH_SIZE or size + record_size > REDELIVERY_MAX_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(record)
        size += record_size
    if current:
        batches.append(current)
    return batches


# -- one message, and the run ----------------------------------------------------------------------
@dataclass
class Outcome:
    consumer: str
    message_id: str
    status: Status
    shard_id: str | None = None
    start_sequence_number: str | None = None
    end_sequence_number: str | None = None
    first_record_at: str | None = None
    age_seconds: int | None = None
    within_retention: bool | None = None
    records: int | None = None  # records in the range that the consumer's filter passes
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {_camel(k): v for k, v in asdict(self).items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass
class Summary:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for o in self.outcomes if o.status == status) for status in STATUSES}

    @property
    def ok(self) -> bool:
        """True when every message was replayed (or, in a dry run, could be)."""
        return all(o.status in ("pending", "replayed") for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "ok": self.ok,
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def _route(message: QueueMessage, consumers: Sequence[Consumer]) -> Consumer | None:
    """The consumer a message belongs to: the queue's own, or the one its function ARN names."""
    if len(consumers) == 1 and consumers[0].exclusive_queue:
        return consumers[0]
    try:
        function_name = parse_failure(message.body).function_name
    except MalformedFailure:
        return consumers[0]  # whoever's it was, report it (as malformed) rather than skip it
    return next((c for c in consumers if c.function_name == function_name), None)


def replay_message(
    message: QueueMessage, consumer: Consumer, stream: StreamReader, *, dry_run: bool, now: datetime
) -> Outcome:
    """Replays (or, dry, lists) one failure message; never raises for a bad message or a failed replay."""
    outcome = Outcome(consumer=consumer.name, message_id=message.message_id, status="failed")
    try:
        info = parse_failure(message.body)
    except MalformedFailure as exc:
        outcome.status, outcome.detail = "malformed", str(exc)
        return outcome
    outcome.shard_id = info.shard_id
    outcome.start_sequence_number = info.start_sequence_number
    outcome.end_sequence_number = info.end_sequence_number
    if info.first_arrival is not None:
        outcome.first_record_at = info.first_arrival.astimezone(UTC).isoformat().replace("+00:00", "Z")
        outcome.age_seconds = int((now - info.first_arrival).total_seconds())
    try:
        records = read_range(stream, info)
    except RecordsExpired as exc:
        outcome.status, outcome.within_retention = "expired", False
        outcome.detail = f"records are past the stream's retention: {exc}"
        return outcome
    except Exception as exc:
        outcome.detail = f"reading the stream failed: {exc}"
        return outcome
    outcome.within_retention = True
    matching = [record for record in records if matches_any(consumer.filters, record)]
    outcome.records = len(matching)
    if dry_run:
        outcome.status = "pending"
        outcome.detail = f"{len(records)} record(s) in range, {len(matching)} for {consumer.name}"
        return outcome
    for batch in redelivery_batches(matching):
        try:
            delivery = consumer.deliver({"Records": batch})
        except Exception as exc:
            delivery = Delivery(False, f"{type(exc).__name__}: {exc}")
        if not delivery.ok:
            outcome.detail = delivery.detail
            return outcome
    outcome.status = "replayed"
    outcome.detail = f"{len(matching)} record(s) re-delivered"
    return outcome


def replay(
    consumers: Sequence[Consumer],
    stream: StreamReader,
    *,
    dry_run: bool = False,
    max_messages: int | None = None,
    now: datetime | None = None,
) -> Summary:
    """Works through the failure queues of ``consumers`` (a queue several consumers share is read
    once, each message going to the consumer its function ARN names; messages of other consumers
    are left alone). Replayed messages are deleted; all others are released at the end."""
    now = now or clock.now()  # the wall clock in AWS; leadwire local's own clock locally
    summary = Summary(dry_run=dry_run)
    by_queue: dict[int, list[Consumer]] = {}
    for each in consumers:
        by_queue.setdefault(id(each.queue), []).append(each)
    for sharing in by_queue.values():
        queue = sharing[0].queue
        held: list[QueueMessage] = []
        try:
            while max_messages is None or len(summary.outcomes) < max_messages:
                wanted = 10 if max_messages is None else min(10, max_messages - len(summary.outcomes))
                messages = queue.receive(wanted)
                if not messages:
                    break
                for message in messages:
                    consumer = _route(message, sharing)
                    if consumer is None or (
                        max_messages is not None and len(summary.outcomes) >= max_messages
                    ):
                        held.append(message)
                        continue
                    outcome = replay_message(message, consumer, stream, dry_run=dry_run, now=now)
                    summary.outcomes.append(outcome)
                    _log(outcome)
                    if outcome.status == "replayed":
                        queue.delete(message)
                    else:
                        held.append(message)
        finally:
            for message in held:
                queue.release(message)
    totals = {"dryRun": dry_run, **summary.counts(), "byConsumer": counts_by_consumer(summary)}
    log.info("replay summary %s", json.dumps(totals))
    return summary


def counts_by_consumer(summary: Summary) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for outcome in summary.outcomes:
        counts = result.setdefault(outcome.consumer, dict.fromkeys(STATUSES, 0))
        counts[outcome.status] += 1
    return result


def _log(outcome: Outcome) -> None:
    level = logging.INFO if outcome.status in ("pending", "replayed") else logging.WARNING
    log.log(level, "replay %s", json.dumps(outcome.to_dict()))


# -- the report ----------------------------------------------------------------------------------
def _age(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}h{rest // 60:02d}m"


def format_report(summary: Mapping[str, Any]) -> str:
    """The summary (``Summary.to_dict()``, also what ``POST /_local/replay`` answers) as a table."""
    header = ("CONSUMER", "SHARD", "SEQUENCE RANGE", "FIRST RECORD", "AGE", "RETAINED", "RECORDS", "STATUS")
    rows: list[tuple[str, ...]] = [header]
    details: list[str] = []
    for outcome in summary.get("outcomes", []):
        retained = {True: "yes", False: "no", None: "?"}[outcome.get("withinRetention")]
        start, end = outcome.get("startSequenceNumber"), outcome.get("endSequenceNumber")
        rows.append(
            (
                str(outcome["consumer"]),
                str(outcome.get("shardId") or "?"),
                f"{start}..{end}" if start else "?",
                str(outcome.get("firstRecordAt") or "?"),
                _age(outcome.get("ageSeconds")),
                retained,
                "?" if outcome.get("records") is None else str(outcome["records"]),
                str(outcome["status"]),
            )
        )
        if outcome.get("detail") and outcome["status"] not in ("pending", "replayed"):
            details.append(f"  {outcome['consumer']} {outcome['messageId']}: {outcome['detail']}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    if len(rows) == 1:
        lines.append("(no failure messages)")
    counts = summary.get("counts", {})
    verb = "would replay" if summary.get("dryRun") else "replayed"
    done = counts.get("pending", 0) if summary.get("dryRun") else counts.get("replayed", 0)
    lines.append("")
    lines.append(
        f"{verb} {done}, failed {counts.get('failed', 0)}, expired {counts.get('expired', 0)}, "
        f"malformed {counts.get('malformed', 0)}"
    )
    return "\n".join([*lines, *details])


def selected(name: str) -> list[str]:
    """``--consumer``: one consumer's name, or ``all``."""
    if name == "all":
        return list(CONSUMERS)
    if name not in CONSUMERS:
        raise ValueError(f"unknown consumer {name!r}: one of {', '.join(CONSUMERS)} or all")
    return [name]


def consumer_of_function(function_name: str, names: Iterable[str] = CONSUMERS) -> str | None:
    """``leadwire-reactions`` (local) -> ``reactions``."""
    for name in names:
        if function_name.endswith(name):
            return name
    return None
