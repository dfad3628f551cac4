"""The demo's safe-change scene: the previewed Hot Leads change applied as ``leadwire segments
apply`` would, held for confirmation, then confirmed, and its re-evaluation job as
``leadwire jobs show`` prints it.

The demo's 41 leads are far below the default floor (50 flips), so the demo asks above 5% and
2 flips (``DEMO_THRESHOLDS``, set before the admin settings are first read; the environment wins).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from typing import Any

from leadwire.local.demo.insight import CHANGED_DEFINITION
from leadwire.local.jobs_cli import render
from leadwire.local.segments_apply import apply_one

DEMO_THRESHOLDS = {"CONFIRM_FLIP_SHARE": "0.05", "CONFIRM_MIN_FLIPS": "2"}

Call = Callable[..., Any]


def use_demo_thresholds() -> None:
    for name, value in DEMO_THRESHOLDS.items():
        os.environ.setdefault(name, value)


def safe_change_scene(url: str, call: Call) -> list[str]:
    lines = [
        "",
        f"Applying that change (leadwire segments apply; the demo asks above "
        f"{float(os.environ['CONFIRM_FLIP_SHARE']):.0%} and {os.environ['CONFIRM_MIN_FLIPS']} flips):",
    ]
    job_id, said = apply_one(url, dict(CHANGED_DEFINITION), confirm=False)
    lines += ["  " + line for line in said]
    if job_id is None:
        job_id, said = apply_one(url, dict(CHANGED_DEFINITION), confirm=True)
        lines += ["  with --confirm:"] + ["    " + line for line in said]
    if job_id is not None:
        call("POST", "/_local/drain")
        lines.append("  " + render(call("GET", f"/jobs/{urllib.parse.quote(job_id, safe='')}")))
    return lines
