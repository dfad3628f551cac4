"""A small client of the admin API for the ``leadwire`` commands (``segments``, ``jobs``).

``leadwire local`` serves the API on 127.0.0.1 without authentication; a deployed stack's API is
IAM-authorised, which ``leadwire console --stack NAME`` signs on a loopback address: point
``--url`` at either.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8787"


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}")


def call_api(
    url: str, method: str, path: str, query: dict[str, str | None] | None = None, body: Any = None
) -> Any:
    params = {key: value for key, value in (query or {}).items() if value is not None}
    target = url.rstrip("/") + path + ("?" + urllib.parse.urlencode(params) if params else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        target, data=data, method=method, headers={"content-type": "application/json"}
    )
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
