"""Which secret stores a webhook may read: the stack grants the actions function exactly the
references its bundled config names (at synth). A trigger added later through the admin API can
only use those; anything else would be refused at send time, for every fire, so it is refused
when the trigger is written instead."""

from __future__ import annotations

from collections.abc import Iterator

from leadwire.core.rules.errors import Problem, problem
from leadwire.core.secret_reference import SecretReference
from leadwire.core.triggers.models import REFERENCE_FIELDS, Trigger


def ungranted_references(trigger: Trigger, granted: frozenset[str]) -> list[Problem]:
    """The references of ``trigger``'s actions (a webhook's ``secret`` and ``url``, a Slack ``url``,
    a HubSpot ``token``) the deployment cannot read, with their paths (``actions[0].secret``)."""
    return list(_problems(trigger, granted))


def _problems(trigger: Trigger, granted: frozenset[str]) -> Iterator[Problem]:
    for path, action in trigger.action_paths():
        for field in REFERENCE_FIELDS.get(action.type, ()):
            value = getattr(action, field)
            reference = SecretReference.parse(value)
            if reference is None or value in granted:
                continue
            if reference.store == "env":
                message = (
                    f"{value} names an environment variable, which only leadwire local sets; "
                    "use an ssm:/ parameter or a Secrets Manager ARN"
                )
            else:
                message = (
                    f"{value} is not readable by the actions function: the stack grants the "
                    "references the bundled config names, so add a trigger that uses it to the config "
                    "and deploy"
                )
            yield problem((*path, field), message)
