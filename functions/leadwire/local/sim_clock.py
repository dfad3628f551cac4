"""The simulated clock of ``leadwire local --clock``: it stands still until told to move, so a test
or a replay decides exactly when things happen; it never moves backwards."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from leadwire.core.errors import InvalidRequest


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise InvalidRequest("the clock only moves forward", {"field": "advance"})
        with self._lock:
            self._now += delta
            return self._now

    def move_to(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        with self._lock:
            if moment < self._now:
                raise InvalidRequest(
                    f"the clock only moves forward: it is already {self._now.isoformat()}", {"field": "to"}
                )
            self._now = moment
            return self._now
