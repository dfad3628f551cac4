"""The FIRE item: written by the trigger consumer (immediate triggers) or by the timer state
machine (``timers/timer.asl.json`` writes the same attributes), read by the actions consumer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from leadwire import schema
from leadwire.core.fires import Fire
from leadwire.core.instants import iso


def fire_to_item(fire: Fire) -> dict[str, dict[str, Any]]:
    return {
        schema.PK: {"S": schema.lead_pk(fire.lead_id)},
        schema.SK: {"S": schema.fire_sk(fire.fire_id)},
        "fireId": {"S": fire.fire_id},
        "triggerId": {"S": fire.trigger_id},
        "leadId": {"S": fire.lead_id},
        "cause": {"S": fire.cause},
        "at": {"S": iso(fire.at)},
        "match": {"S": json.dumps(fire.match, separators=(",", ":"), sort_keys=True)},
    }


def fire_from_item(item: dict[str, dict[str, Any]]) -> Fire:
    return Fire(
        fire_id=item["fireId"]["S"],
        trigger_id=item["triggerId"]["S"],
        lead_id=item["leadId"]["S"],
        cause=item["cause"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        match=json.loads(item.get("match", {}).get("S") or "{}"),
    )
