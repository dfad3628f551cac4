"""``leadwire bench --imports``: each function's cold-start import time against ``import boto3``.

Each module is imported in a fresh interpreter (as a Lambda cold start does), several times in
turn with ``import boto3``, and the medians are compared; the environment is the one the stack
sets, so module-level settings validate as in Lambda.

Beside each function's time stands the floor its dependencies set: the third-party modules its
import loads (botocore, pydantic, Powertools' event handler or batch utility, ...), imported alone,
in the order the function loads them, in a fresh interpreter. What is left (``own_ms``) is
Leadwire's own modules and the pydantic models they build.
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
# The third-party modules an import loads, in load order (sys.modules keeps it): not those the
# interpreter had loaded before it (site's), not the standard library's, not Leadwire's.
_DEPENDENCIES_PROBE: Final = (
    "import json, sys; before = set(sys.modules); __import__(sys.argv[1]); "
    "print(json.dumps([m for m in sys.modules if m not in before "
    "and m.split('.')[0] not in sys.stdlib_module_names and m.split('.')[0] != 'leadwire']))"
)
# Each of them imported alone; one that does not import by its own name (an alias a package
# registers in sys.modules) is skipped.
_DEPENDENCIES_TIMER: Final = (
    "import json, sys, time; names = json.loads(sys.argv[1]); t = time.perf_counter()\n"
    "for name in names:\n"
    "    try:\n"
    "        __import__(name)\n"
    "    except Exception:\n"
    "        pass\n"
    "print(time.perf_counter() - t)"
)


def _run(probe: str, argument: str) -> str:
    env = {**os.environ, **_ENVIRONMENT}
    output = subprocess.run(
        [sys.executable, "-c", probe, argument], capture_output=True, text=True, check=True, env=env
    ).stdout
    return output.strip().splitlines()[-1]


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (bytecode already compiled)."""
    return float(_run(_PROBE, module))


def dependencies(module: str) -> list[str]:
    """The third-party modules importing ``module`` loads, in the order it loads them."""
    names: list[str] = json.loads(_run(_DEPENDENCIES_PROBE, module))
    return names


def dependencies_seconds(names: list[str]) -> float:
    """Seconds to import ``names`` alone, in order, in a fresh interpreter."""
    return float(_run(_DEPENDENCIES_TIMER, json.dumps(names)))


def measure(runs: int = 5, modules: dict[str, str] | None = None) -> dict[str, Any]:
    """Median import seconds per function and of boto3, alternated run by run, and the ratios."""
    targets = modules or HANDLERS
    for module in [BASELINE, *targets.values()]:
        import_seconds(module)  # warm-up: compile bytecode, fill the page cache
    loaded = {name: dependencies(module) for name, module in targets.items()}
    samples: dict[str, list[float]] = {name: [] for name in [BASELINE, *targets]}
    floors: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(runs):
        samples[BASELINE].append(import_seconds(BASELINE))
        for name, module in targets.items():
            samples[name].append(import_seconds(module))
            floors[name].append(dependencies_seconds(loaded[name]))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians.pop(BASELINE)
    functions = {}
    for name, seconds in medians.items():
        floor = statistics.median(floors[name])
        functions[name] = {
            "ms": round(seconds * 1000, 1),
            "ratio_to_boto3": round(seconds / baseline, 2),
            "dependencies_ms": round(floor * 1000, 1),
            "dependencies_ratio_to_boto3": round(floor / baseline, 2),
            "own_ms": round((seconds - floor) * 1000, 1),
        }
    return {"boto3_ms": round(baseline * 1000, 1), "functions": functions}


def main(as_json: bool, runs: int = 5) -> int:
    report = measure(runs)
    if as_json:
        print(json.dumps(report))
        return 0
    print(f"import boto3: {report['boto3_ms']} ms (median of {runs}, fresh interpreters)")
    print(f"  {'function':13s} {'import':>10s} {'':12s} {'its dependencies alone':>24s}")
    for name, figures in report["functions"].items():
        print(
            f"  {name:13s} {figures['ms']:7.1f} ms  {figures['ratio_to_boto3']:.2f}x boto3"
            f"  {figures['dependencies_ms']:7.1f} ms  {figures['dependencies_ratio_to_boto3']:.2f}x boto3"
        )
    return 0
