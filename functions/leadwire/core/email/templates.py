"""Email templates as code: Jinja2 in a sandbox, checked when the config loads, rendered per lead.

A template is ``{subject, text, html}`` (all required, none empty) and an optional
``description``. Templates are marketers' text, not code: they render in Jinja2's immutable
sandbox, so ``{{ ''.__class__ }}`` and friends, and mutating the context, are refused.

Variables a template may read (``email_context`` builds them):

``lead``
    ``{"id", "score"}``: the lead's id and current score (``None`` when unknown).
``traits``
    The lead's traits as stored (``traits.first_name``, ``traits.company.name``).
``event``
    The properties of the event that started the trigger (its ``on`` event; for a ``wait`` the
    ``match`` values), ``{}`` for segment and anniversary triggers: ``event.cart_id``.
``trigger``
    ``{"id"}``: the trigger that fired.
``delivery_id``
    The delivery's id (the ``leadwire-delivery`` SES tag), the same on every retry.
``unsubscribe_url``
    Optional: the lead's unsubscribe link when the sender provides one. Use it with a default:
    ``{{ unsubscribe_url | default("#") }}``.

Anything else is refused when the template is parsed, so a typo (``trait.first_name``) stops the
config from loading rather than every send.

Missing values are strict: printing, iterating or reading into a variable that is not there
raises ``TemplateRenderError`` naming the template, the part and the variable, so a half-filled
email is never sent. Give optional values a default: ``{{ traits.first_name | default("there") }}``
(``default("there", true)`` also replaces an empty string). ``{% if traits.company %}`` is allowed
and false when the trait is missing. ``None`` prints as nothing.

The subject and text parts render without escaping; the HTML part autoescapes, so a trait holding
``<script>`` arrives as text. The rendered subject is one line (line breaks and runs of white
space collapse to one space: no header injection through a trait) of at most 998 characters.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Annotated, Any, Final, Literal

from jinja2 import Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, TemplateRuntimeError, UndefinedError
from jinja2.runtime import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing
from pydantic import Field

from leadwire.core.rules.errors import Problem, problem
from leadwire.core.strict_model import StrictModel

TEMPLATE_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PARTS: Final = ("subject", "text", "html")
FIELDS: Final = (*PARTS, "description")
CONTEXT_VARIABLES: Final = ("lead", "traits", "event", "trigger", "delivery_id", "unsubscribe_url")
TEXT_CONTEXT_VARIABLES: Final = ("lead", "traits", "event", "trigger", "delivery_id", "why", "account")
"""What a handoff's text template (a Slack message) reads: an email's variables, and ``why``."""
MAX_SUBJECT: Final = 998  # RFC 5322's line limit
MAX_DESCRIPTION: Final = 2000

Part = Literal["subject", "text", "html"]
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


class TemplateDefinitionError(ValueError):
    """Templates refused; ``.problems`` lists each as ``{"path", "message"}``
    (``templates.welcome.html``)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{problem['path']}: {problem['message']}" for problem in problems))


class TemplateRenderError(Exception):
    """A template that cannot render for this lead: a variable without a default is missing, or
    the sandbox refused an operation. ``variable`` is the missing variable's path when known."""

    def __init__(self, template_id: str, part: str, reason: str, variable: str | None = None) -> None:
        super().__init__(f"template '{template_id}', {part}: {reason}")
        self.template_id = template_id
        self.part = part
        self.reason = reason
        self.variable = variable


class EmailTemplate(StrictModel):
    """A template's source, as written in ``templates/<id>.yaml``."""

    subject: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]
    html: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] | None = None


# -- strict undefined, with the variable's full path -------------------------------------------


