"""Secret references: where a secret lives, never the secret itself.

``env:NAME`` (an environment variable: ``leadwire local`` only), ``ssm:/parameter/path`` (an SSM
SecureString parameter) or ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME``. Definitions
validate them, the stack grants exactly the ones its bundled config names, the actions function
resolves them and ``leadwire doctor`` checks they exist: all through this one type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Store = Literal["env", "ssm", "secretsmanager"]

PATTERN: Final = re.compile(
    r"^(?:env:(?P<env>[A-Za-z_][A-Za-z0-9_]*)"
    r"|ssm:(?P<ssm>/[A-Za-z0-9_.\-/]+)"
    r"|(?P<secretsmanager>arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+))$"
)
FORMS: Final = "env:NAME, ssm:/parameter/path or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"


@dataclass(frozen=True, slots=True)
class SecretReference:
    store: Store
    name: str  # the variable name, the parameter path (from its leading /) or the secret's ARN

    @classmethod
    def parse(cls, text: str) -> SecretReference | None:
        """The reference ``text`` spells, or ``None`` if it is not one (a literal URL, say)."""
        match = PATTERN.match(text)
        if match is None:
            return None
        store: Store = next(s for s in ("env", "ssm", "secretsmanager") if match[s] is not None)
        return cls(store, match[store])

    def __str__(self) -> str:
        return {"env": f"env:{self.name}", "ssm": f"ssm:{self.name}", "secretsmanager": self.name}[self.store]

    @property
    def parameter_name(self) -> str:
        """The SSM parameter's ARN resource name (its path without the leading /)."""
        return self.name.removeprefix("/")


def is_reference(text: str) -> bool:
    """A secret reference, not a literal: what a webhook's ``secret`` always is and its ``url`` may be."""
    return PATTERN.match(text) is not None
