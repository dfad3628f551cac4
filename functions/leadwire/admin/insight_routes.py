"""Admin routes for segment insight: analytics, explain, snapshots, previews (DESIGN.md, second part)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from leadwire import clock, wiring
from leadwire.admin.deliveries import parse_instant
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
from leadwire.admin.models import JobView, SegmentChange, TriggerView
from leadwire.admin.openapi import responses
from leadwire.admin.preview_jobs import PreviewMode, as_job, preview_request
from leadwire.admin.trigger_results import TriggerResults, TriggerResultsView
from leadwire.admin.wiring import (
    delivery_admin,
    launch_job,
    previews,
    segment_admin,
    segment_insight,
    segment_stats,
    trigger_admin,
    trigger_pauses,
)
from leadwire.core.instants import iso

SegmentId = Annotated[str, Path(min_length=1, max_length=128)]
LeadId = Annotated[str, Path(min_length=1, max_length=256)]
Instant = Annotated[str | None, Query(max_length=64)]
DurationText = Annotated[str | None, Query(max_length=32)]

router = Router()
PreviewModeQuery = Annotated[
    PreviewMode,
    Query(description="auto (a job past the known-leads threshold), sync (answer now) or job (always a job)"),
]
JOB_STARTED: dict[int, Any] = {
    202: {
        "description": "Too large for one request: a preview job started; GET /jobs/{jobId} (Location) "
        "holds the same body as result when it is done",
        "content": {"application/json": {"model": JobView}},
    }
}


def with_pause(view: TriggerView) -> TriggerView:
    """The trigger as GET shows it: with ``paused`` {reason, at} while a spike alert holds it."""
    pause = trigger_pauses().get(view.id)
    if pause is None or not pause.active:
        return view
    return TriggerView.model_validate(
        {**view.model_dump(), "paused": {"reason": pause.reason, "at": iso(pause.at)}}
    )


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
    segment_admin().get(segment_id)
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
        200,
        "Node by node, the values the engine's evaluator observed now, and the last entry or exit. "
        "For an account segment the id in the path is an account id: its score, traits and lead "
        "counts, judged by the same evaluator",
        400,
        404,
    ),
)
def explain_lead(segment_id: SegmentId, lead_id: LeadId) -> ExplainView:
    segment_admin().get(segment_id)
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
    admin = segment_admin()
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
    responses=responses(
        200,
        "Stored events replayed through the engine; nothing is written. Lead segments only: an "
        'account-level definition ("level": "account") is a 400 naming segment.level',
        400,
    )
    | JOB_STARTED,
)
def preview_segment(
    body: Annotated[PreviewRequest, Body()], mode: PreviewModeQuery = "auto"
) -> Response[PreviewView | JobView]:
    if as_job(mode, _known_leads):
        return _preview_job(preview_request("segment", body.segment, body.since))
    return Response(200, "application/json", previews().segment(body.segment, body.since))


@router.post(
    "/triggers/preview",
    tags=["segment insight"],
    responses=responses(
        200,
        "Stored events replayed: fires per day and sends per channel after the delivery policy. Lead "
        "triggers only: a trigger on an account segment is a 400 naming trigger.on.enter (or .exit)",
        400,
    )
    | JOB_STARTED,
)
def preview_trigger(
    body: Annotated[TriggerPreviewRequest, Body()], mode: PreviewModeQuery = "auto"
) -> Response[TriggerPreviewView | JobView]:
    if as_job(mode, _known_leads):
        return _preview_job(preview_request("trigger", body.trigger, body.since))
    return Response(200, "application/json", previews().trigger(body.trigger, body.since))


def _known_leads() -> int:
    return segment_stats().counts([])[1]


def _preview_job(request: dict[str, Any]) -> Response[Any]:
    reason = f"{request['kind']} preview over {request['since']}"
    job = launch_job(reason, kind="preview", request=request)
    return Response(202, "application/json", JobView.of(job), headers={"Location": f"/jobs/{job.job_id}"})


@router.post(
    "/triggers/<trigger_id>/resume",
    tags=["triggers"],
    responses=responses(200, "The trigger, no longer paused (a no-op if it was not)", 404),
)
def resume_trigger(trigger_id: Annotated[str, Path(min_length=1, max_length=128)]) -> TriggerView:
    view = trigger_admin().get(trigger_id)
    trigger_pauses().resume(trigger_id, clock.now())
    return with_pause(view)


@router.get(
    "/triggers/<trigger_id>/results",
    tags=["triggers"],
    responses=responses(
        200,
        "A/B results per variant and the holdout for fires in [from, to] (default the last 7 days, at "
        "most 93): fires, leads, sends by channel, opens, clicks, and with goal the leads that performed "
        "it within the window after their first fire, with lift against the holdout",
        400,
        404,
    ),
)
def trigger_results(
    trigger_id: Annotated[str, Path(min_length=1, max_length=128)],
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    goal: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    within: DurationText = None,
) -> TriggerResultsView:
    return TriggerResults(delivery_admin(), wiring.event_store().lead_events).results(
        trigger_id, start, end, goal, within
    )
