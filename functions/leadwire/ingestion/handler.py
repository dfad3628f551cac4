"""Ingestion Lambda: the Segment HTTP Tracking API behind API Gateway (HTTP API, payload 2.0)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import clock
from leadwire.api_errors import json_response, register_error_handlers
from leadwire.container import cached
from leadwire.core.errors import InvalidRequest, LeadwireError, NotConfigured
from leadwire.core.onsite import VisitorIdError, visitor_id
from leadwire.dal.event_store import EventStore
from leadwire.dal.onsite_store import OnsiteStore
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.ingestion.onsite import ClosingSink, OnsiteMessages, script
from leadwire.ingestion.request import basic_auth_user, decode_body, endpoint_kind, parse_json_object
from leadwire.ingestion.service import IngestionService
from leadwire.observability import logger, metrics
from leadwire.privacy.known_suppressions import KnownSuppressions
from leadwire.privacy.suppression import SuppressingSink
from leadwire.settings import ingestion_settings

if TYPE_CHECKING:
    from leadwire.ingestion.unsubscribe import UnsubscribeService


@cached
def dynamodb() -> Any:
    return boto3.client("dynamodb")


@cached
def event_store() -> EventStore:
    settings = ingestion_settings()
    return EventStore(dynamodb(), settings.table_name, attempts=settings.write_attempts)


@cached
def onsite_store() -> OnsiteStore:
    return OnsiteStore(dynamodb(), ingestion_settings().table_name)


@cached
def stored_events() -> SuppressingSink:
    """The event store behind the suppression hook: events of erased leads are acknowledged,
    dropped and counted (``EventsSuppressed``)."""
    suppressions = KnownSuppressions(SuppressionStore(dynamodb(), ingestion_settings().table_name))
    return SuppressingSink(
        ClosingSink(event_store(), onsite_store()),  # clicks and dismissals close their message
        suppressions,
        lambda n: metrics.add_metric(name="EventsSuppressed", unit=MetricUnit.Count, value=n),
    )


@cached
def ingestion_service() -> IngestionService:
    """Built on first use (once per container): settings validated, one DynamoDB client."""
    return IngestionService(stored_events(), ingestion_settings().write_key_hashes)


@cached
def unsubscribe_service() -> UnsubscribeService:
    """Built when an unsubscribe link is first used: the cold start of tracking calls pays nothing
    for it (modules, secret). The secret is resolved per request through the resolver's cache."""
    from leadwire.actions.secrets import SecretError, SecretResolver
    from leadwire.ingestion.unsubscribe import UnsubscribeService

    ref = ingestion_settings().unsubscribe_secret_ref
    if not ref:
        raise NotConfigured("unsubscribe links are not configured (UNSUBSCRIBE_SECRET_REF is not set)")
    resolver = SecretResolver(lambda: boto3.client("ssm"), lambda: boto3.client("secretsmanager"))

    def secret() -> bytes:
        try:
            return resolver.resolve(ref).encode("utf-8")
        except SecretError as exc:
            raise NotConfigured(f"unsubscribe links are not configured: {exc}") from None

    return UnsubscribeService(stored_events(), secret)


# Browsers post from any site that embeds the snippet; the write key, not the origin, authorises.
# analytics.js (analytics-next fetch and batched dispatchers) sends Content-Type and
# `Authorization: Basic` on every call and `X-Retry-Count` on every retry: a preflight answer
# without one of them makes the browser drop the request, so every retry would be lost.
BROWSER_HEADERS = ["Content-Type", "Authorization", "Content-Encoding", "X-Retry-Count"]
app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", allow_headers=BROWSER_HEADERS, max_age=86400))


def _count_rejection(error: LeadwireError) -> None:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.info("request rejected", extra={"code": error.code, "status": error.status})


register_error_handlers(app, on_error=_count_rejection)


def _html(body: str) -> Response:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={"Cache-Control": "no-store"},
    )


@app.get("/v1/unsubscribe")
def unsubscribe_page() -> Response:
    """A page with a confirm button; changes nothing (mail scanners prefetch every link)."""
    from leadwire.ingestion.unsubscribe import confirm_page

    token = app.current_event.get_query_string_value("token")
    unsubscribe_service().check(token)
    return _html(confirm_page(str(token)))


@app.post("/v1/unsubscribe")  # a static route: matched before /v1/<endpoint>
def unsubscribe() -> Response:
    """RFC 8058 one-click (empty 200) or the confirm page's button (a page saying it is done)."""
    from leadwire.ingestion.unsubscribe import done_page, is_one_click

    event = app.current_event
    token = event.get_query_string_value("token")
    unsubscribe_service().unsubscribe(token, received_at=clock.now())
    metrics.add_metric(name="Unsubscribes", unit=MetricUnit.Count, value=1)
    if is_one_click(event.body or "", is_base64=bool(event.is_base64_encoded)):
        return Response(status_code=200, content_type="text/plain", body="")
    return _html(done_page())


@app.get("/v1/messages")
def onsite_messages() -> Response:
    """The visitor's on-site messages now. The write key may come as ``writeKey`` in the query: a
    script on a page sends a simple GET (no preflight) without an Authorization header."""
    event = app.current_event
    query = event.get_query_string_value
    key = basic_auth_user(event.headers or {})
    source = ingestion_service().authenticate(key, {"writeKey": query("writeKey")})
    try:
        visitor = visitor_id(query("userId"), query("anonymousId"))
    except VisitorIdError as exc:
        raise InvalidRequest(str(exc), {"field": exc.field}) from None
    logger.append_keys(source=source, endpoint="messages")
    body = OnsiteMessages(onsite_store()).for_visitor(visitor, clock.now())
    metrics.add_metric(name="OnsiteMessagesServed", unit=MetricUnit.Count, value=len(body["messages"]))
    response = json_response(200, body)
    response.headers["Cache-Control"] = "no-store"
    return response


@app.get("/v1/leadwire.js")
def onsite_script() -> Response:
    return Response(
        status_code=200,
        content_type="application/javascript; charset=utf-8",
        body=script(),
        headers={"Cache-Control": "public, max-age=300"},
    )


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
