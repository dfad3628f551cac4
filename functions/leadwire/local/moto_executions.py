"""moto's Step Functions executions, waited for and read in process.

moto runs each execution on a thread of its own (``ExecutionWorker.start``) and lists it in
``moto.stepfunctions.parser.utils.TMP_THREADS``, a list it only ever appends to. A local timer
used to poll ``DescribeExecution`` until the execution ended: about five calls and 30 ms of
sleeping per timer, a tenth of a replay's time. Joining the threads the start call added ends
the wait the moment the execution does; the caller then describes it once, and polls as before
if it is somehow still running. Finished threads are taken off the list, which otherwise holds
every thread of a long replay.

An execution's history (the bench counts its state transitions, as Step Functions bills them)
is read from moto's backend, where ``GetExecutionHistory`` would serialize every event through
moto's model-driven serializer for the client to parse back.

Pinned to the moto version the other shortcuts were read against (``moto_query``); on another
version both go through the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import moto

from leadwire.local.moto_query import PINNED_MOTO_VERSION
from leadwire.timers.local_timers import ClientExecutions

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


class MotoExecutions(ClientExecutions):
    """``LocalTimers``' executions under moto: joined, not polled; histories read in process."""

    def start(self, call: Callable[[], str]) -> str:
        return start_and_join(call)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        if moto.__version__ != PINNED_MOTO_VERSION:
            return super().history(execution_arn)
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        # arn:aws:states:<region>:<account>:execution:<machine>:<name>
        region, account = execution_arn.split(":")[3:5]
        output = stepfunctions_parser_backends[account][region].get_execution_history(execution_arn)
        return [dict(event) for event in output["events"]]
