"""SMS: the actions function alone may send texts, with sms-voice:SendTextMessage and nothing else."""

from __future__ import annotations

import json

from tests.infrastructure.infra_template import ACTIONS_HANDLER, HANDLERS, Resources, as_list, role_statements


def _sms_statements(resources: Resources, handler: str) -> list[dict]:
    return [
        s
        for s in role_statements(resources, handler)
        if any(str(a).startswith("sms-voice:") for a in as_list(s["Action"]))
    ]


def test_the_actions_function_sends_texts_through_origination_identities_only(resources: Resources) -> None:
    # Given the actions function's role
    (statement,) = _sms_statements(resources, ACTIONS_HANDLER)
    # Then it holds SendTextMessage only, on this account and region's phone numbers, sender ids, pools
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Action"]) == ["sms-voice:SendTextMessage"]
    arns = [json.dumps(r) for r in as_list(statement["Resource"])]
    assert len(arns) == 3
    for kind in ("phone-number/*", "sender-id/*", "pool/*"):
        (arn,) = [a for a in arns if kind in a]
        assert ":sms-voice:" in arn
        assert "AWS::AccountId" in arn
        assert "AWS::Region" in arn
    assert not any(a == '"*"' for a in arns)


def test_no_other_function_may_send_texts(resources: Resources) -> None:
    for handler in HANDLERS:
        if handler != ACTIONS_HANDLER:
            assert _sms_statements(resources, handler) == [], handler
