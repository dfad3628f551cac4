"""Deterministic A/B bucketing: the same lead gets the same variant of a trigger, in every process.

Two independent SHA-256 draws over (trigger id, lead id): one decides the holdout, the other the
variant. Keeping them apart means changing ``holdout`` moves leads only in or out of the holdout
(nobody switches variant), and changing weights never moves anyone into or out of it. Python's
``hash()`` is salted per process, so it is never used here.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from itertools import accumulate

from leadwire.core.rules.canonical import canonical_json
from leadwire.core.triggers.models import Trigger, Variant

_SCALE = float(2**64)


def unit_draw(purpose: str, trigger_id: str, lead_id: str) -> float:
    """A number in [0, 1), uniform over lead ids and fixed for (purpose, trigger id, lead id)."""
    text = canonical_json([purpose, trigger_id, lead_id]).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") / _SCALE


def is_held_out(trigger: Trigger, lead_id: str) -> bool:
    """Whether the lead is in the trigger's holdout (``holdout`` percent of leads get nothing)."""
    return unit_draw("holdout", trigger.id, lead_id) * 100 < trigger.holdout


def choose_variant(trigger: Trigger, lead_id: str) -> Variant | None:
    """The lead's variant, by weight; ``None`` when it is held out.

    A trigger with plain ``actions`` has one variant, ``default``, holding them.
    """
    if is_held_out(trigger, lead_id):
        return None
    arms = trigger.arms
    bounds = list(accumulate(float(arm.weight) for arm in arms))
    point = unit_draw("variant", trigger.id, lead_id) * bounds[-1]
    return arms[min(bisect_right(bounds, point), len(arms) - 1)]
