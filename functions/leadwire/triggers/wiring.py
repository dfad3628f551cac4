"""The triggers context's composition root: the trigger service over the shared adapters, its
timers (``timers/wiring.py``) and its spike guard."""

from __future__ import annotations

from leadwire import clock, wiring
from leadwire.dal.segment_stats import SegmentStats
from leadwire.dal.trigger_pauses import TriggerPauses
from leadwire.timers.wiring import timer_starter, timer_stopper
from leadwire.triggers.scheduling import StateMachineScheduler
from leadwire.triggers.service import TriggerService
from leadwire.triggers.spike_guard import SpikeGuard


def spike_guard() -> SpikeGuard:
    return SpikeGuard(
        wiring.definitions_source().current().segments,
        SegmentStats(wiring.dynamodb(), wiring.table()),
        TriggerPauses(wiring.dynamodb(), wiring.table()),
        wiring.event_bridge_sender(),
        clock.now,
    )


def trigger_service() -> TriggerService:
    return TriggerService(
        wiring.definitions_source().triggers(),
        wiring.timer_store(),
        StateMachineScheduler(timer_starter(), timer_stopper()),
        wiring.fire_store(),
        clock.now,
        guard=wiring.lead_guard(),
        spikes=spike_guard(),
    )
