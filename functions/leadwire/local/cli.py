"""The ``leadwire`` command: ``local``, ``hash-key``, ``demo``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path

from leadwire.settings import hash_write_key


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


def _directory(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"config directory {text!r} does not exist")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadwire", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
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
    demo = commands.add_parser("demo", help="replay the bundled demo data through leadwire local")
    demo.add_argument("--data", type=Path, help="a JSON-lines file of Segment messages")
    return parser


def _serve(args: argparse.Namespace) -> int:
    from leadwire.local.runtime import LocalRuntime
    from leadwire.local.server import LocalServer, start_background_pump

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    runtime = LocalRuntime(dict(args.write_key), config_dir=args.config, clock_start=args.clock)
    server = LocalServer(runtime, args.port)
    stop = start_background_pump(runtime)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "local":
        return _serve(args)
    if args.command == "hash-key":
        print(hash_write_key(args.write_key))
        return 0
    if args.command == "bench":
        from leadwire.local.bench import main as bench_main

        return bench_main(args.events, args.leads, args.json)
    if args.command == "demo":
        from leadwire.local.demo import run_demo

        return run_demo(args.data)
    return 2


if __name__ == "__main__":
    sys.exit(main())
