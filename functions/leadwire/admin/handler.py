"""Admin API Lambda (IAM-authorised in AWS, open on loopback locally)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.admin.lead_events import EventsPage, events_page
from leadwire.api_errors import json_response, register_error_handlers
from leadwire.dal.event_store import EventStore
from leadwire.observability import logger, metrics
from leadwire.settings import admin_settings


@cache
def event_store() -> EventStore:
    return EventStore(boto3.client("dynamodb"), admin_settings().table_name)


app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response:
    problems = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body")),
            "message": e["msg"],
        }
        for e in error.errors()
    ]
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return json_response(400, {"error": {"code": "invalid_request", "message": message, "details": problems}})


@app.get("/leads/<lead_id>/events")
def get_lead_events(
    lead_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> EventsPage:
    return events_page(lead_id, event_store().lead_events(lead_id), limit=limit, cursor=cursor)


@app.get("/openapi.json")
def openapi_document() -> Response:
    return Response(status_code=200, content_type="application/json", body=app.get_openapi_json_schema())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
