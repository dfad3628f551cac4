"""Builds the privacy use cases for the admin API from the engine's cached adapters."""

from __future__ import annotations

from functools import cache

import boto3

from leadwire import clock
from leadwire.admin.models import LeadView
from leadwire.core.errors import NotFound
from leadwire.dal.lead_partition import LeadPartition
from leadwire.privacy.erase import LeadEraser, lead_ids
from leadwire.privacy.export import LeadExporter
from leadwire.segmentation import wiring
from leadwire.segmentation.accounts import AccountUnlinker
from leadwire.segmentation.engine import definition_versions
from leadwire.settings import engine_settings
from leadwire.timers.stopper import StepFunctionsTimerStopper, TimerStopper


@cache
def lead_partition() -> LeadPartition:
    return LeadPartition(wiring.dynamodb(), engine_settings().table_name)


def _segment_ids() -> list[str]:
    return [segment.id for segment in wiring.definitions_source().current().segments]


def _trigger_ids() -> list[str]:
    return [trigger.id for trigger in wiring.definitions_source().triggers()]


def timer_stopper() -> TimerStopper | None:
    """``leadwire local``'s held timers, else Step Functions (None where no timer machine is set)."""
    from leadwire.timers import local_timers

    if local_timers.ACTIVE is not None:
        return local_timers.ACTIVE
    arn = engine_settings().state_machine_arn
    return StepFunctionsTimerStopper(boto3.client("stepfunctions"), arn) if arn else None


def lead_eraser() -> LeadEraser:
    return LeadEraser(
        wiring.lead_store(),
        lead_partition(),
        wiring.suppression_store(),
        wiring.job_store(),
        timer_stopper(),
        _segment_ids,
        _trigger_ids,
        clock.now,
        accounts=AccountUnlinker(
            wiring.account_store(),
            lambda: wiring.definitions_source().current(),
            definition_versions,
            clock.now,
        ),
    )


def lead_exporter() -> LeadExporter:
    from leadwire.admin.handler import lead_admin

    def profile(lead_id: str) -> LeadView | None:
        try:
            return lead_admin().lead(lead_id)
        except NotFound:
            return None  # events stored, not processed yet

    return LeadExporter(
        lambda lead_id: lead_ids(wiring.lead_store(), lead_id),
        profile,
        lead_partition(),
        _segment_ids,
        _trigger_ids,
        clock.now,
    )


def reset() -> None:
    lead_partition.cache_clear()
