"""Base for the stored lead-state models: short keys in JSON, readable names in code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CompactModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )
