"""Serving the console's files: ``/console/`` and below, from this package only.

Chart.js is copied into ``static/vendor/`` by ``make setup`` (from the version pinned in
``tools/package-lock.json``); a checkout where that copy is missing reads it from
``tools/node_modules`` instead. Nothing is fetched from a CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PREFIX = "/console"
STATIC_DIR = Path(__file__).resolve().parent / "static"
CHART_JS = "vendor/chart.umd.js"
CHART_JS_IN_TOOLS = Path(__file__).resolve().parents[3] / "tools/node_modules/chart.js/dist/chart.umd.js"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
# The console calls only its own origin; nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


@dataclass(frozen=True)
class StaticResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _not_found(path: str) -> StaticResponse:
    return StaticResponse(404, {"content-type": "text/plain; charset=utf-8"}, f"no file {path}\n".encode())


def _file_for(relative: str) -> Path | None:
    candidate = (STATIC_DIR / relative).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        if relative == CHART_JS and CHART_JS_IN_TOOLS.is_file():
            return CHART_JS_IN_TOOLS
        return None
    return candidate


def console_response(method: str, path: str) -> StaticResponse:
    """The answer to ``method path`` for a path under ``/console``."""
    if method not in ("GET", "HEAD"):
        return StaticResponse(405, {"allow": "GET, HEAD", "content-type": "text/plain"}, b"read only\n")
    if path == PREFIX:
        return StaticResponse(302, {"location": PREFIX + "/"}, b"")
    relative = path.removeprefix(PREFIX + "/") or "index.html"
    file = _file_for(relative)
    if file is None:
        return _not_found(path)
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    return StaticResponse(200, {"content-type": content_type, **SECURITY_HEADERS}, file.read_bytes())
