"""Waiting for a moto Step Functions execution by joining its thread instead of polling it.

moto runs each execution on a thread of its own (``ExecutionWorker.start``) and lists it in
``moto.stepfunctions.parser.utils.TMP_THREADS``, a list it only ever appends to. A local timer
used to poll ``DescribeExecution`` until the execution ended: about five calls and 30 ms of
sleeping per timer, a tenth of a replay's time. Joining the threads the start call added ends
the wait the moment the execution does; the caller then describes it once, and polls as before
if it is somehow still running. Finished threads are taken off the list, which otherwise holds
every thread of a long replay.

Pinned to the moto version the other shortcuts were read against (``moto_query``); on another
version the start call runs alone and the caller polls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

import moto

from leadwire.local.moto_query import PINNED_MOTO_VERSION

T = TypeVar("T")
JOIN_TIMEOUT_SECONDS: Final = 30.0


def start_and_join(start: Callable[[], T], timeout: float = JOIN_TIMEOUT_SECONDS) -> T:
    """Call ``start`` (a ``StartExecution``) and wait for the threads moto started meanwhile."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return start()
    from moto.stepfunctions.parser.utils import TMP_THREADS

    before = len(TMP_THREADS)
    started = start()
    for thread in TMP_THREADS[before:]:
        thread.join(timeout)
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
    return started
