"""What a lead's evaluation may read of its account: its traits and its score at an instant.

The engine passes one in when the definitions hold ``account``/``account_trait`` nodes and the
lead belongs to an account (see ``leadwire.core.accounts``); without one those nodes are false.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadwire.core.rules.conditions import AccountNode, AccountTraitNode, Condition, walk


@dataclass(frozen=True)
class AccountView:
    account_id: str
    traits: Mapping[str, Any] = field(default_factory=dict)
    score: Callable[[datetime], float] = lambda _at: 0.0


def reads_account(conditions: list[Condition | None]) -> bool:
    """Whether any of ``conditions`` has a node that reads the lead's account."""
    return any(
        isinstance(node, AccountNode | AccountTraitNode)
        for condition in conditions
        if condition is not None
        for _path, node in walk(condition)
    )
