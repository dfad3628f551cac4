"""``leadwire segments ...`` and ``leadwire preview-bench``: segment insight for people, not curl.

Talks to the admin API of ``leadwire local`` (``--url``, default http://127.0.0.1:8787): tables for
people, ``--json`` for scripts. Exit 0 on success, 1 when the API refused the request (its error
is printed), 2 when the server cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from leadwire.local.admin_client import (
    ApiError,
    add_target_arguments,
    call_api,
    resolve_target,
    run_request,
    text_table,
)
from leadwire.local.jobs_cli import follow


def add_commands(commands: Any) -> None:
    segments = commands.add_parser("segments", help="segment sizes, analytics, explain, preview, snapshot")
    add_target_arguments(segments)
    segments.add_argument("--json", action="store_true", help="print the API's JSON")
    verbs = segments.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="every segment with members, share of leads and size warning")
    show = verbs.add_parser("show", help="one segment's definition")
    show.add_argument("segment")
    members = verbs.add_parser("members", help="members now, or as of an instant")
    members.add_argument("segment")
    members.add_argument("--as-of")
    analytics = verbs.add_parser("analytics", help="size, trend, average score, top events, conversion")
    analytics.add_argument("segment")
    for flag in ("--from", "--to", "--interval", "--conversion-event", "--conversion-within"):
        analytics.add_argument(flag)
    explain = verbs.add_parser("explain", help="why a lead is or is not a member, node by node")
    explain.add_argument("segment")
    explain.add_argument("lead")
    preview = verbs.add_parser("preview", help="replay stored events through a definition (a JSON file)")
    preview.add_argument("definition", help="a JSON file holding one segment definition")
    preview.add_argument("--since", default="P30D")
    preview.add_argument(
        "--mode",
        choices=("auto", "sync", "job"),
        default="auto",
        help="job: replay in the jobs function and wait for it (auto: when the history is large)",
    )
    apply = verbs.add_parser("apply", help="store each segment of a YAML or JSON file (PUT, or POST if new)")
    apply.add_argument("file", help="one segment, a list of segments or {segments: [...]}")
    apply.add_argument("--confirm", action="store_true", help="apply changes that flip many leads")
    snapshot = verbs.add_parser("snapshot", help="freeze the members into a new static segment")
    snapshot.add_argument("segment")
    snapshot.add_argument("--id", required=True)
    snapshot.add_argument("--name", required=True)
    snapshot.add_argument("--as-of")

    bench = commands.add_parser("preview-bench", help="time a 30-day segment preview over stored events")
    bench.add_argument("--events", type=int, default=100_000)
    bench.add_argument("--leads", type=int, default=5_000)
    bench.add_argument("--json", action="store_true")


def _explain_lines(node: dict[str, Any], depth: int = 0) -> list[str]:
    mark = "yes" if node["holds"] else "no "
    detail = ""
    if "value" in node:
        detail = f"  observed {json.dumps(node['value'])}  expected {json.dumps(node.get('expected'))}"
    lines = [f"{'  ' * depth}[{mark}] {node['node']}{detail}"]
    for child in node.get("children") or []:
        lines.extend(_explain_lines(child, depth + 1))
    return lines


def render(verb: str, body: Any) -> str:
    if verb == "list":
        rows = [
            [s["id"], s["name"], s["memberCount"], f"{s['shareOfLeads']:.1%}", s["sizeWarning"] or ""]
            for s in body["segments"]
        ]
        return text_table(rows, ["id", "name", "members", "share", "warning"])
    if verb == "members":
        return text_table([[m["leadId"], m["enteredAt"]] for m in body["members"]], ["lead", "entered"])
    if verb == "analytics":
        head = (
            f"{body['segmentId']} at {body['at']}: {body['memberCount']} members "
            f"({body['shareOfLeads']:.1%} of leads), average score {body['averageScore']}"
        )
        series = text_table(
            [
                [p["at"][:16], p["members"], p["entered"], p["exited"], p["averageScore"]]
                for p in body["series"]
            ],
            ["at", "members", "entered", "exited", "avg score"],
        )
        top = text_table(
            [[t["event"], t["count"], t["leads"]] for t in body["topEvents"]], ["event", "count", "leads"]
        )
        lines = [head, "", series, "", "Top events of the members:", top]
        conversion = body.get("conversion")
        if conversion:
            lines += [
                "",
                f"Conversion to {conversion['event']} within {conversion['within']}: "
                f"{conversion['converted']} of {conversion['entered']} ({conversion['rate']:.1%})",
            ]
        return "\n".join(lines)
    if verb == "explain":
        change = body.get("lastChange")
        last = f"{change['kind']} at {change['at']} ({change['cause']})" if change else "none"
        member, holds = ("yes" if body[key] else "no" for key in ("member", "holds"))
        head = f"{body['leadId']} in {body['segmentId']}: member {member}, condition holds {holds}"
        lines = [head, *_explain_lines(body["tree"])]
        if body.get("exitWhen"):
            lines += ["exit_when:", *_explain_lines(body["exitWhen"], 1)]
        return "\n".join([*lines, f"last change: {last}"])
    if verb == "preview":
        changed = [p for p in body["series"] if p["entered"] or p["exited"]]
        series = text_table(
            [[p["at"][:10], p["entered"], p["exited"]] for p in changed], ["day", "entered", "exited"]
        )
        head = (
            f"{body['memberCount']} members after replaying {body['events']} events of {body['leads']} leads"
        )
        return "\n".join([head, f"sample: {', '.join(body['sample'])}", series])
    return json.dumps(body, indent=2)


def _request(args: argparse.Namespace) -> Any:
    segment = getattr(args, "segment", "")
    path = f"/segments/{urllib.parse.quote(segment, safe='')}"
    if args.verb == "list":
        return call_api(args.url, "GET", "/segments")
    if args.verb == "show":
        return call_api(args.url, "GET", path)
    if args.verb == "members":
        return call_api(
            args.url, "GET", path + "/members", {"asOf": args.as_of, "limit": None if args.as_of else "1000"}
        )
    if args.verb == "analytics":
        query = {
            "from": getattr(args, "from"),
            "to": args.to,
            "interval": args.interval,
            "conversion_event": args.conversion_event,
            "conversion_within": args.conversion_within,
        }
        return call_api(args.url, "GET", path + "/analytics", query)
    if args.verb == "explain":
        return call_api(args.url, "GET", f"{path}/explain/{urllib.parse.quote(args.lead, safe='')}")
    if args.verb == "preview":
        with open(args.definition, encoding="utf-8") as handle:
            definition = json.load(handle)
        body = {"segment": definition, "since": args.since}
        answer = call_api(args.url, "POST", "/segments/preview", {"mode": args.mode}, body=body)
        return _preview_result(args.url, answer)
    return call_api(
        args.url, "POST", path + "/snapshot", body={"id": args.id, "name": args.name, "asOf": args.as_of}
    )


def _preview_result(url: str, answer: Any) -> Any:
    """A large preview answers with a job (202): wait for it, and give its result (or its error)."""
    if not (isinstance(answer, dict) and answer.get("kind") == "preview" and "jobId" in answer):
        return answer
    job = follow(url, answer)
    if job["status"] != "done":
        raise ApiError(
            400, {"error": {"code": "preview_failed", "message": job.get("error"), "jobId": job["jobId"]}}
        )
    return job["result"]


def run(args: argparse.Namespace) -> int:
    if args.command == "preview-bench":
        from leadwire.local.preview_bench import main as bench_main

        return bench_main(args.events, args.leads, args.json)
    try:
        resolve_target(args)
    except LookupError as error:
        print(f"leadwire segments: {error}", file=sys.stderr)
        return 2
    if args.verb == "apply":
        return _apply(args)
    return run_request("segments", args, lambda: _request(args), lambda body: render(args.verb, body))


def _apply(args: argparse.Namespace) -> int:
    from pathlib import Path

    from leadwire.config_loader import ConfigError
    from leadwire.local.segments_apply import apply_file

    try:
        code, lines = apply_file(args.url, Path(args.file), args.confirm)
    except (ConfigError, OSError) as error:
        if isinstance(error, urllib.error.URLError):
            print(f"leadwire segments: cannot reach {args.url}: {error}", file=sys.stderr)
            return 2
        print(f"leadwire segments apply: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return code
