"""Schedules a trigger instance's wake-up on the timer state machine (or its local stand-in), and
stops one that can no longer fire."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from leadwire import schema
from leadwire.core.fires import Fire
from leadwire.core.triggers import TimerKey
from leadwire.dal.timer_store import timer_item_key
from leadwire.observability import logger
from leadwire.timers.starter import TimerStarter, build_timer_request
from leadwire.timers.stopper import TimerStopper


class StateMachineScheduler:
    def __init__(self, starter: TimerStarter, stopper: TimerStopper | None = None) -> None:
        self._starter = starter
        self._stopper = stopper

    def cancel(self, execution: str, why: Literal["satisfied", "overtaken"]) -> bool:
        """Best effort: a stop refused (throttled, say) leaves a wake-up that finds nothing to do."""
        if self._stopper is None:
            return False
        try:
            return self._stopper.stop(execution, why)
        except (BotoCoreError, ClientError) as exc:
            logger.warning("timer not stopped", extra={"execution": execution, "why": why, "error": str(exc)})
            return False

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
