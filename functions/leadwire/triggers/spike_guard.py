"""Spike alerts on the trigger consumer: a segment whose membership swings more than its
``alerts.max_change`` within ``alerts.within`` pauses the triggers that start on entering or
leaving it (a definition bug that puts every lead in "Hot" must not email everyone).

Checked only for segments with ``alerts`` and only when such a trigger is about to start: one
BatchGetItem of the pauses, and (once per segment per stream batch) the flip log of the window
and the member counter. The first worker to pause a trigger puts ``leadwire.segment.spike`` on
the bus (the pause write is conditional, so the event goes out once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from leadwire.core.insight.analytics import FlipRecord
from leadwire.core.insight.spikes import spike_reason, swing
from leadwire.core.instants import iso
from leadwire.core.rules.definitions import Segment, SegmentAlerts
from leadwire.core.rules.durations import format_duration
from leadwire.core.triggers import Trigger
from leadwire.dal.segment_stats import Flip
from leadwire.dal.trigger_pauses import Pause

SPIKE_DETAIL_TYPE = "leadwire.segment.spike"


class StatsPort(Protocol):
    def counts(self, segment_ids: Iterable[str]) -> tuple[dict[str, int], int]: ...

    def flips(self, segment_id: str, since: datetime) -> list[Flip]: ...


class PausePort(Protocol):
    def get_many(self, trigger_ids: Iterable[str]) -> dict[str, Pause]: ...

    def pause(self, trigger_id: str, reason: str, at: datetime) -> bool: ...


class BusPort(Protocol):
    def put(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


class SpikeGuard:
    def __init__(
        self,
        segments: Iterable[Segment],
        stats: StatsPort,
        pauses: PausePort,
        bus: BusPort,
        now: Callable[[], datetime],
    ) -> None:
        self._alerts: dict[str, SegmentAlerts] = {s.id: s.alerts for s in segments if s.alerts is not None}
        self._stats = stats
        self._pauses = pauses
        self._bus = bus
        self._now = now
        self._window: dict[str, tuple[int, list[FlipRecord]]] = {}

    def allowed(self, triggers: list[Trigger], segment_id: str) -> list[Trigger]:
        """The triggers that may start on this change: all of them unless the segment has alerts."""
        alert = self._alerts.get(segment_id)
        if alert is None or not triggers:
            return triggers
        pauses = self._pauses.get_many(trigger.id for trigger in triggers)
        active = [t for t in triggers if t.id not in pauses or not pauses[t.id].active]
        if not active:
            return []
        now = self._now()
        since = now - alert.within
        members, flips = self._observed(segment_id, since)
        allowed: list[Trigger] = []
        paused: list[str] = []
        for trigger in active:
            resumed = pauses[trigger.id].resumed_at if trigger.id in pauses else None
            observed = swing(members, flips, max(since, resumed) if resumed else since)
            if (
                observed.change <= alert.max_change
                or abs(observed.entered - observed.exited) < alert.min_change
            ):
                allowed.append(trigger)
                continue
            reason = spike_reason(segment_id, observed, alert.max_change, format_duration(alert.within))
            if self._pauses.pause(trigger.id, reason, now):
                paused.append(trigger.id)
        if paused:
            self._bus.put(
                SPIKE_DETAIL_TYPE,
                {
                    "segmentId": segment_id,
                    "at": iso(now),
                    "maxChange": alert.max_change,
                    "within": format_duration(alert.within),
                    "pausedTriggers": paused,
                },
            )
        return allowed

    def _observed(self, segment_id: str, since: datetime) -> tuple[int, list[FlipRecord]]:
        if segment_id not in self._window:
            members = self._stats.counts([segment_id])[0].get(segment_id, 0)
            flips = [FlipRecord(f.lead_id, f.kind, f.at) for f in self._stats.flips(segment_id, since)]
            self._window[segment_id] = (members, flips)
        return self._window[segment_id]