class _Scope(dict[str, Any]):
    """A context mapping that knows its own path (``traits.company``), so a missing key below it
    is reported as ``traits.company.name`` instead of "'dict object' has no attribute 'name'".
    The attribute starts with ``_``, which the sandbox never lets a template read."""

    __slots__ = ("_lw_path",)

    def __init__(self, path: str, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        self._lw_path = path


class _MissingVariable(UndefinedError):
    def __init__(self, message: str, variable: str | None) -> None:
        super().__init__(message)
        self.variable = variable


def _variable_path(obj: Any, name: Any) -> str | None:
    """``traits.company.name`` for a missing ``name`` read from ``obj`` (None when not ours)."""
    if name is None:
        return None
    if obj is missing:
        return str(name)
    if not isinstance(obj, _Scope):
        return None
    return f"{obj._lw_path}.{name}" if isinstance(name, str) else f"{obj._lw_path}[{name!r}]"


class _StrictUndefined(StrictUndefined):
    """Strict (printing, iterating, reading into it, comparing raise), except that
    ``{% if traits.x %}`` is false rather than an error. Its error names the variable's path."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[TemplateRuntimeError] = UndefinedError,
    ) -> None:
        if exc is UndefinedError:  # not a sandbox refusal (SecurityError): a missing variable
            exc = partial(_MissingVariable, variable=_variable_path(obj, name))  # type: ignore[assignment]
        super().__init__(hint, obj, name, exc)

    def __bool__(self) -> bool:  # type: ignore[override]
        if not isinstance(self._undefined_exception, partial):
            self._fail_with_undefined_error()
        return False

    @property
    def _undefined_message(self) -> str:
        variable = _variable_path(self._undefined_obj, self._undefined_name)
        if self._undefined_hint or variable is None:
            return str(super()._undefined_message)
        return f"'{variable}' is undefined; give it a default: {{{{ {variable} | default(...) }}}}"


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=_StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )


_PLAIN: Final = _environment(autoescape=False)
_HTML: Final = _environment(autoescape=True)


def _environment_of(part: str) -> ImmutableSandboxedEnvironment:
    return _HTML if part == "html" else _PLAIN


# -- compiled templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class CompiledTemplate:
    """A template parsed once (at config load) and rendered per lead."""

    id: str
    source: EmailTemplate
    subject: Template
    text: Template
    html: Template

    @property
    def description(self) -> str | None:
        return self.source.description

    def render(self, context: Mapping[str, Any]) -> RenderedEmail:
        """Render the three parts; raises ``TemplateRenderError`` when one cannot be rendered."""
        variables = {name: _scoped(name, value) for name, value in context.items()}
        subject = one_line_subject(self._render("subject", self.subject, variables))
        if not subject:
            raise TemplateRenderError(self.id, "subject", "renders empty")
        return RenderedEmail(
            subject=subject,
            text=self._render("text", self.text, variables),
            html=self._render("html", self.html, variables),
        )

    def _render(self, part: Part, template: Template, variables: dict[str, Any]) -> str:
        return _render_part(self.id, part, template, variables)


def _render_part(template_id: str, part: str, template: Template, variables: dict[str, Any]) -> str:
    try:
        return template.render(variables)
    except _MissingVariable as exc:
        raise TemplateRenderError(template_id, part, exc.message or str(exc), exc.variable) from None
    except SecurityError as exc:
        raise TemplateRenderError(template_id, part, f"refused by the sandbox: {exc}") from None
    except Exception as exc:  # a filter or an operator on the wrong type: this lead cannot get it
        raise TemplateRenderError(template_id, part, f"{type(exc).__name__}: {exc}") from None


# -- text templates (handoff messages) ---------------------------------------------------------


@lru_cache(maxsize=256)
def compile_text(source: str) -> Template:
    """A plain-text template written inline in a trigger (a Slack message), compiled once per
    process. Raises ``ValueError`` saying what is wrong (syntax, a variable it cannot read)."""
    try:
        tree = _PLAIN.parse(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.message}") from None
    unknown = sorted(meta.find_undeclared_variables(tree) - set(TEXT_CONTEXT_VARIABLES))
    if unknown:
        known = ", ".join(TEXT_CONTEXT_VARIABLES)
        raise ValueError(f"unknown variable(s) {', '.join(unknown)}; text templates can read {known}")
    return _PLAIN.from_string(tree)


def text_template_problem(source: str) -> str | None:
    """Why ``source`` cannot be a text template, or None."""
    try:
        compile_text(source)
    except ValueError as exc:
        return str(exc)
    return None


def render_text(label: str, source: str, context: Mapping[str, Any]) -> str:
    """Render a text template; raises ``TemplateRenderError`` (``label`` names it) as emails do."""
    variables = {name: _scoped(name, value) for name, value in context.items()}
    return _render_part(label, "text", compile_text(source), variables)


def _scoped(path: str, value: Any) -> Any:
    """A copy of a context value with every mapping made a ``_Scope`` (for exact error paths)."""
    if isinstance(value, Mapping):
        return _Scope(path, {str(k): _scoped(f"{path}.{k}", v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [_scoped(f"{path}[{index}]", item) for index, item in enumerate(value)]
    return value


def one_line_subject(subject: str) -> str:
    """Line breaks and white space runs become one space, control characters go, ends trimmed,
    at most ``MAX_SUBJECT`` characters: a subject can never start another header."""
    return _CONTROL.sub("", " ".join(subject.split()))[:MAX_SUBJECT].strip()


# -- parsing -----------------------------------------------------------------------------------


def _path(template_id: str, *parts: str) -> str:
    head = f"templates.{template_id}" if TEMPLATE_ID.match(template_id) else f"templates[{template_id!r}]"
    return ".".join([head, *parts])


def _problem(template_id: str, message: str, *parts: str) -> Problem:
    return problem(("templates", template_id, *parts), message, shown=_path(template_id, *parts))


def _compile(template_id: str, part: str, source: str, problems: list[Problem]) -> Template | None:
    environment = _environment_of(part)
    try:
        tree = environment.parse(source)
        unknown = sorted(meta.find_undeclared_variables(tree) - set(CONTEXT_VARIABLES))
        if unknown:
            message = (
                f"unknown variable(s) {', '.join(unknown)}; templates can read {', '.join(CONTEXT_VARIABLES)}"
            )
            problems.append(_problem(template_id, message, part))
            return None
        return environment.from_string(tree)
    except TemplateSyntaxError as exc:
        problems.append(_problem(template_id, f"line {exc.lineno}: {exc.message}", part))
        return None


def _parse_one(template_id: str, raw: Any, problems: list[Problem]) -> CompiledTemplate | None:
    if not TEMPLATE_ID.match(template_id):
        message = "a template id is 1 to 64 letters, digits, '_' or '-'"
        problems.append(_problem(template_id, message))
        return None
    if not isinstance(raw, Mapping):
        message = "a template is an object: subject, text, html"
        problems.append(_problem(template_id, message))
        return None
    before = len(problems)
    for key in raw:
        if key not in FIELDS:
            message = f"unknown key; a template has {', '.join(FIELDS)}"
            problems.append(_problem(template_id, message, str(key)))
    description = raw.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        message = f"a description is text of at most {MAX_DESCRIPTION} characters"
        problems.append(_problem(template_id, message, "description"))
    compiled: dict[str, Template] = {}
    for part in PARTS:
        source = raw.get(part)
        if source is None:
            problems.append(_problem(template_id, "required", part))
        elif not isinstance(source, str):
            problems.append(_problem(template_id, "must be text", part))
        elif not source.strip():
            problems.append(_problem(template_id, "must not be empty", part))
        elif (template := _compile(template_id, part, source, problems)) is not None:
            compiled[part] = template
    if len(problems) > before:
        return None
    return CompiledTemplate(
        id=template_id,
        source=EmailTemplate.model_validate({field: raw[field] for field in FIELDS if field in raw}),
        subject=compiled["subject"],
        text=compiled["text"],
        html=compiled["html"],
    )


def parse_templates(raw: Any) -> dict[str, CompiledTemplate]:
    """Validate and compile a ``templates`` mapping of template id -> ``{subject, text, html}``.

    Raises ``TemplateDefinitionError`` listing every problem, paths rooted at ``templates``
    (``templates.welcome.html: line 3: unexpected '}'``).
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise TemplateDefinitionError(
            [problem(("templates",), "must be a mapping of template id -> template")]
        )
    problems: list[Problem] = []
    templates: dict[str, CompiledTemplate] = {}
    for template_id, body in raw.items():
        compiled = _parse_one(str(template_id), body, problems)
        if compiled is not None:
            templates[compiled.id] = compiled
    if problems:
        raise TemplateDefinitionError(problems)
    return templates


# -- the context -------------------------------------------------------------------------------


def email_context(
    lead_id: str,
    traits: Mapping[str, Any],
    event_properties: Mapping[str, Any],
    trigger_id: str,
    delivery_id: str,
    score: float | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The variables a template renders with (see the module docstring). ``extra`` adds the
    optional ones (``unsubscribe_url``); it cannot replace the others."""
    context: dict[str, Any] = {
        "lead": {"id": lead_id, "score": score},
        "traits": dict(traits),
        "event": dict(event_properties),
        "trigger": {"id": trigger_id},
        "delivery_id": delivery_id,
    }
    for name, value in (extra or {}).items():
        if name in context:
            raise ValueError(f"extra variable {name!r} would replace a built-in one")
        context[name] = value
    return context


__all__ = [
    "CONTEXT_VARIABLES",
    "MAX_SUBJECT",
    "TEMPLATE_ID",
    "TEXT_CONTEXT_VARIABLES",
    "CompiledTemplate",
    "EmailTemplate",
    "RenderedEmail",
    "TemplateDefinitionError",
    "TemplateRenderError",
    "compile_text",
    "email_context",
    "one_line_subject",
    "parse_templates",
    "render_text",
    "text_template_problem",
]
