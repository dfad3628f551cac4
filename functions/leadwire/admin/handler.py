"""Admin API Lambda (IAM-authorised in AWS, open on loopback locally): routes only.

Each route parses into a model, makes one call into ``segments``, ``triggers``, ``leads`` or
``deliveries``, and returns a model; domain errors become
``{"error": {"code", "message", "details"}}`` in ``api_errors``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import wiring
from leadwire.admin import insight_routes
from leadwire.admin.accounts import AccountView
from leadwire.admin.deliveries import parse_instant
from leadwire.admin.insight_models import SegmentSummaryList
from leadwire.admin.lead_events import EventsPage
from leadwire.admin.models import (
    DeliveriesPage,
    HistoryPage,
    JobView,
    LeadView,
    MembersPage,
    NewJob,
    NewSegment,
    NewTrigger,
    SegmentChange,
    SegmentDefinition,
    SegmentView,
    TriggerDefinition,
    TriggerList,
    TriggerView,
)
from leadwire.admin.openapi import UNPROCESSABLE, as_served, invalid_request_body, responses
from leadwire.admin.resolver import DecodingHttpResolver
from leadwire.admin.wiring import (
    account_admin,
    delivery_admin,
    launch_job,
    lead_admin,
    segment_admin,
    segment_insight,
    trigger_admin,
)
from leadwire.api_errors import json_response, register_error_handlers
from leadwire.core.errors import NotFound
from leadwire.core.jobs import JobNotFound
from leadwire.observability import logger, metrics
from leadwire.privacy import wiring as privacy
from leadwire.privacy.models import ErasureView, ExportDocument, UnsuppressView

SegmentId = Annotated[str, Path(min_length=1, max_length=128)]
TriggerId = Annotated[str, Path(min_length=1, max_length=128)]
LeadId = Annotated[str, Path(min_length=1, max_length=256)]
AccountId = Annotated[str, Path(min_length=1, max_length=256)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=1024)]
Confirm = Annotated[
    bool, Query(description="Apply even if the change flips more than the configured share of leads")
]
JOB_HEADER = "X-Leadwire-Job"
DEFAULT_JOB_REASONS = {
    "migrate": "items migrated to the current shapes",
    "reevaluate": "started by an operator",
}


app = DecodingHttpResolver(enable_validation=True)
register_error_handlers(app)
app.include_router(insight_routes.router)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response:
    return json_response(400, invalid_request_body(error))


# -- segments ----------------------------------------------------------------------------------
@app.get("/segments", tags=["segments"], responses=responses(200, "Every live segment, with its size"))
def list_segments() -> SegmentSummaryList:
    return SegmentSummaryList(segments=segment_insight().summaries(segment_admin().list()))


@app.post(
    "/segments",
    tags=["segments"],
    status_code=201,
    responses=responses(201, "Created; the job re-evaluates every lead", 400, 409),
)
def create_segment(segment: Annotated[NewSegment, Body()], confirm: Confirm = False) -> SegmentChange:
    return segment_admin().create(segment.document(), confirm=confirm)


@app.get("/segments/<segment_id>", tags=["segments"], responses=responses(200, "The segment", 404))
def get_segment(segment_id: SegmentId) -> SegmentView:
    return segment_admin().get(segment_id)


@app.put(
    "/segments/<segment_id>",
    tags=["segments"],
    responses=responses(200, "Replaced; the job re-evaluates every lead", 400, 404, 409),
)
def replace_segment(
    segment_id: SegmentId, segment: Annotated[SegmentDefinition, Body()], confirm: Confirm = False
) -> SegmentChange:
    return segment_admin().replace(segment_id, segment.document(), segment.version, confirm=confirm)


@app.delete(
    "/segments/<segment_id>",
    tags=["segments"],
    responses=responses(204, f"Deleted; members exit as the job in {JOB_HEADER} runs", 404, 409),
)
def delete_segment(segment_id: SegmentId) -> Response[None]:
    job = segment_admin().delete(segment_id)
    return Response(status_code=204, body=None, headers={JOB_HEADER: job.job_id})


@app.get(
    "/segments/<segment_id>/members",
    tags=["segments"],
    responses=responses(
        200, "A page of members; pass cursor for the next. With asOf: every member at that instant", 400, 404
    ),
)
def list_members(
    segment_id: SegmentId,
    limit: Limit = 100,
    cursor: Cursor = None,
    as_of: Annotated[str | None, Query(alias="asOf", max_length=64)] = None,
) -> MembersPage:
    segment_admin().get(segment_id)
    if as_of is not None:
        return segment_insight().members_as_of(segment_id, parse_instant(as_of, "asOf"))
    return lead_admin().members(segment_id, limit=limit, cursor=cursor)


# -- accounts ----------------------------------------------------------------------------------
@app.get(
    "/accounts/<account_id>",
    tags=["accounts"],
    responses=responses(200, "The account and a page of its leads; pass leadsCursor as cursor", 400, 404),
)
def get_account(account_id: AccountId, limit: Limit = 100, cursor: Cursor = None) -> AccountView:
    return account_admin().account(account_id, limit, cursor)


@app.get(
    "/accounts/<account_id>/history",
    tags=["accounts"],
    responses=responses(200, "The account's account-segment membership intervals", 400, 404),
)
def account_history(account_id: AccountId) -> HistoryPage:
    return account_admin().history(account_id)


# -- triggers ----------------------------------------------------------------------------------
@app.get("/triggers", tags=["triggers"], responses=responses(200, "Every live trigger"))
def list_triggers() -> TriggerList:
    return TriggerList(triggers=trigger_admin().list())


@app.post(
    "/triggers",
    tags=["triggers"],
    status_code=201,
    responses=responses(201, "Created", 400, 409, 422),
    openapi_extensions=UNPROCESSABLE,
)
def create_trigger(trigger: Annotated[NewTrigger, Body()]) -> TriggerView:
    return trigger_admin().create(trigger.document())


@app.get(
    "/triggers/<trigger_id>",
    tags=["triggers"],
    responses=responses(200, "The trigger; with paused {reason, at} while a segment spike holds it", 404),
)
def get_trigger(trigger_id: TriggerId) -> TriggerView:
    return insight_routes.with_pause(trigger_admin().get(trigger_id))


@app.put(
    "/triggers/<trigger_id>",
    tags=["triggers"],
    responses=responses(200, "Replaced", 400, 404, 409, 422),
    openapi_extensions=UNPROCESSABLE,
)
def replace_trigger(trigger_id: TriggerId, trigger: Annotated[TriggerDefinition, Body()]) -> TriggerView:
    return trigger_admin().replace(trigger_id, trigger.document(), trigger.version)


@app.delete(
    "/triggers/<trigger_id>",
    tags=["triggers"],
    responses=responses(204, "Deleted (a config trigger stays deleted: a tombstone)", 404, 409),
)
def delete_trigger(trigger_id: TriggerId) -> Response[None]:
    trigger_admin().delete(trigger_id)
    return Response(status_code=204, body=None)


@app.get(
    "/triggers/<trigger_id>/deliveries",
    tags=["triggers"],
    responses=responses(
        200,
        "The trigger's deliveries fired in [from, to] (default: the last 7 days), newest first; with "
        "a status filter a page may be short: continue while cursor is not null",
        400,
        404,
    ),
)
def list_trigger_deliveries(
    trigger_id: TriggerId,
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=256, description="Comma-separated statuses")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> DeliveriesPage:
    return delivery_admin().for_trigger(
        trigger_id, start=start, end=end, status=status, limit=limit, cursor=cursor
    )


# -- leads -------------------------------------------------------------------------------------
@app.get("/leads/<lead_id>", tags=["leads"], responses=responses(200, "The lead, merges resolved", 404))
def get_lead(lead_id: LeadId) -> LeadView:
    return lead_admin().lead(lead_id)


@app.get(
    "/leads/<lead_id>/events",
    tags=["leads"],
    responses=responses(200, "The lead's and its aliases' events, oldest first", 400, 404),
)
def get_lead_events(lead_id: LeadId, limit: Limit = 100, cursor: Cursor = None) -> EventsPage:
    return lead_admin().events(lead_id, limit=limit, cursor=cursor)


@app.get(
    "/leads/<lead_id>/history",
    tags=["leads"],
    responses=responses(200, "Membership intervals of the lead and its aliases", 404),
)
def get_lead_history(lead_id: LeadId) -> HistoryPage:
    return lead_admin().history(lead_id)


@app.get(
    "/leads/<lead_id>/deliveries",
    tags=["leads"],
    responses=responses(200, "The lead's and its aliases' deliveries, newest fire first", 400, 404),
)
def get_lead_deliveries(lead_id: LeadId, limit: Limit = 100, cursor: Cursor = None) -> DeliveriesPage:
    return delivery_admin().for_lead(lead_id, limit=limit, cursor=cursor)


# -- privacy (leadwire.privacy) ----------------------------------------------------------------
@app.get(
    "/leads/<lead_id>/export",
    tags=["privacy"],
    responses=responses(200, "Everything stored about the lead and its merged ids", 400, 404),
)
def export_lead(lead_id: LeadId) -> ExportDocument:
    return privacy.lead_exporter().export(lead_id)


@app.delete(
    "/leads/<lead_id>",
    tags=["privacy"],
    responses=responses(
        200, "Erased, with its merged ids; the ids are suppressed until unsuppressed", 400, 404
    ),
)
def erase_lead(lead_id: LeadId) -> ErasureView:
    erasure = privacy.lead_eraser().erase(lead_id)
    metrics.add_metric(name="LeadsErased", unit=MetricUnit.Count, value=1)
    return ErasureView(
        lead_id=erasure.lead_id,
        status="erased",
        ids=erasure.ids,
        erased=erasure.counts,
        job=JobView.of(erasure.job),
    )


@app.post(
    "/leads/<lead_id>/unsuppress",
    tags=["privacy"],
    responses=responses(200, "Events for the id (and the ids erased with it) are accepted again", 400, 404),
)
def unsuppress_lead(lead_id: LeadId) -> UnsuppressView:
    lifted = wiring.suppression_store().unsuppress(lead_id)
    if lifted is None:
        raise NotFound(f"{lead_id!r} is not suppressed", {"leadId": lead_id})
    return UnsuppressView(lead_id=lead_id, unsuppressed=lifted.ids, dropped_events=lifted.dropped_events)


# -- jobs --------------------------------------------------------------------------------------
@app.post(
    "/jobs",
    tags=["jobs"],
    responses=responses(202, "Started; follow it at GET /jobs/{jobId}", 400),
)
def create_job(job: Annotated[NewJob, Body()]) -> Response[JobView]:
    reason = job.reason or DEFAULT_JOB_REASONS[job.kind]
    started = launch_job(reason, kind=job.kind)
    return Response(status_code=202, body=JobView.of(started), content_type="application/json")


@app.get("/jobs/<job_id>", tags=["jobs"], responses=responses(200, "The job's progress", 404))
def get_job(job_id: Annotated[str, Path(min_length=1, max_length=128)]) -> JobView:
    job = wiring.job_store().get(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}", {"jobId": job_id})
    return JobView.of(job)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=as_served(
            app.get_openapi_json_schema(
                title="Leadwire admin API",
                version="0.1.0",
                description="Segments, members, triggers, leads, history, deliveries, export and "
                "erasure, and jobs (IAM-authorised in AWS).",
            )
        ),
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="AdminRequests", unit=MetricUnit.Count, value=1)
    if _form_body(event):
        return _FORM_REFUSED
    return app.resolve(event, context)


def _form_body(event: dict[str, Any]) -> bool:
    """Bodies are JSON. Powertools parses a form body as a form before any route runs (and a
    multipart type without a boundary made that a 500), so a form is refused first."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    return (
        headers.get("content-type", "")
        .lower()
        .startswith(("multipart/", "application/x-www-form-urlencoded"))
    )


_FORM_REFUSED: dict[str, Any] = {
    "statusCode": 400,
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps(
        {
            "error": {
                "code": "invalid_request",
                "message": "content-type: send the body as application/json",
                "details": {"field": "content-type"},
            }
        }
    ),
    "isBase64Encoded": False,
}
