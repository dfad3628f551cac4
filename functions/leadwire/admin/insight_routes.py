"""Admin routes for segment insight: analytics, explain, snapshots, previews (DESIGN.md, second part)."""

from __future__ import annotations

import sys
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from leadwire import clock
from leadwire.admin.deliveries import parse_instant
from leadwire.admin.insight import SegmentInsight
from leadwire.admin.insight_models import (
    AnalyticsView,
    ExplainView,
    LeadScoresView,
    PreviewRequest,
    PreviewView,
    SnapshotRequest,
    TriggerPreviewRequest,
    TriggerPreviewView,
)
from leadwire.admin.models import SegmentChange, TriggerView
from leadwire.admin.openapi import responses
from leadwire.admin.previews import EventSourcePort, Previews
from leadwire.core.instants import iso
from leadwire.dal.indexed_events import IndexedEvents
from leadwire.dal.lead_batch import LeadBatchReader
from leadwire.dal.segment_stats import SegmentStats
from leadwire.dal.trigger_pauses import TriggerPauses
from leadwire.segmentation import wiring
from leadwire.settings import engine_settings

SegmentId = Annotated[str, Path(min_length=1, max_length=128)]
LeadId = Annotated[str, Path(min_length=1, max_length=256)]
Instant = Annotated[str | None, Query(max_length=64)]
DurationText = Annotated[str | None, Query(max_length=32)]

router = Router()


def segment_insight() -> SegmentInsight:
    client, table = wiring.dynamodb(), engine_settings().table_name
    return SegmentInsight(
        SegmentStats(client, table),
        wiring.lead_store(),
        LeadBatchReader(client, table),
        wiring.event_store(),
        lambda: wiring.definitions_source().current(),
        clock.now,
    )


def previews() -> Previews:
    table = engine_settings().table_name
    events: EventSourcePort = IndexedEvents(wiring.lead_store(), wiring.event_store())
    if "leadwire.local.runtime" in sys.modules:  # leadwire local: read moto's table in place
        from leadwire.local.moto_events import MotoEventSource

        events = MotoEventSource(table, sys.modules["leadwire.local.runtime"].REGION)
    return Previews(events, wiring.definitions_source(), lambda: wiring.delivery_config()[0], clock.now)


def trigger_pauses() -> TriggerPauses:
    return TriggerPauses(wiring.dynamodb(), engine_settings().table_name)


def with_pause(view: TriggerView) -> TriggerView:
    """The trigger as GET shows it: with ``paused`` {reason, at} while a spike alert holds it."""
    pause = trigger_pauses().get(view.id)
    if pause is None or not pause.active:
        return view
    return TriggerView.model_validate(
        {**view.model_dump(), "paused": {"reason": pause.reason, "at": iso(pause.at)}}
    )


def _segment_admin():  # imported late: the handler module builds it from the same wiring
    from leadwire.admin.handler import segment_admin

    return segment_admin()


@router.get(
    "/segments/<segment_id>/analytics",
    tags=["segment insight"],
    responses=responses(
        200,
        "Size, series (state at the end of each interval), average score decayed to `at`, top events "
        "of the current members in [from, to] (default the last 30 days) and conversion",
        400,
        404,
    ),
)
def segment_analytics(
    segment_id: SegmentId,
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    interval: DurationText = None,
    conversion_event: Annotated[str | None, Query(max_length=200)] = None,
    conversion_within: DurationText = None,
) -> AnalyticsView:
    _segment_admin().get(segment_id)
    return segment_insight().analytics(
        segment_id,
        start=start,
        end=end,
        interval=interval,
        conversion_event=conversion_event,
        conversion_within=conversion_within,
    )


@router.get(
    "/segments/<segment_id>/explain/<lead_id>",
    tags=["segment insight"],
    responses=responses(
        200, "Node by node, the values the engine's evaluator observed now, and the last entry or exit", 404
    ),
)
def explain_lead(segment_id: SegmentId, lead_id: LeadId) -> ExplainView:
    _segment_admin().get(segment_id)
    return segment_insight().explain(segment_id, lead_id)


@router.get(
    "/leads/<lead_id>/scores",
    tags=["segment insight"],
    responses=responses(
        200,
        "The lead's score, decayed, at the end of each interval of [from, to] (default 30 days)",
        400,
        404,
    ),
)
def lead_scores(
    lead_id: LeadId,
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    interval: DurationText = None,
) -> LeadScoresView:
    return segment_insight().lead_scores(lead_id, start=start, end=end, interval=interval)


@router.post(
    "/segments/<segment_id>/snapshot",
    tags=["segment insight"],
    status_code=201,
    responses=responses(201, "A static segment holding the members now, or as of asOf", 400, 404, 409),
)
def snapshot_segment(segment_id: SegmentId, body: Annotated[SnapshotRequest, Body()]) -> SegmentChange:
    admin = _segment_admin()
    source = admin.get(segment_id)
    insight = segment_insight()
    now = clock.now()
    as_of = parse_instant(body.asOf, "asOf") if body.asOf else now
    members = [m.lead_id for m in insight.members_as_of(segment_id, as_of).members]
    document = {
        "id": body.id,
        "name": body.name,
        "description": f"Snapshot of {source.name} ({segment_id}) as of {as_of.isoformat()}",
        "type": "static",
        "members": members,
    }
    return admin.create(document, confirm=True)  # freezing the members is the request itself


@router.post(
    "/segments/preview",
    tags=["segment insight"],
    responses=responses(200, "Stored events replayed through the engine; nothing is written", 400),
)
def preview_segment(body: Annotated[PreviewRequest, Body()]) -> PreviewView:
    return previews().segment(body.segment, body.since)


@router.post(
    "/triggers/preview",
    tags=["segment insight"],
    responses=responses(
        200, "Stored events replayed: fires per day and sends per channel after the delivery policy", 400
    ),
)
def preview_trigger(body: Annotated[TriggerPreviewRequest, Body()]) -> TriggerPreviewView:
    return previews().trigger(body.trigger, body.since)


@router.post(
    "/triggers/<trigger_id>/resume",
    tags=["triggers"],
    responses=responses(200, "The trigger, no longer paused (a no-op if it was not)", 404),
)
def resume_trigger(trigger_id: Annotated[str, Path(min_length=1, max_length=128)]) -> TriggerView:
    from leadwire.admin.handler import trigger_admin

    view = trigger_admin().get(trigger_id)
    trigger_pauses().resume(trigger_id, clock.now())
    return with_pause(view)
