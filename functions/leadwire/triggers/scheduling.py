"""Schedules a trigger instance's wake-up on the timer state machine (or its local stand-in)."""

from __future__ import annotations

from datetime import datetime

from leadwire import schema
from leadwire.core.fires import Fire
from leadwire.core.triggers import TimerKey
from leadwire.dal.timer_store import timer_item_key
from leadwire.timers.starter import TimerStarter, build_timer_request


class StateMachineScheduler:
    def __init__(self, starter: TimerStarter) -> None:
        self._starter = starter

    def schedule(self, key: TimerKey, due: datetime, execution: str, fire: Fire) -> None:
        item_key = timer_item_key(key)
        self._starter.start(
            build_timer_request(
                execution_name=execution,
                timer_pk=item_key[schema.PK]["S"],
                timer_sk=item_key[schema.SK]["S"],
                deadline=due,
                fire_id=fire.fire_id,
                trigger_id=fire.trigger_id,
                lead_id=fire.lead_id,
                cause=fire.cause,
                match=fire.match,
                at=fire.at,
            )
        )
