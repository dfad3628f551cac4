"""``leadwire leads ...`` and ``leadwire triggers ...``: a lead's record and a trigger's results
for people, ``--json`` for scripts, against the admin API (``--url``: ``leadwire local``, or the
signing loopback of ``leadwire console --stack NAME`` for a deployed stack).

Exit 0 on success, 1 when the API refused the request (its error is printed), 2 when the server
cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
from typing import Any

from leadwire.local.admin_client import add_target_arguments, call_api, run_request, text_table


def add_commands(commands: Any) -> None:
    leads = commands.add_parser("leads", help="a lead's profile, history, export, erasure")
    triggers = commands.add_parser("triggers", help="triggers and their A/B results")
    for parser in (leads, triggers):
        add_target_arguments(parser)
        parser.add_argument("--json", action="store_true", help="print the API's JSON")
    verbs = leads.add_subparsers(dest="verb", required=True)
    for verb, text in (
        ("show", "profile, score, segments"),
        ("history", "membership intervals, segment by segment"),
        ("export", "everything stored about the lead (JSON)"),
        ("erase", "erase the lead and suppress its ids"),
    ):
        verbs.add_parser(verb, help=text).add_argument("lead")
    trigger_verbs = triggers.add_subparsers(dest="verb", required=True)
    trigger_verbs.add_parser("list", help="every trigger with what it fires on")
    results = trigger_verbs.add_parser("results", help="fires, sends, opens, clicks, conversions per variant")
    results.add_argument("trigger")
    results.add_argument("--from", dest="start")
    results.add_argument("--to", dest="end")
    results.add_argument("--goal", help="the goal event, e.g. purchase")
    results.add_argument("--within", help="how long after the fire the goal counts (default P7D)")


def _request(args: argparse.Namespace) -> Any:
    if args.command == "triggers":
        if args.verb == "list":
            return call_api(args.url, "GET", "/triggers")
        query = {"from": args.start, "to": args.end, "goal": args.goal, "within": args.within}
        return call_api(args.url, "GET", f"/triggers/{_quote(args.trigger)}/results", query)
    path = f"/leads/{_quote(args.lead)}"
    if args.verb == "erase":
        return call_api(args.url, "DELETE", path)
    return call_api(
        args.url, "GET", path + {"show": "", "history": "/history", "export": "/export"}[args.verb]
    )


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def render(command: str, verb: str, body: Any) -> str:
    if command == "triggers" and verb == "list":
        rows = [[t["id"], t.get("name", ""), json.dumps(t.get("on"))] for t in body["triggers"]]
        return text_table(rows, ["trigger", "name", "on"])
    if command == "triggers":
        goal = f"goal {body['goal']} within {body['within']}" if body["goal"] else "no goal given"
        rows = [
            [
                v["name"],
                v["fires"],
                v["leads"],
                ", ".join(f"{c} {n}" for c, n in v["sends"].items()) or "-",
                v["opens"],
                v["clicks"],
                "-" if v["conversions"] is None else v["conversions"],
                "-" if v["conversionRate"] is None else f"{v['conversionRate'] * 100:.1f}%",
                "-" if v["liftVsHoldout"] is None else f"{v['liftVsHoldout']:+.1f} pts",
            ]
            for v in body["variants"]
        ]
        headers = ["arm", "fires", "leads", "sent", "opens", "clicks", "converted", "rate", "lift"]
        return f"{body['triggerId']}: {goal}\n" + text_table(rows, headers)
    if verb == "show":
        traits = body.get("traits") or {}
        lines = [f"{body['leadId']}  score {body.get('score')}  {traits.get('email', '')}".rstrip()]
        lines += [f"  in {segment}" for segment in body.get("segments", [])]
        return "\n".join(lines)
    if verb == "history":
        rows = [[h["segmentId"], h["enteredAt"], h.get("exitedAt") or "(member)"] for h in body["history"]]
        return text_table(rows, ["segment", "entered", "exited"])
    return json.dumps(body, indent=2)


def run(args: argparse.Namespace) -> int:
    return run_request(
        args.command, args, lambda: _request(args), lambda body: render(args.command, args.verb, body)
    )
