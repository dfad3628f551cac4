"""The timer state machine's definition: one ASL file for the CDK stack and for ``leadwire local``.

The stack deploys ``DEFINITION_PATH`` with ``DefinitionBody.from_file`` and
``definition_substitutions={TABLE_NAME_PLACEHOLDER: table.table_name}``; the local runtime calls
``load_definition`` on the same file, which substitutes the same placeholder the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

DEFINITION_PATH: Final = Path(__file__).with_name("timer.asl.json")
TABLE_NAME_PLACEHOLDER: Final = "TableName"
_PLACEHOLDER_TEXT: Final = "${" + TABLE_NAME_PLACEHOLDER + "}"


def load_definition(table_name: str) -> str:
    """The definition as a JSON string, ready for ``create_state_machine``, on table ``table_name``."""
    if not table_name:
        raise ValueError("table_name must not be empty")
    text = DEFINITION_PATH.read_text(encoding="utf-8")
    # The placeholder always sits inside a JSON string: substitute the name JSON-escaped.
    substituted = text.replace(_PLACEHOLDER_TEXT, json.dumps(table_name)[1:-1])
    if "${" in substituted:
        raise ValueError(f"{DEFINITION_PATH.name} has a placeholder that load_definition does not fill")
    return substituted
