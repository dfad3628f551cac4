"""The all-in cost of processing events, from what a run used and AWS's on-demand prices.

Prices (us-east-1, published on the services' pricing pages; DESIGN.md quotes the first ones):
DynamoDB on-demand writes and reads; Lambda requests and GB-seconds on arm64 (the stack's
architecture); API Gateway HTTP API requests, billed per 512 KB of request; Step Functions
Standard state transitions; EventBridge custom events, billed per 64 KB. Email (SES) is reported
on its own, outside the total, because it is what the customer chose to send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from leadwire.core.capacity import USD_PER_MILLION_READ_UNITS, USD_PER_MILLION_WRITE_UNITS

USD_PER_MILLION_LAMBDA_REQUESTS: Final = 0.20
USD_PER_GB_SECOND_ARM64: Final = 0.0000133334
USD_PER_MILLION_HTTP_API_REQUESTS: Final = 1.00
HTTP_API_BILLING_BYTES: Final = 512 * 1024
USD_PER_MILLION_STATE_TRANSITIONS: Final = 25.0
USD_PER_MILLION_BUS_EVENTS: Final = 1.00
USD_PER_THOUSAND_EMAILS: Final = 0.10


@dataclass(frozen=True)
class FunctionRun:
    invocations: int
    seconds: float
    memory_mb: int


@dataclass(frozen=True)
class Usage:
    write_units: float
    read_units: float
    functions: dict[str, FunctionRun]
    api_request_bytes: list[int]
    state_transitions: int
    bus_events: int
    emails: int


def cost_parts(usage: Usage) -> dict[str, float]:
    """USD per part for the whole run."""
    lambda_requests = sum(f.invocations for f in usage.functions.values())
    gb_seconds = sum(f.seconds * f.memory_mb / 1024 for f in usage.functions.values())
    api_requests = sum(max(1, math.ceil(size / HTTP_API_BILLING_BYTES)) for size in usage.api_request_bytes)
    return {
        "dynamodb": (
            usage.write_units * USD_PER_MILLION_WRITE_UNITS + usage.read_units * USD_PER_MILLION_READ_UNITS
        )
        / 1e6,
        "lambda_requests": lambda_requests * USD_PER_MILLION_LAMBDA_REQUESTS / 1e6,
        "lambda_gb_seconds": gb_seconds * USD_PER_GB_SECOND_ARM64,
        "api_gateway": api_requests * USD_PER_MILLION_HTTP_API_REQUESTS / 1e6,
        "step_functions": usage.state_transitions * USD_PER_MILLION_STATE_TRANSITIONS / 1e6,
        "eventbridge": usage.bus_events * USD_PER_MILLION_BUS_EVENTS / 1e6,
    }


def email_usd(usage: Usage) -> float:
    return usage.emails * USD_PER_THOUSAND_EMAILS / 1e3
