"""Domain errors to HTTP responses, in one place for every API."""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from leadwire.core.errors import LeadwireError, NotFound


def json_response(status: int, body: object) -> Response:
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(body, separators=(",", ":"))
    )


def error_response(error: LeadwireError) -> Response:
    return json_response(error.status, error.to_body())


def register_error_handlers(
    app: ApiGatewayResolver, on_error: Callable[[LeadwireError], None] | None = None
) -> None:
    @app.exception_handler(LeadwireError)
    def _domain_error(error: LeadwireError) -> Response:
        if on_error is not None:
            on_error(error)
        return error_response(error)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        path = app.current_event.path
        return error_response(
            NotFound(f"no route for {app.current_event.http_method} {path}", {"path": path})
        )
