"""Timer items: one per waiting or delayed trigger instance (trigger, lead, match values).

The item is the instance's single source of truth: claiming it starts at most one wait per key,
an awaited event marks it satisfied (in event time), and the state machine fires only a timer
that is still waiting when it wakes. Its mark (``status`` fired) writes the fire's fields into the
item as well (``fire``: the FIRE item's fields as JSON text, from the execution's input); the
trigger consumer reads them off that change on the stream and writes the FIRE item
(``fire_of_fired_timer``). One task instead of two: a fired timer costs two state transitions,
not three, and the FIRE item's write moves to the consumer (the same write unit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.fires import Fire
from leadwire.core.instants import iso, parse_iso
from leadwire.core.triggers import Claimed, Overtaken, Satisfied, TimerKey
from leadwire.dal.fire_store import fire_from_item
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items

WAITING = "waiting"
SATISFIED = "satisfied"
FIRED = "fired"


_FIRE_FIELDS = ("fireId", "triggerId", "leadId", "cause", "at", "match")


def fire_of_fired_timer(image: dict[str, dict[str, Any]]) -> Fire:
    """The fire a timer's state machine wrote into the item as it marked it fired. ``ValueError``
    (or ``KeyError``) when the item holds no readable fire."""
    fields = json.loads(image["fire"]["S"])
    if not isinstance(fields, dict) or not all(isinstance(fields.get(name), str) for name in _FIRE_FIELDS):
        raise ValueError("the timer's fire does not hold every field of a FIRE item as text")
    return fire_from_item({name: {"S": fields[name]} for name in _FIRE_FIELDS})


def timer_item_key(key: TimerKey) -> dict[str, dict[str, str]]:
    return {
        schema.PK: {"S": schema.timer_pk(key.trigger_id)},
        schema.SK: {"S": f"{key.lead_id}#{key.match_key}"},
    }


class TimerStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def claim(
        self, key: TimerKey, started_at: datetime, deadline: datetime, execution: str, cause: str
    ) -> Claimed | None:
        """Start a waiting instance unless one is waiting, or the awaited event already came in time.

        ``Claimed`` when the caller should start (or, for the same cause, restart: a retried start
        of an instance still waiting) the execution; its ``overtaken`` is the instance this start
        took the item from (see ``Overtaken``). A start of the same cause redelivered after the
        awaited event came does not bring the instance back.
        """
        item = {
            **timer_item_key(key),
            "status": {"S": WAITING},
            "startedAt": {"S": iso(started_at)},
            "deadline": {"S": iso(deadline)},
            "execution": {"S": execution},
            "cause": {"S": cause},
            "lead": {"S": key.lead_id},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(#pk) OR #status = :fired OR "
                    "(#cause = :cause AND #status = :waiting) OR "
                    "(#status = :satisfied AND (satisfiedAt < :started OR satisfiedAt > :deadline))"
                ),
                ExpressionAttributeNames={"#pk": schema.PK, "#status": "status", "#cause": "cause"},
                ExpressionAttributeValues={
                    ":fired": {"S": FIRED},
                    ":waiting": {"S": WAITING},
                    ":satisfied": {"S": SATISFIED},
                    ":cause": {"S": cause},
                    ":started": {"S": iso(started_at)},
                    ":deadline": {"S": iso(deadline)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # One is waiting, or it was satisfied in time: start nothing, unless the waiting one
            # expired (in event time) before this start.
            return self._overtake(item, exc.response.get("Item") or {}, started_at)
        self._meter.record_write(item, kind="timer")
        return Claimed()

    def _overtake(
        self, item: dict[str, Any], current: dict[str, Any], started_at: datetime
    ) -> Claimed | None:
        fields = {name: value["S"] for name, value in current.items() if "S" in value}
        if fields.get("status") != WAITING or not {"deadline", "cause", "startedAt"} <= fields.keys():
            return None
        if fields["deadline"] > iso(started_at):
            return None  # still open at this start: the start belongs to it
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="#status = :waiting AND #cause = :cause AND deadline <= :started",
                ExpressionAttributeNames={"#status": "status", "#cause": "cause"},
                ExpressionAttributeValues={
                    ":waiting": {"S": WAITING},
                    ":cause": {"S": fields["cause"]},
                    ":started": {"S": iso(started_at)},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None  # satisfied, fired or taken meanwhile: leave it to whoever did
            raise
        self._meter.record_write(item, kind="timer")
        return Claimed(
            Overtaken(
                parse_iso(fields["startedAt"]),
                parse_iso(fields["deadline"]),
                fields["cause"],
                fields.get("execution"),
            )
        )

    def satisfy(self, key: TimerKey, at: datetime) -> Satisfied | None:
        """The awaited event happened at ``at``: a waiting instance due at or after it is satisfied
        (its execution, to stop, comes back with it); with no instance yet (events processed out
        of order), a mark is left for the claim to see. None: fired already, or the event is
        older than the wait."""
        values = {":satisfied": {"S": SATISFIED}, ":at": {"S": iso(at)}, ":waiting": {"S": WAITING}}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=timer_item_key(key),
                UpdateExpression="SET #status = :satisfied, satisfiedAt = :at",
                ConditionExpression=(
                    "attribute_not_exists(#pk) OR "
                    "(#status = :waiting AND deadline >= :at AND startedAt <= :at) OR "
                    "(#status = :satisfied AND satisfiedAt < :at)"
                ),
                ExpressionAttributeNames={"#pk": schema.PK, "#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",  # not billed: the item sent back
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        self._meter.record_write(
            {**timer_item_key(key), "status": values[":satisfied"], "at": values[":at"]}, kind="timer"
        )
        old = response.get("Attributes", {})
        was_waiting = old.get("status", {}).get("S") == WAITING
        return Satisfied(old.get("execution", {}).get("S") if was_waiting else None)

    def fired(self, trigger_id: str) -> Iterator[Fire]:
        """The fires of the trigger's timers that their state machine marked fired, with the fire
        written into the item (a Query of the trigger's timer partition). ``leadwire doctor``
        checks each has its FIRE item."""
        pk = schema.timer_pk(trigger_id)
        for item in partition_items(self._client, self._table, pk, self._meter, "timer"):
            if item.get("status", {}).get("S") == FIRED and "fire" in item:
                yield fire_of_fired_timer(item)

    def get(self, key: TimerKey) -> dict[str, str] | None:
        item = self._client.get_item(TableName=self._table, Key=timer_item_key(key), ConsistentRead=True).get(
            "Item"
        )
        return {name: value["S"] for name, value in item.items() if "S" in value} if item else None
