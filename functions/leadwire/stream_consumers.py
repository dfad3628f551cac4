"""The one declaration of the table stream's consumers, read by the CDK stack (event source
mappings), ``leadwire local`` (its stream pump) and ``leadwire replay`` (which consumer a failed
batch belongs to, and which records it would have seen).

Pure constants: no boto3 and no CDK, so infra/, the local runtime and ``ops/`` import it alike.
Every mapping states every setting that matters, because Lambda's defaults are wrong here:
bounded retries (the default is infinite), bisect on error, partial batch responses, one batch
per shard at a time (a lead's records apply in order), and an on-failure destination.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from leadwire import schema


@dataclass(frozen=True)
class ConsumerSpec:
    name: str  # what ``leadwire replay --consumer`` calls it
    function_name: str  # the function's name in ``leadwire local`` (and its failure messages)
    handler: str  # module path and function, as Lambda's ``Handler`` setting
    filters: tuple[dict[str, Any], ...]  # any one matching passes a record (Lambda's filter criteria)
    # A lead gets at most one batch's worth of records applied per invocation, with one state
    # write: the batch size bounds per-lead work, and must not exceed the engine's dedupe window
    # so that a redelivered batch is recognised whole.
    batch_size: int = 100
    batching_window_seconds: int = 1
    retry_attempts: int = 5
    max_record_age_seconds: int = 86_400  # records expire from the stream after 24 hours
    bisect_on_error: bool = True
    parallelization_factor: int = 1

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


SEGMENTATION: Final = ConsumerSpec(
    name="segmentation",
    function_name="leadwire-segmentation",
    handler="leadwire.segmentation.handler.lambda_handler",
    filters=(schema.EVENT_INSERT_FILTER,),
)
# Triggers and actions share the stream's second reader (DynamoDB Streams serves two per shard
# without throttling): one function, each record going to the one that owns it.
REACTIONS: Final = ConsumerSpec(
    name="reactions",
    function_name="leadwire-reactions",
    handler="leadwire.reactions.handler.lambda_handler",
    filters=(
        schema.EVENT_INSERT_FILTER,
        schema.HISTORY_CHANGE_FILTER,
        schema.TIMER_FIRED_FILTER,
        schema.FIRE_INSERT_FILTER,
    ),
)
STREAM_CONSUMERS: Final[tuple[ConsumerSpec, ...]] = (SEGMENTATION, REACTIONS)
BY_NAME: Final[dict[str, ConsumerSpec]] = {spec.name: spec for spec in STREAM_CONSUMERS}
