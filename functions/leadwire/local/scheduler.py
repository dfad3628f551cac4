"""What runs ``leadwire local``'s pending work, and moves its simulated clock through it.

A drain runs, until none of them produces more: the stream pump (the consumers, as their event
source mappings would), the jobs the admin started, the sweep (as its every-minute schedule
would), the timers due by now (as Step Functions would wake them), and what SES and End User
Messaging would publish about what the actions sent. Moving the simulated clock stops at every
instant a lead or a timer is due on the way, so each wakes at its own instant.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from leadwire import clock
from leadwire.core.errors import InvalidRequest
from leadwire.jobs.starter import LocalJobQueue
from leadwire.local.due_view import StreamDueView
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.local.local_api import ClockMove
from leadwire.local.ses_simulator import SimulatedSes
from leadwire.local.sim_clock import SimulatedClock
from leadwire.local.sms_simulator import SimulatedSms
from leadwire.local.stream_pump import StreamPump
from leadwire.local.usage import UsageMeter
from leadwire.observability import metrics
from leadwire.timers.local_timers import LocalTimers


def _parse_duration(text: str) -> Any:
    from leadwire.core.rules.durations import parse_duration

    return parse_duration(text)


class Scheduler:
    def __init__(
        self,
        *,
        pump: StreamPump,
        jobs: LocalJobQueue,
        due: StreamDueView,
        timers: LocalTimers,
        ses: SimulatedSes,
        sms: SimulatedSms,
        usage: UsageMeter,
        simulated: SimulatedClock | None,
        lock: threading.RLock,
    ) -> None:
        self._pump = pump
        self._jobs = jobs
        self._due = due
        self._timers = timers
        self._ses = ses
        self._sms = sms
        self._usage = usage
        self.clock = simulated
        self._lock = lock

    def drain(self) -> dict[str, Any]:
        """Process all pending work until none of it produces more."""
        with self._lock:
            totals = dict.fromkeys(
                ("streamRecords", "jobs", "sweptLeads", "timers", "emailEvents", "smsEvents"), 0
            )
            while True:
                done = {
                    "streamRecords": self._pump.drain(),
                    "jobs": self._jobs.run_pending(),  # the jobs definition changes (and the admin) started
                    "sweptLeads": self._sweep(),
                    "timers": self._timers.run_due(clock.now()),  # Step Functions timers due by now
                    "emailEvents": self._ses.drain(),  # SES feedback on what the actions sent
                    "smsEvents": self._sms.drain(),  # End User Messaging's delivery events
                }
                for name, count in done.items():
                    totals[name] += count
                if not any(done.values()):
                    return {"drained": True, **totals, "now": clock.now().isoformat()}

    def _sweep(self) -> int:
        """What the scheduled sweep Lambda does, run until it has caught up with now; it reads the
        due leads from the stream-fed view, not by querying the index (see ``local/due_view.py``)."""
        from leadwire.timers import sweep_handler

        target = clock.now()  # the wall clock moves on while the sweep runs: catch up to when it began
        if not self._due.any_due(target):
            # Nothing is due: what the sweep would do is move its checkpoint.
            self._due.advance_checkpoint(target)
            return 0
        swept = 0
        while True:
            result = self._usage.timed("sweep", sweep_handler.lambda_handler)(
                {"source": "aws.events"}, LocalLambdaContext("leadwire-sweep"), due=self._due
            )
            metrics.clear_metrics()
            swept += int(result["leads"]) + int(result["accounts"])
            if datetime.fromisoformat(result["through"]) >= target:
                return swept

    def next_due(self, until: datetime) -> datetime | None:
        """The earliest instant after now and up to ``until`` at which a lead or a timer is due, so
        the simulated clock can jump from one due instant to the next."""
        now = clock.now()
        candidates = [due] if (due := self._due.next_due(now, until)) is not None else []
        timer = self._timers.next_deadline(until)
        if timer is not None and timer > now:
            candidates.append(timer)
        return min(candidates, default=None)

    def run_until(self, target: datetime) -> dict[str, Any]:
        """Move the simulated clock to ``target`` as if it ran through: every due instant on the
        way is reached in order, and the sweep runs there."""
        assert self.clock is not None
        with self._lock:
            self.drain()
            while (due := self.next_due(target)) is not None:
                self.clock.move_to(due)
                self.drain()
            self.clock.move_to(target)
            return self.drain()

    def move_clock(self, request: ClockMove) -> dict[str, Any]:
        if self.clock is None:
            raise InvalidRequest(
                "start leadwire local with --clock to use a simulated clock", {"field": "clock"}
            )
        if request.advance is not None:
            try:
                target = self.clock.now() + _parse_duration(request.advance)
            except ValueError as exc:
                raise InvalidRequest(str(exc), {"field": "advance"}) from None
        else:
            assert request.to is not None
            target = request.to
        if target < self.clock.now():
            raise InvalidRequest(
                f"the clock only moves forward: it is already {self.clock.now().isoformat()}", {"field": "to"}
            )
        return self.run_until(target)
