"""The stack outputs ``leadwire replay`` reads: each stream consumer's failure queue and function."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire.ops.aws import STACK_OUTPUTS
from tests.infrastructure.infra_template import (
    REACTIONS_HANDLER,
    SEGMENTATION_HANDLER,
    Resources,
    event_source_mapping,
    function_id,
)


@pytest.mark.parametrize(
    ("consumer", "handler"),
    [("segmentation", SEGMENTATION_HANDLER), ("reactions", REACTIONS_HANDLER)],
)
def test_each_consumer_has_its_failure_queue_and_function_as_outputs(
    template: Any, resources: Resources, consumer: str, handler: str
) -> None:
    # Given leadwire replay finds a consumer's queue and function by output key
    # When the stack is synthesised
    # Then the queue output is the consumer mapping's on-failure destination, and the function
    # output names the function that mapping invokes
    outputs = template.to_json()["Outputs"]
    queue_key, function_key = STACK_OUTPUTS[consumer]
    destination = event_source_mapping(resources, handler)["DestinationConfig"]["OnFailure"]["Destination"]
    queue_id = destination["Fn::GetAtt"][0]
    assert outputs[queue_key]["Value"] == {"Ref": queue_id}
    assert outputs[function_key]["Value"] == {"Ref": function_id(resources, handler)}


def test_replay_defaults_to_the_apps_stack_name() -> None:
    from leadwire.local.cli import _parser
    from leadwire.ops.aws import DEFAULT_STACK_NAME
    from leadwire_infra.application import STACK_NAME

    assert DEFAULT_STACK_NAME == STACK_NAME
    assert _parser().parse_args(["replay"]).stack == STACK_NAME
