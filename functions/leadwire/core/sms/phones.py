"""Phone numbers in E.164 (``+14155550100``): the only form End User Messaging accepts."""

from __future__ import annotations

import re
from typing import Any

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SEPARATORS = re.compile(r"[\s().-]")


def e164(value: Any) -> str | None:
    """The number in E.164, or None. Spaces, dots, dashes and brackets are dropped
    (``+1 (415) 555-0100``); a number without its ``+country`` prefix is not guessed."""
    if not isinstance(value, str):
        return None
    number = _SEPARATORS.sub("", value.strip())
    return number if _E164.match(number) else None
