"""The base of every definition model: unknown keys refused, nothing changed after parsing.

Its own module, so a context that parses one small definition (the on-site message, an email
template's front matter) does not import the whole rules package to get it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Definitions refuse unknown keys and never change after parsing."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
