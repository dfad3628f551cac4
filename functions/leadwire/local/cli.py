"""The ``leadwire`` command: local, hash-key, bench, demo, replay, load, doctor, segments, leads,
triggers, preview-bench, jobs, console."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path

from leadwire.local import jobs_cli, records_cli, segments_cli
from leadwire.settings import hash_write_key
from leadwire.stream_consumers import STREAM_CONSUMERS


def _write_key(text: str) -> tuple[str, str]:
    """``KEY`` or ``KEY=SOURCE``: several sources, each with its own key."""
    key, _, source = text.partition("=")
    if not key:
        raise argparse.ArgumentTypeError("write key must not be empty")
    return key, source or "default"


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _directory(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"config directory {text!r} does not exist")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadwire", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    segments_cli.add_commands(commands)
    records_cli.add_commands(commands)
    jobs_cli.add_commands(commands)
    local = commands.add_parser(
        "local", help="serve ingestion and the admin API on 127.0.0.1, backed by moto"
    )
    local.add_argument("--port", type=int, default=8787)
    local.add_argument(
        "--write-key", type=_write_key, action="append", required=True, help="KEY or KEY=SOURCE (repeatable)"
    )
    local.add_argument("--config", type=_directory, help="directory of segment/scoring/trigger definitions")
    local.add_argument("--clock", type=_instant, help="start a simulated clock at this ISO 8601 instant")
    hash_key = commands.add_parser("hash-key", help="print the SHA-256 digest to deploy for a write key")
    hash_key.add_argument("write_key")
    bench = commands.add_parser("bench", help="replay a synthetic workload and report throughput and cost")
    bench.add_argument("--events", type=int, default=5_000)
    bench.add_argument("--leads", type=int, default=125)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--replay-months",
        type=_positive,
        metavar="N",
        help="instead: N months of a 100-visitors-a-month shop, a day at a time on the simulated clock",
    )
    bench.add_argument(
        "--imports", action="store_true", help="instead: each function's import time against import boto3"
    )
    demo = commands.add_parser("demo", help="replay the bundled demo data through leadwire local")
    demo.add_argument("--data", type=Path, help="a JSON-lines file of Segment messages")
    demo.add_argument(
        "--serve", action="store_true", help="afterwards, keep leadwire local running with the web console"
    )
    demo.add_argument("--port", type=int, default=0, help="with --serve: the port (default: any free one)")
    console = commands.add_parser(
        "console",
        help="serve the web console on 127.0.0.1 against a deployed stack (admin calls signed with SigV4)",
    )
    console.add_argument("--stack", required=True, help="the deployed stack's name")
    console.add_argument("--port", type=int, default=8788)
    console.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    load = commands.add_parser(
        "load", help="concurrent clients against leadwire local; checks every accepted event is stored once"
    )
    load.add_argument("--clients", type=_positive, default=50)
    load.add_argument("--seconds", type=float, default=60.0)
    load.add_argument("--batch", type=_positive, default=10, help="events per request (default %(default)s)")
    load.add_argument("--leads-per-client", type=_positive, default=2)
    load.add_argument("--url", help="a running leadwire local (default: start one on a free port)")
    load.add_argument("--write-key", dest="load_write_key", help="its write key (with --url)")
    load.add_argument("--clock", help="start the local process on a simulated clock at this instant")
    load.add_argument("--json", action="store_true", help="print one JSON object")
    replay = commands.add_parser(
        "replay",
        help="list and replay the stream batches the consumers gave up on (their failure queues)",
        description="Reads each failure message's shard and sequence range from the table stream, "
        "keeps the records the consumer's filter passes and re-delivers them to the consumer; a "
        "replayed message is deleted, a failed or expired one is kept. Exits 1 unless every message "
        "was replayed (or, with --dry-run, could be).",
    )
    consumers = [spec.name for spec in STREAM_CONSUMERS]
    replay.add_argument("--consumer", choices=[*consumers, "all"], default="all")
    replay.add_argument("--dry-run", action="store_true", help="list what would be replayed; change nothing")
    replay.add_argument("--max", type=_positive, metavar="N", help="handle at most N failure messages")
    replay.add_argument(
        "--stack", default="Leadwire", help="the deployed stack's name (AWS mode; default %(default)s)"
    )
    replay.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    replay.add_argument(
        "--local", metavar="URL", help="replay on a running `leadwire local` (http://127.0.0.1:PORT) instead"
    )
    replay.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    doctor = commands.add_parser(
        "doctor",
        help="check a deployed stack: SES, secrets, write keys, definitions, alarms, failure queues, lag, "
        "timer fires",
        description="Reads the deployed stack with your AWS credentials and says what is missing or "
        "wrong, and what to do (--refire is its one write). Exits 1 when something is wrong, 2 when "
        "the stack cannot be read.",
    )
    doctor.add_argument("--stack", default="Leadwire", help="the deployed stack's name (default %(default)s)")
    doctor.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    doctor.add_argument(
        "--config",
        type=_directory,
        default=Path("config/default"),
        help="the config directory the stack was deployed with (default %(default)s)",
    )
    doctor.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    doctor.add_argument(
        "--refire",
        action="store_true",
        help="write the FIRE item of each timer marked fired without one (the doctor's one write)",
    )
    return parser


def _doctor(args: argparse.Namespace) -> int:
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from leadwire import clock
    from leadwire.ops.doctor import format_report, run_checks, to_json
    from leadwire.ops.doctor_checks import doctor_in_aws, unknown_reason

    try:
        stack, checks = doctor_in_aws(
            stack_name=args.stack,
            region=args.region,
            config_dir=args.config,
            now=clock.now(),
            refire=args.refire,
        )
    except (LookupError, BotoCoreError, ClientError) as error:
        print(f"leadwire doctor: cannot read stack {args.stack}: {error}", file=sys.stderr)
        return 2
    findings = run_checks(list(checks), unknown_reason)
    print(
        json.dumps(to_json(stack.name, findings), indent=2)
        if args.json
        else format_report(stack.name, findings)
    )
    return 1 if any(f.status == "fail" for f in findings) else 0


def _replay(args: argparse.Namespace) -> int:
    """AWS mode needs boto3 only (no moto): ``leadwire.ops`` never imports ``leadwire.local.runtime``."""
    import json

    from leadwire.ops.replay import format_report

    if args.local:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            args.local.rstrip("/") + "/_local/replay",
            data=json.dumps({"consumer": args.consumer, "dryRun": args.dry_run, "max": args.max}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                summary = json.loads(response.read())
        except urllib.error.HTTPError as error:
            print(
                f"leadwire replay: {args.local} answered {error.code}: {error.read().decode()}",
                file=sys.stderr,
            )
            return 2
        except urllib.error.URLError as error:
            print(f"leadwire replay: cannot reach {args.local}: {error.reason}", file=sys.stderr)
            return 2
    else:
        from botocore.exceptions import BotoCoreError, ClientError

        from leadwire.ops.aws import replay_in_aws
        from leadwire.ops.replay import selected

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
        logging.getLogger("leadwire.replay").setLevel(logging.INFO)  # one JSON line per message, stderr
        try:
            summary = replay_in_aws(
                stack_name=args.stack,
                names=selected(args.consumer),
                dry_run=args.dry_run,
                max_messages=args.max,
                region=args.region,
            ).to_dict()
        except (LookupError, BotoCoreError, ClientError) as error:
            print(f"leadwire replay: {error}", file=sys.stderr)
            return 2
    print(json.dumps(summary, indent=2) if args.json else format_report(summary))
    return 0 if summary.get("ok") else 1


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.server import LocalServer, start_background_pump

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        runtime = LocalRuntime(dict(args.write_key), config_dir=args.config, clock_start=args.clock)
    except ValueError as error:  # ConfigError, DefinitionError: the message names file and path
        print(f"leadwire local: invalid config: {error}", file=sys.stderr)
        return 2
    server = LocalServer(runtime, args.port)
    stop = start_background_pump(runtime)
    # SIGTERM ends serve_forever the way Ctrl-C does. (server.shutdown() from the handler would
    # wait for the loop it interrupted: the process never stopped.)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"leadwire local listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        runtime.close()
    return 0


def _console(args: argparse.Namespace) -> int:
    """AWS mode: boto3 and botocore only (no moto)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from leadwire.console.proxy import ConsoleProxy, upstream_of_stack

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    session = boto3.Session(region_name=args.region)
    credentials = session.get_credentials()
    if credentials is None:
        print(
            "leadwire console: no AWS credentials found (configure a profile or SSO login)", file=sys.stderr
        )
        return 2
    try:
        upstream = upstream_of_stack(session.client("cloudformation"), args.stack, session.region_name)
    except (LookupError, BotoCoreError, ClientError) as error:
        print(f"leadwire console: {error}", file=sys.stderr)
        return 2
    proxy = ConsoleProxy(upstream, credentials.get_frozen_credentials, args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"leadwire console for {args.stack} ({upstream.url}) on {proxy.url}/console/", flush=True)
    try:
        proxy.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "local":
        return _serve(args)
    if args.command == "hash-key":
        print(hash_write_key(args.write_key))
        return 0
    if args.command == "bench":
        if args.imports:
            from leadwire.local.imports import main as imports_main

            return imports_main(args.json)
        if args.replay_months:
            from leadwire.local.replay_bench import main as replay_main

            return replay_main(args.replay_months)
        from leadwire.local.bench import main as bench_main

        return bench_main(args.events, args.leads, args.json)
    if args.command == "demo":
        from leadwire.local.demo.driver import run_demo

        return run_demo(args.data, serve=args.serve, port=args.port)
    if args.command == "console":
        return _console(args)
    if args.command == "replay":
        return _replay(args)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "load":
        from leadwire.local.load import main as load_main

        return load_main(
            url=args.url,
            write_key=args.load_write_key,
            clients=args.clients,
            seconds=args.seconds,
            batch=args.batch,
            leads_per_client=args.leads_per_client,
            local_args=["--clock", args.clock] if args.clock else [],
            as_json=args.json,
        )
    if args.command in ("leads", "triggers"):
        return records_cli.run(args)
    if args.command in ("segments", "preview-bench"):
        return segments_cli.run(args)
    if args.command == "jobs":
        return jobs_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
