"""Sweep Lambda, run every minute by an EventBridge schedule: re-evaluates the leads (and settles
the accounts) that are due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import clock
from leadwire.observability import logger, metrics
from leadwire.segmentation.wiring import sweep_engine
from leadwire.timers.sweep import DuePort, run_sweep
from leadwire.timers.wiring import due_index


def _log_failure(lead_id: str, error: Exception) -> None:
    logger.exception(
        "sweep could not advance a lead", extra={"lead_id": lead_id, "error": type(error).__name__}
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, due: DuePort | None = None
) -> dict[str, Any]:
    """``due`` is the test seam (``leadwire local`` passes its stream-fed view); else the index."""
    engine = sweep_engine()
    with engine.held_writes():
        report = run_sweep(
            due or due_index(),
            engine,
            clock.now(),
            on_error=_log_failure,
            before_checkpoint=engine.flush_held,
        )
    metrics.add_metric(name="LeadsSwept", unit=MetricUnit.Count, value=report.leads)
    metrics.add_metric(name="AccountsSwept", unit=MetricUnit.Count, value=report.accounts)
    metrics.add_metric(name="SweepChanges", unit=MetricUnit.Count, value=report.changes)
    metrics.add_metric(name="SweepFailures", unit=MetricUnit.Count, value=len(report.failed))
    logger.info(
        "swept",
        extra={"through": report.through.isoformat(), "leads": report.leads, "accounts": report.accounts},
    )
    return {
        "through": report.through.isoformat(),
        "leads": report.leads,
        "accounts": report.accounts,
        "changes": report.changes,
    }
