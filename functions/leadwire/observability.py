"""One place for Logger and Metrics. Tracer is left out on purpose: its X-Ray SDK import costs
about 170 ms of cold start on the ingestion path; X-Ray active tracing is enabled on the function
instead."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="leadwire")
metrics = Metrics(namespace="Leadwire", service="leadwire")


def count(name: str, dimensions: dict[str, str]) -> None:
    """One EMF line with its own dimensions (they differ per action of one batch). Skipped where
    metrics are disabled (``leadwire local``), where ``single_metric`` would still print."""
    import os

    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace="Leadwire",
        default_dimensions={"service": "leadwire"},
    ) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)


def count_delivery(trigger_id: str, channel: str, status: str) -> None:
    """``Deliveries`` per trigger, channel and status (sent, deferred, capped, suppressed, ...)."""
    count("Deliveries", {"trigger": trigger_id, "channel": channel, "status": status})


def count_fire(trigger_id: str, variant: str) -> None:
    """``Fires`` per trigger and A/B variant (``holdout`` for the held-out group)."""
    count("Fires", {"trigger": trigger_id, "variant": variant})
