"""Definition problems, each with the path to the bad node and what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypedDict

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from leadwire.core.rules.conditions import NODE_KINDS, NODE_TAG_PREFIX

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROOT_PATH = "(definitions)"


Loc = tuple[str | int, ...]


class Problem(TypedDict):
    """One thing wrong with a definition: where (``loc``, a list of keys and indexes, which is
    what code compares and slices) and what. ``path`` is ``loc`` rendered for people
    (``segments[3].condition.all[1]``): what error bodies and messages show, never parsed back."""

    loc: Loc
    path: str
    message: str


def problem(loc: Iterable[str | int], message: str, *, shown: str | None = None) -> Problem:
    """The one way to make a ``Problem``: the path is rendered from the location, or ``shown``
    where a section names its keys its own way (template ids: ``templates.welcome-back.html``)."""
    where = tuple(loc)
    return {"loc": where, "path": shown or format_path(where), "message": message}


def under(prefix: Iterable[str | int], found: Iterable[Problem]) -> list[Problem]:
    """The problems of a part of a document, located in the whole (``["triggers", 0]`` + loc)."""
    head = tuple(prefix)
    return [problem((*head, *p["loc"]), p["message"]) for p in found]


def relative(found: Problem, depth: int) -> Problem:
    """The problem located inside the item it is in (its first ``depth`` keys dropped)."""
    return problem(found["loc"][depth:], found["message"])


class DefinitionError(Exception):
    """Definitions refused. Not a ``ValueError`` on purpose: pydantic must not swallow it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{problem['path']}: {problem['message']}" for problem in problems))


def format_path(loc: Iterable[str | int]) -> str:
    """``("segments", 3, "condition", "all", 1)`` -> ``segments[3].condition.all[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(NODE_TAG_PREFIX):
            continue
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text or ROOT_PATH


def _describe_node_error(raw: Any) -> tuple[str | None, str]:
    kinds = ", ".join(NODE_KINDS)
    if not isinstance(raw, dict):
        return None, f"a condition is an object with one key, one of: {kinds}"
    if len(raw) != 1:
        return None, f"a condition has exactly one key, got {len(raw)}: {', '.join(map(str, raw)) or 'none'}"
    key = str(next(iter(raw)))
    return key, f"unknown condition '{key}'; conditions are {kinds}"


def _problem(error: ErrorDetails) -> Problem:
    loc: list[str | int] = list(error["loc"])
    message = error["msg"]
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "condition_node":
        key, message = _describe_node_error(error["input"])
        loc += [key] if key else []
    elif kind in {"unknown_operator", "operator_value"}:
        loc.append(context["key"])
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required"
    elif kind == "too_short" and context.get("min_length") == 1:
        message = "must not be empty"
    return problem(loc, message)


def problems_from(error: ValidationError) -> list[Problem]:
    return [_problem(detail) for detail in error.errors()]
