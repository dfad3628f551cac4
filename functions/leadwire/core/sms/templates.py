"""SMS templates: the ``sms_templates`` config section, ``{id: {text, description?}}``.

The text is a Jinja text template with the email templates' variables (``lead``, ``traits``,
``event``, ``trigger``), checked when the config loads and rendered per send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadwire.core.email.templates import render_text, text_template_problem
from leadwire.core.rules.errors import Problem, problem

SECTION = "sms_templates"
MAX_SMS_TEXT = 1600  # End User Messaging's MessageBody limit (ten concatenated parts)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FIELDS = frozenset({"text", "description"})


class SmsTemplateError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in problems))


@dataclass(frozen=True)
class SmsTemplate:
    template_id: str
    text: str
    description: str | None = None

    def render(self, variables: dict[str, Any]) -> str:
        """Raises ``TemplateRenderError`` when a variable the text needs is missing."""
        return render_text(f"{SECTION}.{self.template_id}.text", self.text, variables).strip()


def _problems_of(template_id: Any, raw: Any) -> list[Problem]:
    def at(message: str, *parts: str) -> Problem:
        shown = ".".join([SECTION, str(template_id), *parts])
        return problem((SECTION, str(template_id), *parts), message, shown=shown)

    if not isinstance(template_id, str) or not _ID.match(template_id):
        return [at("a template id is 1-64 letters, digits, '_' or '-'")]
    if not isinstance(raw, dict):
        return [at("an SMS template is a mapping of text (and description)")]
    problems: list[Problem] = [
        at("unknown field; allowed: text, description", str(key)) for key in sorted(set(raw) - _FIELDS)
    ]
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SMS_TEXT:
        message = f"required: non-empty text of at most {MAX_SMS_TEXT} characters"
        problems.append(at(message, "text"))
    elif (wrong := text_template_problem(text)) is not None:
        problems.append(at(wrong, "text"))
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(at("must be text", "description"))
    return problems


def parse_sms_templates(raw: Any) -> dict[str, SmsTemplate]:
    """The ``sms_templates`` section (absent: none); raises ``SmsTemplateError`` naming each path."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SmsTemplateError([problem((SECTION,), "a mapping of template id -> {text}")])
    problems = [found for key, value in raw.items() for found in _problems_of(key, value)]
    if problems:
        raise SmsTemplateError(problems)
    return {key: SmsTemplate(key, value["text"], value.get("description")) for key, value in raw.items()}
