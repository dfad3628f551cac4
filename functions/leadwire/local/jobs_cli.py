"""``leadwire jobs start KIND [--wait]`` and ``leadwire jobs show ID``: jobs over every lead.

``migrate`` is the step an upgrade's notes ask for: it rewrites the items an older release wrote
in the current item shapes (readers accept both meanwhile, so it can run while events flow).
``reevaluate`` evaluates every lead against the current definitions. Exit 0 when the job was
started (or, with ``--wait``, finished ``done``), 1 when it was refused or failed, 2 when the API
cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from typing import Any

from leadwire.local.admin_client import ApiError, add_target_arguments, call_api, resolve_target

POLL_SECONDS = 2.0


def add_commands(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="start a migration or re-evaluation job, or follow one")
    add_target_arguments(jobs)
    jobs.add_argument("--json", action="store_true", help="print the API's JSON")
    verbs = jobs.add_subparsers(dest="verb", required=True)
    start = verbs.add_parser("start", help="start a job over every lead")
    start.add_argument("kind", choices=("migrate", "reevaluate"))
    start.add_argument("--reason", default="")
    start.add_argument("--wait", action="store_true", help="follow the job until it finishes")
    show = verbs.add_parser("show", help="a job's progress")
    show.add_argument("job")


def render(job: dict[str, Any]) -> str:
    progress = f"{job['shardsDone']}/{job['shards']} shards"
    counts = (
        f"{job['leadsDone']} leads, {job['changes']} changes, {job['itemsMigrated']} items migrated; "
        f"entered {job['entered']}, exited {job['exited']}; "
        f"{job['readUnits']:.1f} read and {job['writeUnits']:.1f} write units"
    )
    failed = f", {job['failures']} failed ({', '.join(job['failedLeads'])})" if job["failures"] else ""
    error = f"\nerror: {job['error']}" if job.get("error") else ""
    return f"job {job['jobId']} ({job['kind']}): {job['status']}, {progress}, {counts}{failed}{error}"


def follow(
    url: str, job: dict[str, Any], sleep: Callable[[float], None] = time.sleep, poll: float = POLL_SECONDS
) -> dict[str, Any]:
    """Poll ``GET /jobs/{id}`` until the job is done or failed."""
    path = f"/jobs/{urllib.parse.quote(job['jobId'], safe='')}"
    while job["status"] not in ("done", "failed"):
        sleep(poll)
        job = call_api(url, "GET", path)
    return job


def run(args: argparse.Namespace) -> int:
    try:
        resolve_target(args)
        if args.verb == "start":
            job = call_api(args.url, "POST", "/jobs", body={"kind": args.kind, "reason": args.reason})
            if args.wait:
                job = follow(args.url, job)
        else:
            job = call_api(args.url, "GET", f"/jobs/{urllib.parse.quote(args.job, safe='')}")
    except ApiError as error:
        message = json.dumps(error.body, indent=2) if args.json else f"error {error.status}: {error.body}"
        print(message, file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, LookupError) as error:
        print(f"leadwire jobs: cannot reach {args.url}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(job, indent=2) if args.json else render(job))
    unfinished = args.verb == "start" and args.wait and job["status"] != "done"
    return 1 if job["status"] == "failed" or unfinished else 0
