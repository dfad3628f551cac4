"""Trigger definition problems, in the rule core's shape: ``{"path", "message"}`` per problem.

Pydantic's own errors are worded by the rule core (``problems_from``), so a bad ``only_if``
condition or a bad duration reads exactly as it does in a segment; this module words only the
errors that belong to triggers (``on``, action types, ``reentry``, cross-field shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from leadwire.core.rules.errors import DefinitionError, Problem, problem, problems_from, under

SHAPE_ERROR = "trigger_shape"
_ON_KINDS = "enter, exit, event, anniversary"
_ACTION_TYPES = "email, webhook, eventbridge, emit_event, slack, hubspot, onsite, sms"


class TriggerDefinitionError(DefinitionError):
    """Triggers refused; ``.problems`` lists each with its path. A ``DefinitionError``, so callers
    that already map refused definitions to a 400 handle triggers the same way."""


def _at(index: int, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    return ("triggers", index, *loc)


def _on_message(raw: Any) -> str:
    if not isinstance(raw, dict):
        return f"'on' is an object with one of: {_ON_KINDS}"
    given = [str(key) for key in raw if key in _ON_KINDS.split(", ")]
    if given:
        return f"'on' takes exactly one of {_ON_KINDS}; got {', '.join(given)}"
    return f"'on' needs one of {_ON_KINDS}; got {', '.join(map(str, raw)) or 'none'}"


def _action_problem(index: int, loc: list[str | int], raw: Any) -> Problem:
    if not isinstance(raw, dict):
        return problem(_at(index, loc), f"an action is an object with a 'type': {_ACTION_TYPES}")
    if "type" not in raw:
        return problem(_at(index, [*loc, "type"]), "required")
    message = f"unknown action type {raw['type']!r}; action types are {_ACTION_TYPES}"
    return problem(_at(index, [*loc, "type"]), message)


def _own_problems(detail: ErrorDetails, index: int) -> list[Problem] | None:
    loc: list[str | int] = list(detail["loc"])
    kind = detail["type"]
    if kind == SHAPE_ERROR:
        found = (detail.get("ctx") or {})["problems"]
        return [problem(_at(index, [*loc, *where]), message) for where, message in found]
    if kind == "trigger_on":
        return [problem(_at(index, loc), _on_message(detail["input"]))]
    if kind == "action_type":
        return [_action_problem(index, loc, detail["input"])]
    if kind == "reentry":
        return [problem(_at(index, loc), detail["msg"])]
    return None


def trigger_problems(error: ValidationError, index: int) -> list[Problem]:
    """The problems of ``triggers[index]``, one pydantic error at a time."""
    problems: list[Problem] = []
    for detail, worded in zip(error.errors(), problems_from(error), strict=True):
        own = _own_problems(detail, index)
        if own is None:
            problems.extend(under(("triggers", index), [worded]))
        else:
            problems.extend(own)
    return problems
