"""SMS templates: the ``sms_templates`` section checked at load with paths, and sms actions that
name unknown templates refused like email's."""

import pytest

from leadwire.config_loader import triggers_of
from leadwire.core.email.templates import TemplateRenderError
from leadwire.core.rules import parse_definitions
from leadwire.core.sms.templates import SmsTemplateError, parse_sms_templates
from leadwire.core.triggers import TriggerDefinitionError
from leadwire.core.triggers.models import SmsAction

DEFINITIONS = parse_definitions(
    {"segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}]}
)


def _document(template: str) -> dict:
    return {
        "segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}],
        "triggers": [
            {"id": "text-hot", "on": {"enter": "hot"}, "actions": [{"type": "sms", "template": template}]}
        ],
        "sms_templates": {
            "hello": {"text": "Hi {{ traits.first_name | default('there') }}, reply STOP to opt out"}
        },
    }


def test_a_template_renders_with_the_lead_traits():
    templates = parse_sms_templates(
        {"hello": {"text": "Hi {{ traits.first_name }}!", "description": "greeting"}}
    )
    assert templates["hello"].render({"traits": {"first_name": "Ann"}}) == "Hi Ann!"
    assert templates["hello"].description == "greeting"


def test_a_missing_variable_is_a_render_error_not_an_empty_text():
    template = parse_sms_templates({"hello": {"text": "Hi {{ traits.first_name }}!"}})["hello"]
    with pytest.raises(TemplateRenderError):
        template.render({"traits": {}})


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"hello": {"text": "Hi {{ traits.name "}}, "sms_templates.hello.text"),
        ({"hello": {"text": ""}}, "sms_templates.hello.text"),
        ({"hello": {"text": "x" * 1601}}, "sms_templates.hello.text"),
        ({"hello": {"text": "hi", "subject": "no"}}, "sms_templates.hello.subject"),
        ({"bad id!": {"text": "hi"}}, "sms_templates.bad id!"),
        ({"hello": "hi"}, "sms_templates.hello"),
        (["hello"], "sms_templates"),
    ],
)
def test_a_bad_template_names_its_path(raw, path):
    with pytest.raises(SmsTemplateError) as error:
        parse_sms_templates(raw)
    assert path in [problem["path"] for problem in error.value.problems]


def test_an_sms_action_with_a_known_template_parses():
    (trigger,) = triggers_of(_document("hello"), DEFINITIONS)
    assert trigger.actions == [SmsAction(type="sms", template="hello")]


def test_an_sms_action_with_an_unknown_template_is_refused_with_its_path():
    with pytest.raises(TriggerDefinitionError) as error:
        triggers_of(_document("bye"), DEFINITIONS)
    (problem,) = error.value.problems
    assert problem["path"] == "triggers[0].actions[0].template"
    assert "unknown template 'bye'; known: hello" in problem["message"]


def test_email_templates_do_not_satisfy_an_sms_action():
    document = {**_document("welcome"), "templates": {"welcome": {}}}
    with pytest.raises(TriggerDefinitionError):
        triggers_of(document, DEFINITIONS)


def test_the_config_loader_names_the_section_as_the_templates_do():
    # The loader keeps its own copy so that loading a config does not import jinja2
    from leadwire.config_loader import SMS_SECTION
    from leadwire.core.sms.templates import SECTION

    assert SMS_SECTION == SECTION
