"""The admin context's composition root: the services behind the admin API's routes (segments,
triggers, leads, accounts, deliveries, insight, previews), built over the shared adapters, and
the jobs it starts (``jobs/wiring.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leadwire import clock, wiring
from leadwire.admin.accounts import AccountAdmin
from leadwire.admin.change_guard import FlipGuard, stored_members
from leadwire.admin.deliveries import DeliveryAdmin
from leadwire.admin.insight import SegmentInsight
from leadwire.admin.leads import LeadAdmin
from leadwire.admin.preview_jobs import PreviewKind
from leadwire.admin.previews import EventSourcePort, Previews
from leadwire.admin.segments import SegmentAdmin
from leadwire.admin.triggers import TriggerAdmin
from leadwire.core.jobs import Job, JobKind
from leadwire.dal.delivery_log import DeliveryLog
from leadwire.dal.indexed_events import IndexedEvents
from leadwire.dal.lead_batch import LeadBatchReader
from leadwire.dal.segment_stats import SegmentStats
from leadwire.dal.trigger_pauses import TriggerPauses
from leadwire.jobs.starter import start_job
from leadwire.settings import admin_settings


def launch_job(reason: str, kind: JobKind = "reevaluate", request: dict[str, Any] | None = None) -> Job:
    """Store a pending job and start it (the jobs function, or ``leadwire local``'s queue)."""
    return start_job(
        wiring.job_store(), wiring.job_starter(), reason, clock.now(), kind=kind, request=request
    )


def segment_admin() -> SegmentAdmin:
    settings = admin_settings()
    guard = FlipGuard(
        lambda document: previews().proposed_members(document),
        lambda segment_id: stored_members(wiring.lead_store(), segment_id),
        share=settings.confirm_flip_share,
        min_flips=settings.confirm_min_flips,
    )
    return SegmentAdmin(wiring.definitions_source(), wiring.definition_store(), launch_job, guard.check)


def trigger_admin() -> TriggerAdmin:
    return TriggerAdmin(
        wiring.definitions_source(), wiring.definition_store(), admin_settings().granted_references
    )


def lead_admin() -> LeadAdmin:
    return LeadAdmin(
        wiring.lead_store(), wiring.event_store(), lambda: wiring.definitions_source().current(), clock.now
    )


def account_admin() -> AccountAdmin:
    return AccountAdmin(wiring.account_store(), lambda: wiring.definitions_source().current(), clock.now)


def delivery_admin() -> DeliveryAdmin:
    log = DeliveryLog(wiring.dynamodb(), wiring.table())
    return DeliveryAdmin(log, lead_admin().resolve, trigger_admin().exists, clock.now)


def segment_stats() -> SegmentStats:
    return SegmentStats(wiring.dynamodb(), wiring.table())


def trigger_pauses() -> TriggerPauses:
    return TriggerPauses(wiring.dynamodb(), wiring.table())


def segment_insight() -> SegmentInsight:
    return SegmentInsight(
        segment_stats(),
        wiring.lead_store(),
        LeadBatchReader(wiring.dynamodb(), wiring.table()),
        wiring.event_store(),
        lambda: wiring.definitions_source().current(),
        clock.now,
        wiring.account_store(),
    )


def previews() -> Previews:
    """Previews replay history from the event index (``leadwire local``: moto's table in place)."""
    local = wiring.local()
    events: EventSourcePort = (
        local.events()
        if local is not None and local.events is not None
        else IndexedEvents(wiring.lead_store(), wiring.event_store())
    )
    return Previews(events, wiring.definitions_source(), _delivery_policy, clock.now)


def _delivery_policy() -> Any:
    from leadwire.actions.wiring import delivery_config  # the actions' policy: loaded when a preview asks

    return delivery_config()[0]


def replay_preview(kind: PreviewKind, definition: dict[str, Any], since: str) -> BaseModel:
    """What a preview job replays: the same as the synchronous routes."""
    if kind == "segment":
        return previews().segment(definition, since)
    return previews().trigger(definition, since)
