"""The demo's last part: what a marketer looks at, through the segment-insight endpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadwire.local.records_cli import render as render_results
from leadwire.local.segments_cli import render

TREND_SEGMENT = "hot-leads"
CHANGED_DEFINITION = {
    "id": TREND_SEGMENT,
    "name": "Hot Leads (at 40)",
    "condition": {"score": {"gte": 40}},
    "exit_when": {"score": {"lt": 35}},
}

Call = Callable[..., Any]


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def report_insight(call: Call, start: datetime, end: datetime) -> list[str]:
    """The segment table, one segment's weekly trend with top events and a conversion rate, one
    explanation and one preview of a changed definition."""
    lines = ["", "Segments, as a marketer sees them (GET /segments):"]
    lines.append(_indent(render("list", call("GET", "/segments"))))
    query = (
        f"from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        "&interval=P7D&conversion_event=demo_requested&conversion_within=P14D"
    )
    analytics = call("GET", f"/segments/{TREND_SEGMENT}/analytics?{query}")
    lines += ["", f"{TREND_SEGMENT} over the {(end - start).days} days, week by week (GET .../analytics):"]
    lines.append(_indent(render("analytics", analytics)))
    members = call("GET", f"/segments/{TREND_SEGMENT}/members?limit=1")["members"]
    if members:
        lead = members[0]["leadId"]
        lines += ["", f"Why {lead} is in {TREND_SEGMENT} (GET .../explain/{lead}):"]
        lines.append(_indent(render("explain", call("GET", f"/segments/{TREND_SEGMENT}/explain/{lead}"))))
    preview = call("POST", "/segments/preview", {"segment": CHANGED_DEFINITION, "since": "P30D"})
    lines += [
        "",
        f"Preview: {TREND_SEGMENT} at score 40 instead of 50, last 30 days (POST /segments/preview):",
    ]
    lines.append(_indent(render("preview", preview)))
    window = f"from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    results = call("GET", f"/triggers/cart-abandonment/results?{window}&goal=purchase&within=P7D")
    lines += [
        "",
        "The cart reminder's variants, bought within 7 days (GET /triggers/cart-abandonment/results):",
    ]
    lines.append(_indent(render_results("triggers", "results", results)))
    return lines
