"""Email templates: parsed with exact problem paths, rendered strictly, escaped in HTML, sandboxed."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire.core.email.templates import (
    MAX_SUBJECT,
    CompiledTemplate,
    TemplateDefinitionError,
    TemplateRenderError,
    email_context,
    parse_templates,
)


def template(subject: str = "Hi", text: str = "Hello", html: str = "<p>Hello</p>") -> CompiledTemplate:
    return parse_templates({"t": {"subject": subject, "text": text, "html": html}})["t"]


def context(traits: dict[str, Any] | None = None, event: dict[str, Any] | None = None, **extra: Any) -> Any:
    return email_context("ana@example.com", traits or {}, event or {}, "cart-abandonment", "f1-0", 42, extra)


def problems_of(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(TemplateDefinitionError) as refused:
        parse_templates(raw)
    return [(problem["path"], problem["message"]) for problem in refused.value.problems]


# -- rendering -----------------------------------------------------------------------------------


def test_every_context_variable_renders() -> None:
    # Given a template reading each documented variable
    compiled = template(
        subject="{{ traits.first_name }} / {{ event.cart_id }}",
        text="{{ lead.id }} {{ lead.score }} {{ trigger.id }} {{ delivery_id }} {{ unsubscribe_url }}",
    )
    # When it renders for a lead
    rendered = compiled.render(context({"first_name": "Ana"}, {"cart_id": "c1"}, unsubscribe_url="u"))
    # Then each has its value
    assert rendered.subject == "Ana / c1"
    assert rendered.text == "ana@example.com 42 cart-abandonment f1-0 u"


def test_html_escapes_traits_and_text_and_subject_do_not() -> None:
    # Given a trait holding markup
    compiled = template(
        subject="{{ traits.name }}", text="{{ traits.name }}", html="<p>{{ traits.name }}</p>"
    )
    # When it renders
    rendered = compiled.render(context({"name": "<script>alert(1)</script> & co"}))
    # Then only the HTML part escapes it
    assert rendered.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>"
    assert rendered.text == "<script>alert(1)</script> & co"
    assert rendered.subject == "<script>alert(1)</script> & co"


@pytest.mark.parametrize(
    ("traits", "expected"),
    [({"first_name": "Ana"}, "Hi Ana"), ({}, "Hi there")],
    ids=["present", "missing"],
)
def test_default_filter_covers_a_missing_trait(traits: dict[str, Any], expected: str) -> None:
    compiled = template(text='Hi {{ traits.first_name | default("there") }}')
    assert compiled.render(context(traits)).text == expected


def test_optional_blocks_read_missing_traits_as_false_and_none_prints_nothing() -> None:
    compiled = template(
        text="{% if traits.company %}at {{ traits.company }}{% else %}solo{% endif %}{{ traits.x }}"
    )
    assert compiled.render(context({"x": None})).text == "solo"
    assert compiled.render(context({"company": "Acme", "x": None})).text == "at Acme"


@pytest.mark.parametrize(
    ("part", "source", "variable"),
    [
        ("text", "Hi {{ traits.first_name }}", "traits.first_name"),
        ("html", "{{ traits.address.city }}", "traits.address"),
        ("subject", "Cart {{ event.cart_id }}", "event.cart_id"),
        ("text", "{{ unsubscribe_url }}", "unsubscribe_url"),
        ("text", "{% for item in traits.items_bought %}{{ item }}{% endfor %}", "traits.items_bought"),
    ],
    ids=["trait", "nested", "event", "optional-root", "iterated"],
)
def test_a_missing_variable_without_default_names_template_part_and_variable(
    part: str, source: str, variable: str
) -> None:
    # Given a template that prints a variable the lead does not have
    compiled = template(**{part: source})
    # When it renders, Then it refuses, naming the template, the part and the variable
    with pytest.raises(TemplateRenderError) as refused:
        compiled.render(context())
    assert (refused.value.template_id, refused.value.part, refused.value.variable) == ("t", part, variable)
    assert f"template 't', {part}: '{variable}' is undefined" in str(refused.value)


def test_a_missing_key_below_a_present_mapping_names_its_full_path() -> None:
    compiled = template(text="{{ traits.address.city }}")
    with pytest.raises(TemplateRenderError) as refused:
        compiled.render(context({"address": {"street": "Main"}}))
    assert refused.value.variable == "traits.address.city"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ traits.__class__.__init__.__globals__ }}",
        "{{ lead.update({'id': 'x'}) }}",
    ],
    ids=["class", "subclasses", "globals", "mutation"],
)
def test_the_sandbox_refuses_python_internals_and_mutation(source: str) -> None:
    compiled = template(html=source)
    with pytest.raises(TemplateRenderError, match=r"template 't', html: .*(unsafe|refused)"):
        compiled.render(context({"a": 1}))


def test_a_type_error_while_rendering_is_a_render_error() -> None:
    compiled = template(text="{{ traits.name + 1 }}")
    with pytest.raises(TemplateRenderError, match="template 't', text: TypeError"):
        compiled.render(context({"name": "Ana"}))


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Ana\r\nBcc: victim@example.com", "Hello Ana Bcc: victim@example.com"),
        ("Ana\n\n", "Hello Ana"),
        ("Ana\u2028X\x00", "Hello Ana X"),
    ],
    ids=["crlf", "trailing", "unicode-separator-and-nul"],
)
def test_the_subject_is_one_line_whatever_a_trait_holds(name: str, subject: str) -> None:
    compiled = template(subject="Hello\n{{ traits.name }}")
    assert compiled.render(context({"name": name})).subject == subject


def test_the_subject_is_at_most_998_characters_and_never_empty() -> None:
    assert len(template(subject="{{ traits.s }}").render(context({"s": "x" * 5000})).subject) == MAX_SUBJECT
    with pytest.raises(TemplateRenderError, match="subject: renders empty"):
        template(subject="{{ traits.s }}").render(context({"s": " \n "}))


def test_extra_variables_cannot_replace_built_in_ones() -> None:
    with pytest.raises(ValueError, match="traits"):
        email_context("a", {}, {}, "t", "d", None, {"traits": {}})


def test_rendering_does_not_change_the_callers_context() -> None:
    traits = {"tags": ["a"], "address": {"city": "Lisbon"}}
    variables = context(traits)
    template(text="{{ traits.address.city }}").render(variables)
    assert variables["traits"] == traits
    assert type(variables["traits"]["address"]) is dict


# -- parsing -------------------------------------------------------------------------------------


def test_parse_collects_every_problem_with_its_path() -> None:
    # Given templates with an unknown key, a missing part, a syntax error, an empty part and a bad id
    raw = {
        "welcome": {
            "subject": "Hi",
            "text": "ok",
            "html": "<p>\n{{ traits.first_name }\n</p>",
            "footer": "x",
        },
        "cart-reminder": {"subject": "Hi", "text": "  "},
        "bad id": {"subject": "Hi", "text": "t", "html": "h"},
        "numbers": {"subject": 3, "text": "t", "html": "h", "description": 7},
    }
    # When they are parsed, Then every problem is listed at its path
    assert problems_of(raw) == [
        ("templates.welcome.footer", "unknown key; a template has subject, text, html, description"),
        ("templates.welcome.html", "line 2: unexpected '}'"),
        ("templates.cart-reminder.text", "must not be empty"),
        ("templates.cart-reminder.html", "required"),
        ("templates['bad id']", "a template id is 1 to 64 letters, digits, '_' or '-'"),
        ("templates.numbers.description", "a description is text of at most 2000 characters"),
        ("templates.numbers.subject", "must be text"),
    ]


def test_a_refusal_is_a_value_error_with_problems() -> None:
    with pytest.raises(ValueError, match=r"templates\.t\.text: required") as refused:
        parse_templates({"t": {"subject": "s", "html": "h"}})
    assert isinstance(refused.value, TemplateDefinitionError)


def test_an_unknown_variable_is_refused_at_parse_time() -> None:
    # Given a typo: "trait" for "traits" (set and loop variables are the template's own)
    raw = {
        "t": {
            "subject": "s",
            "html": "h",
            "text": "{% set n = 1 %}{{ n }}{% for x in traits.tags %}{{ x }}{% endfor %}"
            "{{ trait.first_name }}",
        }
    }
    assert problems_of(raw) == [
        (
            "templates.t.text",
            "unknown variable(s) trait; templates can read lead, traits, event, trigger, delivery_id, "
            "unsubscribe_url",
        )
    ]


def test_an_unknown_filter_is_refused_at_parse_time() -> None:
    [(path, message)] = problems_of({"t": {"subject": "{{ lead.id | shout }}", "text": "t", "html": "h"}})
    assert path == "templates.t.subject"
    assert "shout" in message


@pytest.mark.parametrize("raw", [["welcome"], "welcome"], ids=["list", "text"])
def test_templates_must_be_a_mapping(raw: Any) -> None:
    assert problems_of(raw) == [("templates", "must be a mapping of template id -> template")]


def test_nothing_to_parse_is_no_templates() -> None:
    assert parse_templates(None) == {}
    assert parse_templates({}) == {}


def test_the_description_is_kept() -> None:
    parsed = parse_templates({"t": {"subject": "s", "text": "t", "html": "h", "description": "why"}})["t"]
    assert parsed.description == "why"
    assert parsed.source.subject == "s"
