"""Stable short ids for parts of a definition, so lead state survives definition reloads."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return value


def canonical_json(value: Any) -> str:
    """Key order, spacing and ``5`` vs ``5.0`` do not change the text."""
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def short_id(value: Any, length: int = 10) -> str:
    """The first ``length`` hex digits of SHA-256 over the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:length]
