"""Which nodes a segment may hold at its level: an account segment reads its account (``score``,
``trait``, ``leads``), a lead segment its lead (and, through ``account``/``account_trait``, its
account), and an ``in_segment`` or ``leads.in_segment`` names a segment of the level it reads."""

from __future__ import annotations

from collections.abc import Sequence

from leadwire.core.rules.conditions import (
    AllNode,
    AnyNode,
    InSegmentNode,
    LeadsNode,
    NotNode,
    ScoreNode,
    TraitNode,
    walk,
)
from leadwire.core.rules.errors import Problem, problem
from leadwire.core.rules.segment_models import Segment

ACCOUNT_NODES = (AllNode, AnyNode, NotNode, ScoreNode, TraitNode, LeadsNode)


def level_problems(segments: Sequence[Segment]) -> list[Problem]:
    levels: dict[str, str] = {segment.id: segment.level for segment in segments}
    problems: list[Problem] = []
    for index, segment in enumerate(segments):
        for root_name in ("condition", "exit_when"):
            root = getattr(segment, root_name)
            if root is None:
                continue
            for loc, node in walk(root, ("segments", index, root_name)):
                message = _problem(segment.level, node, levels)
                if message is not None:
                    problems.append(problem((*loc, node.KIND), message))
    return problems


def _problem(level: str, node: object, levels: dict[str, str]) -> str | None:
    if level == "account" and not isinstance(node, ACCOUNT_NODES):
        kinds = ", ".join(kind.KIND for kind in ACCOUNT_NODES)
        return f"an account segment's condition takes only {kinds}"
    if level == "lead" and isinstance(node, LeadsNode):
        return '\'leads\' counts an account\'s leads: use it in a segment with "level": "account"'
    if isinstance(node, LeadsNode) and node.leads.in_segment not in levels:
        return f"unknown segment '{node.leads.in_segment}'"
    if isinstance(node, LeadsNode) and levels[node.leads.in_segment] != "lead":
        return f"'{node.leads.in_segment}' is an account segment: 'leads' counts leads in a lead segment"
    if isinstance(node, InSegmentNode) and levels.get(node.in_segment, "lead") != "lead":
        return f"'{node.in_segment}' is an account segment: a lead segment cannot be in it"
    return None
