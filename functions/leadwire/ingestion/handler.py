"""Ingestion Lambda: the Segment HTTP Tracking API behind API Gateway (HTTP API, payload 2.0)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import clock
from leadwire.api_errors import json_response, register_error_handlers
from leadwire.core.errors import LeadwireError
from leadwire.dal.event_store import EventStore
from leadwire.ingestion.request import basic_auth_user, decode_body, endpoint_kind, parse_json_object
from leadwire.ingestion.service import IngestionService
from leadwire.observability import logger, metrics
from leadwire.settings import ingestion_settings


@cache
def ingestion_service() -> IngestionService:
    """Built on first use (once per container): settings validated, one DynamoDB client."""
    settings = ingestion_settings()
    store = EventStore(boto3.client("dynamodb"), settings.table_name, attempts=settings.write_attempts)
    return IngestionService(store, settings.write_key_hashes)


# Browsers post from any site that embeds the snippet; the write key, not the origin, authorises.
app = APIGatewayHttpResolver(
    cors=CORSConfig(
        allow_origin="*", allow_headers=["Content-Type", "Authorization", "Content-Encoding"], max_age=86400
    )
)


def _count_rejection(error: LeadwireError) -> None:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.info("request rejected", extra={"code": error.code, "status": error.status})


register_error_handlers(app, on_error=_count_rejection)


@app.post("/v1/<endpoint>")
def ingest(endpoint: str) -> Response:
    if endpoint == "m":  # analytics-next's own telemetry: acknowledged, not stored
        return json_response(200, {"success": True})
    kind = endpoint_kind(endpoint)
    event = app.current_event
    headers = event.headers or {}
    raw = decode_body(
        event.body, is_base64=bool(event.is_base64_encoded), content_encoding=headers.get("content-encoding")
    )
    body = parse_json_object(raw)
    service = ingestion_service()
    source = service.authenticate(basic_auth_user(headers), body)
    logger.append_keys(source=source, endpoint=kind)
    result = service.ingest(kind, body, source, received_at=clock.now())
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=result.accepted)
    if result.rejected:
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=len(result.rejected))
        logger.info("events rejected", extra={"rejected": len(result.rejected), "accepted": result.accepted})
    return json_response(200, result.to_body())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
