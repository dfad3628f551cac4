"""Checks across the trigger list: unique ids, known segments, known email templates,
``emit_event`` loops, and what a trigger on an account segment can do.

A trigger on entering or leaving an account segment fires for the account (``account:<id>``),
which has no address, no consent and no events of its own: it hands the account over (Slack,
HubSpot, a webhook, the bus) and its ``only_if`` reads the account. Actions addressed to a lead
(email, SMS, on-site, ``emit_event``) and waits for an event are refused here, naming the field,
rather than doing nothing at fire time."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from leadwire.core.rules.conditions import InSegmentNode, LeadsNode, walk
from leadwire.core.rules.errors import Problem, problem
from leadwire.core.rules.levels import ACCOUNT_NODES
from leadwire.core.triggers.models import Trigger


def _duplicate_ids(raw_list: Sequence[Any]) -> list[Problem]:
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(raw_list):
        trigger_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(trigger_id, str):
            continue
        if trigger_id in first:
            message = f"duplicate trigger id '{trigger_id}' (first at triggers[{first[trigger_id]}])"
            problems.append(problem(("triggers", index, "id"), message))
        first.setdefault(trigger_id, index)
    return problems


def _unknown_segments(index: int, trigger: Trigger, segment_ids: set[str] | frozenset[str]) -> list[Problem]:
    problems: list[Problem] = []
    segment_id = trigger.segment_id
    if segment_id is not None and segment_id not in segment_ids:
        problems.append(problem(("triggers", index, "on", trigger.kind), f"unknown segment '{segment_id}'"))
    if trigger.only_if is not None:
        for loc, node in walk(trigger.only_if, ("triggers", index, "only_if")):
            if isinstance(node, InSegmentNode) and node.in_segment not in segment_ids:
                message = f"unknown segment '{node.in_segment}'"
                problems.append(problem((*loc, "in_segment"), message))
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
            problems.append(problem(("triggers", index, *loc, "template"), message))
    return problems


ACCOUNT_ACTION_TYPES: tuple[str, ...] = ("slack", "hubspot", "webhook", "eventbridge")
"""What a trigger on an account segment may do: hand the account to another system."""


def _account_trigger_problems(
    index: int, trigger: Trigger, account_segments: Collection[str], counted: Collection[str]
) -> list[Problem]:
    if trigger.segment_id is None or trigger.segment_id not in account_segments:
        return []
    problems: list[Problem] = []
    allowed = ", ".join(ACCOUNT_ACTION_TYPES)
    for loc, action in trigger.action_paths():
        if action.type not in ACCOUNT_ACTION_TYPES:
            message = (
                f"{action.type} needs a lead; '{trigger.segment_id}' is an account segment, "
                f"and account triggers can use {allowed}"
            )
            problems.append(problem(("triggers", index, *loc, "type"), message))
    if trigger.wait is not None:
        message = "an account performs no events to wait for; use 'delay' on an account trigger"
        problems.append(problem(("triggers", index, "wait"), message))
    if trigger.only_if is not None:
        kinds = ", ".join(kind.KIND for kind in ACCOUNT_NODES)
        for where, node in walk(trigger.only_if, ("triggers", index, "only_if")):
            if not isinstance(node, ACCOUNT_NODES):
                message = f"an account trigger's only_if reads the account: it takes only {kinds}"
                problems.append(problem((*where, node.KIND), message))
            elif isinstance(node, LeadsNode) and node.leads.in_segment not in counted:
                known = ", ".join(sorted(counted)) or "none"
                message = (
                    f"accounts keep no count of '{node.leads.in_segment}': only_if can count leads in "
                    f"the lead segments account segments count ({known})"
                )
                problems.append(problem((*where, "leads", "in_segment"), message))
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
                problems.append(problem(("triggers", index, *loc, "event"), message))
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
    account_segment_ids: Collection[str] = frozenset(),
    counted_segment_ids: Collection[str] = frozenset(),
) -> list[Problem]:
    """Problems across triggers; email (SMS) templates are checked only when ``template_ids``
    (``sms_template_ids``) is given; ``account_segment_ids``: the segments of level account,
    ``counted_segment_ids``: the lead segments accounts keep member counts of."""
    problems = _duplicate_ids(raw_list)
    for index, trigger in sorted(parsed.items()):
        problems.extend(_unknown_segments(index, trigger, segment_ids))
        problems.extend(_account_trigger_problems(index, trigger, account_segment_ids, counted_segment_ids))
        if template_ids is not None:
            problems.extend(_unknown_templates(index, trigger, template_ids))
        if sms_template_ids is not None:
            problems.extend(_unknown_templates(index, trigger, sms_template_ids, "sms"))
    problems.extend(_event_loops(parsed))
    return problems
