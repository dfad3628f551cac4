"""moto's Step Functions executions, waited for and read in process.

moto runs each execution on a thread of its own (``ExecutionWorker.start``) and lists it in
``moto.stepfunctions.parser.utils.TMP_THREADS``, a list it only ever appends to. A local timer
used to poll ``DescribeExecution`` until the execution ended: about five calls and 30 ms of
sleeping per timer, a tenth of a replay's time. Joining the threads the start call added ends
the wait the moment the execution does; the caller then describes it once, and polls as before
if it is somehow still running. Finished threads are taken off the list, which otherwise holds
every thread of a long replay.

While ``start_and_join`` waits, two costs moto's interpreter pays on every execution are paid
once, in a cache the caller keeps (``InterpreterCache``):
- it parses the definition with ANTLR (``ExecutionWorker._get_evaluation_entrypoint``), two
  thirds of a timer's time. The parse tree of each definition text is kept, and its evaluation
  components are still built afresh from it for every execution (moto's ``Preprocessor``), so no
  execution shares a component with another;
- it parses every JSONPath it reads with ``jsonpath_ng``, which builds a yacc parser each time
  (``asl.utils.json_path.extract_json``). A parsed path is kept per text; ``find`` does not change
  it;
- each task builds a boto3 client (``asl.utils.boto_client.boto_client_for``), about 12 ms. One
  client per region and service is kept; on this pin the function ignores the state's
  credentials, so the client is the one it would have built.

An execution's history (the bench counts its state transitions, as Step Functions bills them)
is read from moto's backend, where ``GetExecutionHistory`` would serialize every event through
moto's model-driven serializer for the client to parse back.

Pinned to the moto version the other shortcuts were read against (``moto_query``); on another
version both go through the client.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import moto

from leadwire.local.moto_query import PINNED_MOTO_VERSION
from leadwire.timers.local_timers import ClientExecutions

T = TypeVar("T")
JOIN_TIMEOUT_SECONDS: Final = 30.0


@dataclass
class InterpreterCache:
    """What moto's interpreter would otherwise rebuild per execution: parse trees by definition
    text, JSONPaths by text, and its tasks' clients by region, service and whether moto intercepts calls."""

    trees: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Any] = field(default_factory=dict)
    clients: dict[tuple[str, str, bool], Any] = field(default_factory=dict)


@contextmanager
def _interpreter_cached(cache: InterpreterCache) -> Iterator[None]:
    """moto's interpreter parses definitions and builds its tasks' clients through ``cache``
    meanwhile. Every interpreter module that imported ``boto_client_for`` by name gets the cached
    one."""
    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    build = boto_client.boto_client_for
    stock_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    parse_path = json_path.parse

    def parsed_path(text: str) -> Any:
        return _kept(cache.paths, text, lambda: parse_path(text))

    def reused(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service, botocore_stubber.enabled)
        return _kept(cache.clients, key, lambda: build(region, service, state_credentials))

    def entrypoint(worker: Any) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        tree = cache.trees.get(definition)
        if tree is None:
            program, cache.trees[definition] = AmazonStateLanguageParser.parse(definition)
            return program
        return Preprocessor().visit(tree)

    users = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser.") and getattr(module, "boto_client_for", None) is build
    ]
    for module in users:
        module.boto_client_for = reused  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign,assignment]
    json_path.parse = parsed_path  # type: ignore[assignment]
    try:
        yield
    finally:
        json_path.parse = parse_path
        ExecutionWorker._get_evaluation_entrypoint = stock_entrypoint  # type: ignore[method-assign]
        for module in users:
            module.boto_client_for = build  # type: ignore[attr-defined]


K = TypeVar("K")


def _kept(store: dict[K, Any], key: K, build: Callable[[], Any]) -> Any:
    """``store[key]``, built the first time it is asked for."""
    value = store.get(key)
    if value is None:
        value = store[key] = build()
    return value


def start_and_join(
    start: Callable[[], T], timeout: float = JOIN_TIMEOUT_SECONDS, *, cache: InterpreterCache | None = None
) -> T:
    """Call ``start`` (a ``StartExecution``) and wait for the threads moto started meanwhile,
    which parse and build clients through ``cache`` (a fresh one if none)."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return start()
    from moto.stepfunctions.parser.utils import TMP_THREADS

    before = len(TMP_THREADS)
    with _interpreter_cached(InterpreterCache() if cache is None else cache):
        started = start()
        for thread in TMP_THREADS[before:]:
            thread.join(timeout)
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
    return started


class MotoExecutions(ClientExecutions):
    """``LocalTimers``' executions under moto: joined, not polled; histories read in process."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._cache = InterpreterCache()

    def start(self, call: Callable[[], str]) -> str:
        return start_and_join(call, cache=self._cache)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        if moto.__version__ != PINNED_MOTO_VERSION:
            return super().history(execution_arn)
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        # arn:aws:states:<region>:<account>:execution:<machine>:<name>
        region, account = execution_arn.split(":")[3:5]
        output = stepfunctions_parser_backends[account][region].get_execution_history(execution_arn)
        return [dict(event) for event in output["events"]]
