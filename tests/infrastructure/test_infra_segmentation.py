"""Segmentation's re-evaluation job (its stream consumer is checked with the others in test_infra_streams)."""

from __future__ import annotations

from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    REEVALUATE_HANDLER,
    Resources,
    function_id,
    function_props,
)


def test_admin_knows_the_reevaluation_function(resources: Resources) -> None:
    # Given the admin API starts re-evaluation runs asynchronously
    # When the admin function starts
    # Then REEVALUATE_FUNCTION_NAME names this stack's re-evaluation function
    env = function_props(resources, ADMIN_HANDLER)["Environment"]["Variables"]
    assert env["REEVALUATE_FUNCTION_NAME"] == {"Ref": function_id(resources, REEVALUATE_HANDLER)}
