"""The FIRE item (a trigger fired for a lead): its key, its mapping and its store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.fires import Fire
from leadwire.core.instants import iso
from leadwire.dal.conditional_put import put_if
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.unprocessed import stored_keys


def fire_key(fire: Fire) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.lead_pk(fire.lead_id)}, schema.SK: {"S": schema.fire_sk(fire.fire_id)}}


def _key_of(key: dict[str, dict[str, str]]) -> tuple[str, str]:
    return key[schema.PK]["S"], key[schema.SK]["S"]


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

    def missing(self, fires: list[Fire]) -> list[Fire]:
        """Those of ``fires`` whose item is not stored (BatchGetItem, 100 keys a call, keys only)."""
        keys = [fire_key(fire) for fire in fires]
        stored = stored_keys(self._client, self._table, keys, self._meter, "fire", "the FIRE items")
        return [fire for fire, key in zip(fires, keys, strict=True) if _key_of(key) not in stored]

    def delete_fire(self, fire: Fire) -> None:
        """Remove a fire's item (one of an erased lead, which nothing may act on)."""
        key = fire_key(fire)
        self._client.delete_item(TableName=self._table, Key=key)
        self._meter.record_write(key, kind="fire")
