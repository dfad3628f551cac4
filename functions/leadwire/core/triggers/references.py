"""Checks across the trigger list: unique ids, known segments, known email templates, and
``emit_event`` loops."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from leadwire.core.rules.conditions import InSegmentNode, walk
from leadwire.core.rules.errors import Problem, format_path

if TYPE_CHECKING:
    from leadwire.core.triggers.definitions import Trigger


def _duplicate_ids(raw_list: Sequence[Any]) -> list[Problem]:
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(raw_list):
        trigger_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(trigger_id, str):
            continue
        if trigger_id in first:
            message = f"duplicate trigger id '{trigger_id}' (first at triggers[{first[trigger_id]}])"
            problems.append({"path": f"triggers[{index}].id", "message": message})
        first.setdefault(trigger_id, index)
    return problems


def _unknown_segments(index: int, trigger: Trigger, segment_ids: set[str] | frozenset[str]) -> list[Problem]:
    problems: list[Problem] = []
    segment_id = trigger.segment_id
    if segment_id is not None and segment_id not in segment_ids:
        path = f"triggers[{index}].on.{trigger.kind}"
        problems.append({"path": path, "message": f"unknown segment '{segment_id}'"})
    if trigger.only_if is not None:
        for path, node in walk(trigger.only_if, f"triggers[{index}].only_if"):
            if isinstance(node, InSegmentNode) and node.in_segment not in segment_ids:
                message = f"unknown segment '{node.in_segment}'"
                problems.append({"path": f"{path}.in_segment", "message": message})
    return problems


_NO_TEMPLATES = {
    "email": "none (add templates/<id>.yaml beside the config)",
    "sms": "none (add an sms_templates section to the config)",
}


def _unknown_templates(
    index: int, trigger: Trigger, template_ids: Collection[str], action_type: str = "email"
) -> list[Problem]:
    problems: list[Problem] = []
    for loc, action in trigger.action_paths():
        template = getattr(action, "template", None) if action.type == action_type else None
        if template is not None and template not in template_ids:
            known = ", ".join(sorted(template_ids)) or _NO_TEMPLATES[action_type]
            message = f"unknown template '{template}'; known: {known}"
            problems.append({"path": format_path(["triggers", index, *loc, "template"]), "message": message})
    return problems


def _looping_event(trigger: Trigger) -> str | None:
    """The ``on`` event of a trigger that re-fires on every such event: no ``where``, every time."""
    on = trigger.on_event
    if on is None or on.where or trigger.reentry_policy != "every_time":
        return None
    return on.event


def _event_loops(parsed: Mapping[int, Trigger]) -> list[Problem]:
    """``emit_event`` actions that start their own trigger again, directly or through others.

    Only triggers that would re-fire unconditionally count: a ``where``, a ``reentry`` limit or a
    segment in between can break the loop, so those are left to the author.
    """
    looping = {index: event for index, trigger in parsed.items() if (event := _looping_event(trigger))}
    edges: dict[str, set[str]] = {}
    for index, source in looping.items():
        for _loc, action in parsed[index].action_paths():
            if action.type == "emit_event":
                edges.setdefault(source, set()).add(action.event)
    problems: list[Problem] = []
    for index, start in sorted(looping.items()):
        for loc, action in parsed[index].action_paths():
            if action.type != "emit_event":
                continue
            route = _route(edges, action.event, start)
            if route is not None:
                chain = " -> ".join([start, *route])
                message = (
                    f"emits '{action.event}', which starts this trigger again ({chain}) without end; "
                    "add a 'where', a 'reentry' limit, or emit another event"
                )
                problems.append({"path": format_path(["triggers", index, *loc, "event"]), "message": message})
    return problems


def _route(edges: Mapping[str, set[str]], origin: str, target: str) -> list[str] | None:
    """Event names from ``origin`` to ``target`` along ``edges`` (both ends included), if any."""
    parents: dict[str, str | None] = {origin: None}
    queue = deque([origin])
    while queue:
        current = queue.popleft()
        if current == target:
            route: list[str] = []
            step: str | None = current
            while step is not None:
                route.append(step)
                step = parents[step]
            return route[::-1]
        for following in sorted(edges.get(current, ())):
            if following not in parents:
                parents[following] = current
                queue.append(following)
    return None


def list_problems(
    raw_list: Sequence[Any],
    parsed: Mapping[int, Trigger],
    segment_ids: set[str] | frozenset[str],
    template_ids: Collection[str] | None = None,
    sms_template_ids: Collection[str] | None = None,
) -> list[Problem]:
    """Problems across triggers; email (SMS) templates are checked only when ``template_ids``
    (``sms_template_ids``) is given."""
    problems = _duplicate_ids(raw_list)
    for index, trigger in sorted(parsed.items()):
        problems.extend(_unknown_segments(index, trigger, segment_ids))
        if template_ids is not None:
            problems.extend(_unknown_templates(index, trigger, template_ids))
        if sms_template_ids is not None:
            problems.extend(_unknown_templates(index, trigger, sms_template_ids, "sms"))
    problems.extend(_event_loops(parsed))
    return problems
