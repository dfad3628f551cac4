"""A small client of the admin API for the ``leadwire`` commands (``segments``, ``jobs``).

``leadwire local`` serves the API on 127.0.0.1 without authentication (``--url``); a deployed
stack's API is IAM-authorised: ``--stack NAME`` finds its ``ApiUrl`` output and signs every call
with SigV4 and the caller's AWS credentials, as ``leadwire console --stack`` does.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8787"


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}")


Signer = Callable[[str, str, bytes, Mapping[str, str]], dict[str, str]]  # method, url, body, headers


@dataclass(frozen=True)
class Endpoint:
    """A deployed stack's admin API and how to sign for it."""

    url: str
    sign: Signer

    def __str__(self) -> str:
        return self.url


def stack_endpoint(stack: str, region: str | None) -> Endpoint:
    """The admin API of the deployed stack ``stack``, signed with the caller's AWS credentials."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leadwire.console.proxy import signed_headers, upstream_of_stack

    session = boto3.Session(region_name=region)
    credentials = session.get_credentials()
    if credentials is None:
        raise LookupError("no AWS credentials found (configure a profile or SSO login)")
    try:
        upstream = upstream_of_stack(session.client("cloudformation"), stack, session.region_name)
    except (BotoCoreError, ClientError) as error:
        raise LookupError(f"stack {stack}: {error}") from None

    def sign(method: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        return signed_headers(
            credentials.get_frozen_credentials(), upstream.region, method, url, body, headers
        )

    return Endpoint(upstream.url, sign)


def call_api(
    url: str | Endpoint,
    method: str,
    path: str,
    query: dict[str, str | None] | None = None,
    body: Any = None,
) -> Any:
    params = {key: value for key, value in (query or {}).items() if value is not None}
    target = str(url).rstrip("/") + path + ("?" + urllib.parse.urlencode(params) if params else "")
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if isinstance(url, Endpoint):
        headers = url.sign(method, target, data or b"", headers)
    request = urllib.request.Request(target, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise ApiError(error.code, json.loads(error.read() or b"null")) from None


def text_table(rows: list[list[Any]], headers: list[str]) -> str:
    """Columns padded to their widest cell: what the commands print for people."""
    cells = [headers, *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def add_target_arguments(parser: Any) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help="the admin API of leadwire local")
    parser.add_argument("--stack", help="a deployed stack's name: calls its API, signed with SigV4")
    parser.add_argument("--region", help="with --stack: AWS region (default: the AWS configuration's)")


def resolve_target(args: Any) -> None:
    """With ``--stack``, point ``args.url`` at the stack's signed endpoint."""
    if getattr(args, "stack", None) and not isinstance(args.url, Endpoint):  # once per command
        args.url = stack_endpoint(args.stack, args.region)


def run_request(name: str, args: Any, request: Callable[[], Any], render: Callable[[Any], str]) -> int:
    """One command's call and its exit code: 0 printed, 1 the API refused (its error printed), 2 the
    server could not be reached (or the stack found)."""
    import sys

    try:
        resolve_target(args)
        body = request()
    except ApiError as error:
        message = json.dumps(error.body, indent=2) if args.json else f"error {error.status}: {error.body}"
        print(message, file=sys.stderr)  # noqa: T201 (a command's output)
        return 1
    except (urllib.error.URLError, OSError, LookupError) as error:
        print(f"leadwire {name}: cannot reach {args.url}: {error}", file=sys.stderr)  # noqa: T201
        return 2
    print(json.dumps(body, indent=2) if args.json else render(body))  # noqa: T201
    return 0
