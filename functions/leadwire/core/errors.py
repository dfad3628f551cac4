"""Domain errors that the API layer maps to HTTP statuses in one place (``api_errors``)."""

from __future__ import annotations

from typing import Any


class LeadwireError(Exception):
    """Base class: a stable machine-readable ``code``, a human message, optional details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        # The top-level code and message are for rudder-sdk-python, which reads ``payload["code"]``
        # to decide that a 4xx is final; without them it resends a bad request eleven times.
        return {
            "error": {"code": self.code, "message": self.message, "details": self.details},
            "code": self.code,
            "message": self.message,
        }


class InvalidJson(LeadwireError):
    code = "invalid_json"


class InvalidRequest(LeadwireError):
    code = "invalid_request"


class InvalidEvent(LeadwireError):
    code = "invalid_event"


class Unauthorized(LeadwireError):
    status = 401
    code = "unauthorized"


class NotFound(LeadwireError):
    status = 404
    code = "not_found"


class PayloadTooLarge(LeadwireError):
    status = 413
    code = "payload_too_large"


class StorageUnavailable(LeadwireError):
    """Accepted events could not all be written: the client must resend (dedupe makes it safe)."""

    status = 503
    code = "storage_unavailable"


class NotConfigured(LeadwireError):
    """A feature this deployment has not been set up for (e.g. no unsubscribe secret)."""

    status = 503
    code = "not_configured"
