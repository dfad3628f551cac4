"""``leadwire segments apply FILE [--confirm]``: store each segment of a YAML or JSON file.

The file holds one segment, a list of segments, or ``{segments: [...]}`` (a config file). Each
segment is PUT to ``/segments/{id}`` (POSTed when the API does not know it yet); a change the
API holds for confirmation (409 ``confirmation_required``) prints its preview, and ``--confirm``
applies it. One refused segment does not stop the others; the exit code is 1 if any was refused.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from leadwire.config_loader import ConfigError, _read
from leadwire.local.admin_client import ApiError, call_api

CONFIRMATION_REQUIRED = "confirmation_required"


def segments_in(path: Path) -> list[dict[str, Any]]:
    """The segments a file holds; ``ConfigError`` naming the file when it holds none."""
    content = _read(path)
    if isinstance(content, dict) and "segments" in content:
        content = content["segments"]
    segments = content if isinstance(content, list) else [content]
    if not segments or not all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in segments):
        raise ConfigError(
            f"{path.name}: expected a segment, a list of segments or {{segments: [...]}}, each with an id"
        )
    return segments


def preview_lines(details: dict[str, Any]) -> list[str]:
    sample = details.get("sample") or {}
    return [
        f"  would flip {details['flips']} of {details['leads']} leads ({details['share']:.1%}, "
        f"threshold {details['threshold']:.0%}): {details['entering']} enter, {details['exiting']} exit",
        f"  members {details['membersBefore']} -> {details['membersAfter']}",
        f"  entering e.g. {', '.join(sample.get('entering') or []) or '-'}",
        f"  exiting e.g. {', '.join(sample.get('exiting') or []) or '-'}",
        "  run again with --confirm to apply",
    ]


def apply_one(url: str, segment: dict[str, Any], confirm: bool) -> tuple[str | None, list[str]]:
    """(the re-evaluation job's id when applied, else None; lines to print) for one segment."""
    segment_id = segment["id"]
    query: dict[str, str | None] = {"confirm": "true" if confirm else None}
    try:
        try:
            body = call_api(
                url, "PUT", f"/segments/{urllib.parse.quote(segment_id, safe='')}", query, segment
            )
            verb = "replaced"
        except ApiError as error:
            if error.status != 404:
                raise
            body = call_api(url, "POST", "/segments", query, segment)
            verb = "created"
    except ApiError as error:
        detail = (error.body or {}).get("error") or {}
        head = f"{segment_id}: refused ({error.status} {detail.get('code')}): {detail.get('message')}"
        if detail.get("code") == CONFIRMATION_REQUIRED:
            return None, [f"{segment_id}: needs confirmation", *preview_lines(detail["details"])]
        return None, [head]
    job = str(body["job"]["jobId"])
    return job, [
        f"{segment_id}: {verb}, version {body['version']}; re-evaluation job {job} "
        f"(leadwire jobs show {job}, GET /jobs/{job})"
    ]


def apply_file(url: str, path: Path, confirm: bool) -> tuple[int, list[str]]:
    """(exit code, lines): 0 when every segment was applied, 1 when any was refused."""
    lines: list[str] = []
    refused = 0
    for segment in segments_in(path):
        job, said = apply_one(url, segment, confirm)
        refused += job is None
        lines += said
    return (1 if refused else 0), lines
