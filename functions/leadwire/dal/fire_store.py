"""The FIRE item (a trigger fired for a lead): its key, its mapping and its store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.fires import Fire
from leadwire.core.instants import iso
from leadwire.dal.conditional_put import put_if
from leadwire.dal.metering import PROCESS_METER


def fire_to_item(fire: Fire) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        schema.PK: {"S": schema.lead_pk(fire.lead_id)},
        schema.SK: {"S": schema.fire_sk(fire.fire_id)},
        "fireId": {"S": fire.fire_id},
        "triggerId": {"S": fire.trigger_id},
        "leadId": {"S": fire.lead_id},
        "cause": {"S": fire.cause},
        "at": {"S": iso(fire.at)},
        "match": {"S": json.dumps(fire.match, separators=(",", ":"), sort_keys=True)},
    }
    if fire.lead_version:
        item["lv"] = {"N": str(fire.lead_version)}
    return item


def fire_from_item(item: dict[str, dict[str, Any]]) -> Fire:
    return Fire(
        fire_id=item["fireId"]["S"],
        trigger_id=item["triggerId"]["S"],
        lead_id=item["leadId"]["S"],
        cause=item["cause"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        match=json.loads(item.get("match", {}).get("S") or "{}"),
        lead_version=int(item.get("lv", {}).get("N", "0")),
    )


class FireStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def put_fire(self, fire: Fire) -> bool:
        """Write the fire once: a retried start of the same fire writes nothing (False)."""
        return put_if(self._client, self._table, fire_to_item(fire), self._meter, "fire")

    def exists(self, fire: Fire) -> bool:
        """Whether the fire's item is stored (one eventually consistent read)."""
        key = {schema.PK: {"S": schema.lead_pk(fire.lead_id)}, schema.SK: {"S": schema.fire_sk(fire.fire_id)}}
        item = self._client.get_item(TableName=self._table, Key=key).get("Item")
        self._meter.record_read(item_size(item) if item else 1, consistent=False, kind="fire")
        return item is not None

    def delete_fire(self, fire: Fire) -> None:
        """Remove a fire's item (one of an erased lead, which nothing may act on)."""
        key = {schema.PK: {"S": schema.lead_pk(fire.lead_id)}, schema.SK: {"S": schema.fire_sk(fire.fire_id)}}
        self._client.delete_item(TableName=self._table, Key=key)
        self._meter.record_write(key, kind="fire")
