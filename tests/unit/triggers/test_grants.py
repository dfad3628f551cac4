"""Webhook references a deployment cannot read are named with their path inside the trigger."""

from leadwire.core.triggers import parse_triggers
from leadwire.core.triggers.grants import ungranted_references


def test_every_ungranted_url_and_secret_is_named_in_actions_and_variants():
    [trigger] = parse_triggers(
        [
            {
                "id": "t",
                "on": {"event": "x"},
                "variants": [
                    {
                        "name": "a",
                        "weight": 1,
                        "actions": [
                            {"type": "webhook", "url": "https://crm.example.com/h", "secret": "ssm:/ok"},
                            {"type": "eventbridge"},
                        ],
                    },
                    {
                        "name": "b",
                        "weight": 1,
                        "actions": [{"type": "webhook", "url": "ssm:/url", "secret": "env:S"}],
                    },
                ],
            }
        ],
        set(),
    )
    problems = ungranted_references(trigger, frozenset({"ssm:/ok"}))
    assert [p["path"] for p in problems] == ["variants[1].actions[0].url", "variants[1].actions[0].secret"]
    assert "only leadwire local sets" in problems[1]["message"]
    # What the bundled config names (and so the stack reads) is fine for API triggers too.
    assert ungranted_references(trigger, frozenset({"ssm:/ok", "ssm:/url", "env:S"})) == []
