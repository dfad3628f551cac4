"""Loaded by every Python process of the suite run under libfaketime (``.ci/run`` puts this folder
on PYTHONPATH for that run only).

libfaketime 0.9.10 (Debian's) with ``FAKETIME_DONT_FAKE_MONOTONIC=1`` turns Python 3.11's
``time.sleep`` (``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)``) into EINVAL: it shifts the
absolute deadline by the fake offset although the monotonic clock is not faked (libfaketime issue
426). Faking the monotonic clock instead hangs ``threading.Event.wait`` (issue 390). So the monotonic
clock stays real, and sleeping waits on ``select`` with a relative timeout, which libfaketime
leaves alone.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
