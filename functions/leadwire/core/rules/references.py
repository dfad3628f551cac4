"""Checks across segments (ids, ``in_segment`` targets, cycles) and their evaluation order."""

from __future__ import annotations

from collections.abc import Sequence

from leadwire.core.rules.conditions import InSegmentNode, Node, walk
from leadwire.core.rules.errors import Loc, Problem, problem
from leadwire.core.rules.segment_models import Segment


def _roots(segment: Segment) -> list[tuple[str, Node]]:
    roots: list[tuple[str, Node | None]] = [
        ("condition", segment.condition),
        ("exit_when", segment.exit_when),
    ]
    return [(name, node) for name, node in roots if node is not None]


def references(segment: Segment) -> list[tuple[Loc, str]]:
    """``(location inside the segment, target id)`` for each ``in_segment`` in its condition and
    exit_when."""
    found: list[tuple[Loc, str]] = []
    for root_name, root in _roots(segment):
        for loc, node in walk(root, (root_name,)):
            if isinstance(node, InSegmentNode):
                found.append(((*loc, "in_segment"), node.in_segment))
    return found


def _duplicates(segments: Sequence[Segment]) -> list[Problem]:
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, segment in enumerate(segments):
        if segment.id in first:
            message = f"duplicate segment id '{segment.id}' (first at segments[{first[segment.id]}])"
            problems.append(problem(("segments", index, "id"), message))
        first.setdefault(segment.id, index)
    return problems


def _unknown_targets(segments: Sequence[Segment]) -> list[Problem]:
    known = {segment.id for segment in segments}
    return [
        problem(("segments", index, *loc), f"unknown segment '{target}'")
        for index, segment in enumerate(segments)
        for loc, target in references(segment)
        if target not in known
    ]


def _cycles(segments: Sequence[Segment]) -> list[Problem]:
    index_of = {segment.id: index for index, segment in enumerate(segments)}
    problems: list[Problem] = []
    state: dict[str, str] = {}  # "open" while on the DFS stack, then "done"
    stack: list[str] = []

    def visit(segment_id: str) -> None:
        state[segment_id] = "open"
        stack.append(segment_id)
        index = index_of[segment_id]
        for loc, target in references(segments[index]):
            if target not in index_of:
                continue
            if state.get(target) == "open":
                loop = [*stack[stack.index(target) :], target]
                message = f"in_segment '{target}' makes a cycle: {' -> '.join(loop)}"
                problems.append(problem(("segments", index, *loc), message))
            elif target not in state:
                visit(target)
        stack.pop()
        state[segment_id] = "done"

    for segment in segments:
        if segment.id not in state:
            visit(segment.id)
    return problems


def reference_problems(segments: Sequence[Segment]) -> list[Problem]:
    problems = _duplicates(segments)
    return problems or [*_unknown_targets(segments), *_cycles(segments)]


def dependency_order(segments: Sequence[Segment]) -> list[Segment]:
    """Segments ordered so that each comes after every segment its ``in_segment`` nodes read.

    Ties keep definition order. Assumes ``reference_problems`` found nothing.
    """
    by_id = {segment.id: segment for segment in segments}
    placed: set[str] = set()
    ordered: list[Segment] = []

    def place(segment: Segment) -> None:
        if segment.id in placed:
            return
        placed.add(segment.id)
        for _path, target in references(segment):
            place(by_id[target])
        ordered.append(segment)

    for segment in segments:
        place(segment)
    return ordered
