"""Traits merged last-writer-wins per top-level key, by event time, so a late identify
cannot overwrite a newer value. Ties (same millisecond) go to the greater canonical JSON, so
the result never depends on arrival order. ``group`` traits merge under the ``group`` trait.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadwire.core.rules.canonical import canonical_json
from leadwire.core.rules.lead_state import LeadState

GROUP_TRAIT = "group"


def _newer(stamp: int, value: Any, old_stamp: int | None, old_value: Any) -> bool:
    if old_stamp is None or stamp > old_stamp:
        return True
    return stamp == old_stamp and canonical_json(value) > canonical_json(old_value)


def merge_traits(
    traits: dict[str, Any], stamps: dict[str, int], updates: Mapping[str, Any], at_ms: int, prefix: str = ""
) -> bool:
    """Merge ``updates`` set at ``at_ms``; ``prefix`` namespaces the stamps. True if anything changed."""
    changed = False
    for key, value in updates.items():
        stamp_key = prefix + key
        if _newer(at_ms, value, stamps.get(stamp_key), traits.get(key)):
            changed = changed or key not in traits or traits[key] != value
            traits[key] = value
            stamps[stamp_key] = at_ms
    return changed


def merge_group_traits(
    traits: dict[str, Any], stamps: dict[str, int], updates: Mapping[str, Any], at_ms: int
) -> bool:
    group = traits.get(GROUP_TRAIT)
    target = dict(group) if isinstance(group, dict) else {}
    changed = merge_traits(target, stamps, updates, at_ms, prefix=GROUP_TRAIT + ".")
    if changed:
        traits[GROUP_TRAIT] = target
    return changed


def link_account(state: LeadState, group_id: str | None, at_ms: int) -> None:
    """The lead belongs to the account of its newest ``group`` call (event time; ties: greater id)."""
    if not group_id:
        return
    if state.account_at is None or (at_ms, group_id) > (state.account_at, state.account or ""):
        state.account, state.account_at = group_id, at_ms
