"""The one alarm shape Leadwire uses: fire on the first datapoint above a threshold."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct


def alarm_above(
    scope: Construct, construct_id: str, *, description: str, metric: cloudwatch.IMetric, threshold: float
) -> cloudwatch.Alarm:
    """An alarm when one period of ``metric`` exceeds ``threshold``; no data (a quiet system) is OK."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
