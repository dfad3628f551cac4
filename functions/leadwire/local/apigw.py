"""HTTP requests to API Gateway HTTP API (payload format 2.0) events, and responses back."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def _is_text(headers: dict[str, str]) -> bool:
    if headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return False
    content_type = headers.get("content-type", "text/plain").lower()
    return content_type.startswith(_TEXT_TYPES)


def to_http_api_event(
    method: str,
    raw_path: str,
    query: str,
    header_pairs: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in header_pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    text = _is_text(headers)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": not text,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        event["body"] = body.decode("utf-8", errors="replace") if text else base64.b64encode(body).decode()
    return event


def from_http_api_response(response: dict[str, Any]) -> HttpResponse:
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
    headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    return HttpResponse(status=int(response.get("statusCode", 200)), headers=headers, body=raw)
