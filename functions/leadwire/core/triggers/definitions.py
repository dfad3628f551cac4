"""Triggers as code: ``parse_triggers`` refuses bad ones with exact paths.

A ``Trigger`` is only ever built valid (``models.py``). ``parse_triggers`` adds what needs the
whole list or the world around it: unique trigger ids, known segments, known email templates,
and ``emit_event`` loops (``references.py``). The models are re-exported here for the callers that
read definitions.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from leadwire.core.rules.errors import Problem, problem
from leadwire.core.triggers.errors import TriggerDefinitionError, trigger_problems
from leadwire.core.triggers.models import Trigger
from leadwire.core.triggers.references import list_problems


def parse_triggers(
    raw_list: Any,
    segment_ids: set[str] | frozenset[str],
    template_ids: Collection[str] | None = None,
    sms_template_ids: Collection[str] | None = None,
    account_segment_ids: Collection[str] = frozenset(),
    counted_segment_ids: Collection[str] = frozenset(),
) -> list[Trigger]:
    """Validate a ``triggers`` list against the known segment ids and, when given, the known email
    and SMS template ids (``None`` skips that check: a caller without the templates at hand).
    Triggers on ``account_segment_ids`` may only hand the account over, and their ``only_if`` may
    count leads in ``counted_segment_ids`` only (``references``).

    Raises ``TriggerDefinitionError`` listing every problem as ``{"path", "message"}``, paths
    rooted at ``triggers`` (``triggers[2].wait.timeout``).
    """
    if not isinstance(raw_list, list):
        raise TriggerDefinitionError([problem(("triggers",), "must be a list of triggers")])
    problems: list[Problem] = []
    parsed: dict[int, Trigger] = {}
    for index, raw in enumerate(raw_list):
        if not isinstance(raw, dict):
            problems.append(problem(("triggers", index), "a trigger is an object"))
            continue
        try:
            parsed[index] = Trigger.model_validate(raw)
        except ValidationError as error:
            problems.extend(trigger_problems(error, index))
    problems.extend(
        list_problems(
            raw_list,
            parsed,
            segment_ids,
            template_ids,
            sms_template_ids,
            account_segment_ids,
            counted_segment_ids,
        )
    )
    if problems:
        raise TriggerDefinitionError(sorted(problems, key=_problem_order))
    return [parsed[index] for index in range(len(raw_list))]


def _problem_order(problem: Problem) -> int:
    """Problems in trigger order; within a trigger, in the order they were found."""
    loc = problem["loc"]
    return loc[1] if len(loc) > 1 and loc[0] == "triggers" and isinstance(loc[1], int) else -1
