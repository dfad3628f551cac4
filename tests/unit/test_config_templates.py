"""Config loading with email templates: templates/<id>.yaml, a templates: section, the delivery
section, and triggers whose email actions must name a known template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadwire.config_loader import (
    ConfigError,
    definitions_of,
    load_config_dir,
    template_origins,
    templates_of,
    triggers_of,
)
from leadwire.core.email.templates import TemplateDefinitionError, email_context
from leadwire.core.triggers import TriggerDefinitionError

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "default"
DEFAULT_TEMPLATES = (
    "birthday",
    "cart-reminder",
    "cart-reminder-discount",
    "trial-activation-tips",
    "we-miss-you",
    "welcome",
)
WELCOME = "subject: Welcome {{ traits.first_name | default('there') }}\ntext: Hello\nhtml: <p>Hello</p>\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _email_trigger(trigger_id: str, template: str) -> dict[str, Any]:
    return {"id": trigger_id, "on": {"event": "signup"}, "actions": [{"type": "email", "template": template}]}


def _triggers(config: Path, *triggers: dict[str, Any]) -> None:
    _write(config / "triggers.json", json.dumps({"triggers": list(triggers)}))


def test_template_files_join_the_document_by_file_stem(tmp_path: Path) -> None:
    # Given templates/welcome.yaml and templates/cart-reminder.json beside the config
    _write(tmp_path / "templates" / "welcome.yaml", WELCOME)
    _write(
        tmp_path / "templates" / "cart-reminder.json", json.dumps({"subject": "s", "text": "t", "html": "h"})
    )
    _write(tmp_path / "templates" / "notes.md", "not a template")
    # When the directory is loaded
    document = load_config_dir(tmp_path)
    # Then each is a template named by its file's stem
    assert sorted(document["templates"]) == ["cart-reminder", "welcome"]
    rendered = templates_of(document)["welcome"].render(email_context("l", {}, {}, "t", "d", None))
    assert rendered.subject == "Welcome there"


def test_a_templates_section_in_a_config_file_is_accepted(tmp_path: Path) -> None:
    _write(tmp_path / "mail.yaml", "templates:\n  promo: {subject: s, text: t, html: h}\n")
    assert load_config_dir(tmp_path)["templates"] == {"promo": {"subject": "s", "text": "t", "html": "h"}}


def test_without_templates_or_delivery_the_document_is_as_before(tmp_path: Path) -> None:
    _write(tmp_path / "segments.yaml", "segments: []\n")
    assert load_config_dir(tmp_path) == {"segments": [], "triggers": []}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "mail.yaml": "templates:\n  welcome: {subject: s, text: t, html: h}\n",
                "templates/welcome.yaml": WELCOME,
            },
            r"templates/welcome\.yaml: template 'welcome' is already defined in mail\.yaml",
        ),
        (
            {
                "templates/welcome.json": '{"subject": "s", "text": "t", "html": "h"}',
                "templates/welcome.yaml": WELCOME,
            },
            r"templates/welcome\.yaml: template 'welcome' is already defined in templates/welcome\.json",
        ),
        (
            {
                "a.yaml": "templates:\n  promo: {subject: s, text: t, html: h}\n",
                "b.yaml": "templates:\n  promo: {subject: s, text: t, html: h}\n",
            },
            r"b\.yaml: template 'promo' is already defined in a\.yaml",
        ),
        (
            {"templates/welcome.yaml": "- just\n- a list\n"},
            r"templates/welcome\.yaml: a template file is a mapping",
        ),
        ({"templates/welcome.yaml": "subject: [unclosed\n"}, r"templates/welcome\.yaml: not valid YAML"),
        ({"mail.yaml": "templates: [welcome]\n"}, r"mail\.yaml: templates must be a mapping"),
        (
            {"a.yaml": "delivery: {}\n", "b.yaml": "delivery: {}\n"},
            r"b\.yaml: delivery is already defined in a\.yaml",
        ),
        ({"a.yaml": "delivery: [quiet]\n"}, r"a\.yaml: delivery must be a mapping"),
        ({"a.yaml": "deliveries: {}\n"}, r"a\.yaml: unknown section\(s\) \['deliveries'\]"),
    ],
    ids=[
        "file-and-section",
        "two-suffixes",
        "two-sections",
        "not-a-mapping",
        "bad-yaml",
        "section-not-a-mapping",
        "two-deliveries",
        "delivery-not-a-mapping",
        "unknown-section",
    ],
)
def test_refused_template_and_delivery_layouts_name_the_files(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    with pytest.raises(ConfigError, match=expected):
        load_config_dir(tmp_path)


def test_delivery_is_merged_raw(tmp_path: Path) -> None:
    _write(tmp_path / "delivery.yaml", "delivery:\n  email: {from_address: hello@example.com}\n")
    assert load_config_dir(tmp_path)["delivery"] == {"email": {"from_address": "hello@example.com"}}


def test_an_email_action_with_an_unknown_template_is_refused_with_its_path(tmp_path: Path) -> None:
    # Given the welcome template, and triggers whose email actions name it, a typo of it, and
    # (inside a variant) a template that does not exist
    _write(tmp_path / "templates" / "welcome.yaml", WELCOME)
    variant = {
        "id": "ab",
        "on": {"event": "signup"},
        "variants": [
            {"name": "a", "weight": 1, "actions": [{"type": "email", "template": "welcome"}]},
            {"name": "b", "weight": 1, "actions": [{"type": "email", "template": "ghost"}]},
        ],
    }
    _triggers(tmp_path, _email_trigger("ok", "welcome"), _email_trigger("typo", "welcom"), variant)
    document = load_config_dir(tmp_path)
    # When the triggers are validated
    with pytest.raises(TriggerDefinitionError) as refused:
        triggers_of(document, definitions_of(document))
    # Then each unknown template is named at its exact path, with the known ones
    assert [(p["path"], p["message"]) for p in refused.value.problems] == [
        ("triggers[1].actions[0].template", "unknown template 'welcom'; known: welcome"),
        ("triggers[2].variants[1].actions[0].template", "unknown template 'ghost'; known: welcome"),
    ]


def test_without_any_template_an_email_action_is_refused(tmp_path: Path) -> None:
    _triggers(tmp_path, _email_trigger("mail", "welcome"))
    document = load_config_dir(tmp_path)
    with pytest.raises(
        TriggerDefinitionError, match=r"triggers\[0\]\.actions\[0\]\.template: unknown template"
    ):
        triggers_of(document, definitions_of(document))


def test_a_bad_template_is_refused_by_templates_of(tmp_path: Path) -> None:
    _write(tmp_path / "templates" / "welcome.yaml", "subject: '{{ oops'\ntext: t\nhtml: h\n")
    with pytest.raises(TemplateDefinitionError) as refused:
        templates_of(load_config_dir(tmp_path))
    assert [p["path"] for p in refused.value.problems] == ["templates.welcome.subject"]


def test_template_origins_name_the_defining_file(tmp_path: Path) -> None:
    _write(tmp_path / "templates" / "welcome.yaml", WELCOME)
    _write(tmp_path / "mail.yaml", "templates:\n  promo: {subject: s, text: t, html: h}\n")
    assert template_origins(tmp_path) == {"welcome": "templates/welcome.yaml", "promo": "mail.yaml"}


def test_the_default_config_ships_its_templates_and_they_render_for_a_bare_lead() -> None:
    # Given config/default
    document = load_config_dir(DEFAULT_CONFIG)
    templates = templates_of(document)
    triggers_of(document, definitions_of(document))
    # Then it has the five default templates, each rendering with no traits at all (every trait has
    # a default), with an unsubscribe link in the HTML
    assert sorted(templates) == list(DEFAULT_TEMPLATES)
    for template in templates.values():
        rendered = template.render(email_context("lead-1", {}, {"cart_id": "c-1"}, "t", "d", None))
        assert rendered.subject
        assert rendered.text.strip()
        assert "Unsubscribe" in rendered.html
    cart = templates["cart-reminder"].render(
        email_context("lead-1", {"first_name": "Ana"}, {"cart_id": "c-1"}, "t", "d", None)
    )
    assert "Hi Ana" in cart.text
    assert "/cart/c-1" in cart.text
