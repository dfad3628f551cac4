"""What the admin API documents and answers beyond its models: error responses, 400 not 422.

Request validation (a body or parameter of the wrong shape) answers 400; 422 is kept for a
definition that parses but that the engine refuses (a trigger on an unknown segment), on the
routes marked ``UNPROCESSABLE``.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from leadwire.admin.models import ErrorBody

_ERRORS = {
    400: "Invalid input; the error names the field, or each problem of a definition with its path",
    404: "Unknown id",
    409: "Conflict: the id exists, the version is stale, or other segments or triggers use the segment; "
    "on a segment change, confirmation_required: it would flip more than the configured share of leads "
    "(details: leads, flips, share, threshold, membersBefore, membersAfter, entering, exiting, sample); "
    "repeat with confirm=true to apply",
    422: "Invalid definition: each problem with its path inside the definition",
}
_OWN_422 = "x-leadwire-422"
UNPROCESSABLE: dict[str, Any] = {_OWN_422: True}
"""``openapi_extensions`` of a route that answers 422 itself (Powertools documents 422 on every
route as its request validation, which this API answers 400)."""


def responses(status: int, description: str, *errors: int) -> dict[int, OpenAPIResponse]:
    """The success response (its schema from the return annotation) and the errors a route gives."""
    documented: dict[int, OpenAPIResponse] = {status: {"description": description}}
    for code in errors:
        if code == 422:
            continue  # Powertools overwrites it; ``as_served`` documents it for UNPROCESSABLE routes
        documented[code] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return documented


def invalid_request_body(error: RequestValidationError) -> dict[str, Any]:
    """A request that fails its models, as this API's error body naming each field."""
    problems = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body")),
            "message": e["msg"],
        }
        for e in error.errors()
    ]
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return {"error": {"code": "invalid_request", "message": message, "details": problems}}


def as_served(openapi_json: str) -> str:
    """The document Powertools generates, corrected to what the API answers:

    - request validation is documented as 422 by Powertools; this API answers 400 (422 only on
      the UNPROCESSABLE routes, for a definition the engine refuses);
    - every operation that takes a parameter or a body documents that 400 (a path id too long, a
      limit out of range), also on GET and DELETE;
    - a 204 has no body, so it documents no content (Powertools gives it the JSON of ``None``).
    """
    document = json.loads(openapi_json)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            documented = operation.setdefault("responses", {})
            documented.pop("422", None)
            if operation.pop(_OWN_422, False):
                documented["422"] = {"description": _ERRORS[422], "content": error_content}
            if (operation.get("parameters") or operation.get("requestBody")) and "400" not in documented:
                documented["400"] = {"description": _ERRORS[400], "content": error_content}
            if "204" in documented:
                documented["204"].pop("content", None)
    return json.dumps(document)
