"""``leadwire bench --imports``: each function's cold-start import time against ``import boto3``.

Each module is imported in a fresh interpreter (as a Lambda cold start does), several times in
turn with ``import boto3``, and the medians are compared; the environment is the one the stack
sets, so module-level settings validate as in Lambda.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any, Final

HANDLERS: Final[dict[str, str]] = {
    "ingestion": "leadwire.ingestion.handler",
    "admin": "leadwire.admin.handler",
    "segmentation": "leadwire.segmentation.handler",
    "sweep": "leadwire.timers.sweep_handler",
    "reevaluate": "leadwire.jobs.handler",
    "reactions": "leadwire.reactions.handler",
    "feedback": "leadwire.feedback.handler",
}
BASELINE: Final = "boto3"
_ENVIRONMENT: Final = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "TABLE_NAME": "leadwire",
    "POWERTOOLS_SERVICE_NAME": "leadwire",
    "POWERTOOLS_METRICS_NAMESPACE": "Leadwire",
    "WRITE_KEY_HASHES": "{}",
}
_PROBE: Final = (
    "import sys, time; t = time.perf_counter(); __import__(sys.argv[1]); print(time.perf_counter() - t)"
)


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (bytecode already compiled)."""
    env = {**os.environ, **_ENVIRONMENT}
    output = subprocess.run(
        [sys.executable, "-c", _PROBE, module], capture_output=True, text=True, check=True, env=env
    ).stdout
    return float(output.strip().splitlines()[-1])


def measure(runs: int = 5, modules: dict[str, str] | None = None) -> dict[str, Any]:
    """Median import seconds per function and of boto3, alternated run by run, and the ratios."""
    targets = modules or HANDLERS
    for module in [BASELINE, *targets.values()]:
        import_seconds(module)  # warm-up: compile bytecode, fill the page cache
    samples: dict[str, list[float]] = {name: [] for name in [BASELINE, *targets]}
    for _ in range(runs):
        samples[BASELINE].append(import_seconds(BASELINE))
        for name, module in targets.items():
            samples[name].append(import_seconds(module))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians.pop(BASELINE)
    return {
        "boto3_ms": round(baseline * 1000, 1),
        "functions": {
            name: {"ms": round(seconds * 1000, 1), "ratio_to_boto3": round(seconds / baseline, 2)}
            for name, seconds in medians.items()
        },
    }


def main(as_json: bool, runs: int = 5) -> int:
    report = measure(runs)
    if as_json:
        print(json.dumps(report))
        return 0
    print(f"import boto3: {report['boto3_ms']} ms (median of {runs}, fresh interpreters)")
    for name, figures in report["functions"].items():
        print(f"  {name:13s} {figures['ms']:7.1f} ms  {figures['ratio_to_boto3']:.2f}x boto3")
    return 0
