"""The privacy context's composition root: erasure and export for the admin API, over the shared
adapters (``leadwire/wiring.py``) and the timer machine (``timers/wiring.py``)."""

from __future__ import annotations

from leadwire import clock, wiring
from leadwire.admin.models import LeadView
from leadwire.admin.wiring import lead_admin
from leadwire.core.errors import NotFound
from leadwire.dal.lead_partition import LeadPartition
from leadwire.privacy.erase import LeadEraser, lead_ids
from leadwire.privacy.export import LeadExporter
from leadwire.segmentation.accounts import AccountUnlinker
from leadwire.segmentation.engine import definition_versions
from leadwire.timers.wiring import timer_stopper


@wiring.cached
def lead_partition() -> LeadPartition:
    return LeadPartition(wiring.dynamodb(), wiring.table())


def _segment_ids() -> list[str]:
    return [segment.id for segment in wiring.definitions_source().current().segments]


def _trigger_ids() -> list[str]:
    return [trigger.id for trigger in wiring.definitions_source().triggers()]


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
