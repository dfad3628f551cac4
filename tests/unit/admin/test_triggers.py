"""Trigger changes through the admin use case: validated against the whole effective set, versioned."""

import pytest

from leadwire import config_loader
from leadwire.admin.segments import SegmentAdmin, SegmentInUse
from leadwire.admin.triggers import InvalidTrigger, TriggerAdmin, TriggerExists
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.dal.definition_store import DefinitionConflict

from .conftest import segment, trigger


def _problems(refused):
    return [(p["path"], p["triggerId"]) for p in refused.value.details["problems"]]


def test_list_shows_config_triggers_at_version_zero_and_api_ones_with_their_version(triggers: TriggerAdmin):
    triggers.create(trigger("docs-ping"))
    listed = {t.id: (t.source, t.version) for t in triggers.list()}
    assert listed == {
        "welcome-ready": ("config", 0),
        "pricing-ping": ("config", 0),
        "docs-ping": ("api", 1),
    }


def test_create_stores_version_one_and_invalidates_the_definitions(triggers: TriggerAdmin, store, source):
    created = triggers.create(trigger("docs-ping"))
    assert store.trigger_puts == [("docs-ping", trigger("docs-ping"), 0)]
    assert (created.id, created.source, created.version) == ("docs-ping", "api", 1)
    assert created.model_dump()["on"] == {"enter": "pricing"}
    assert source.invalidations >= 1


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"on": {"enter": "nowhere"}}, "on.enter"),
        ({"on": {"exit": "nowhere"}}, "on.exit"),
        (
            {"on": {"event": "x"}, "only_if": {"all": [{"in_segment": "nowhere"}]}},
            "only_if.all[0].in_segment",
        ),
        ({"on": {"event": "x"}, "delay": "1 hour"}, "delay"),
        ({"actions": [{"type": "fax"}]}, "actions[0].type"),
        (
            {"actions": [{"type": "webhook", "url": "https://x.example", "secret": "hunter2"}]},
            "actions[0].secret",
        ),
        ({"on": {"enter": "hot", "exit": "hot"}}, "on"),
        ({"actions": None}, "actions"),
    ],
)
def test_create_refuses_an_invalid_trigger_with_the_path_inside_it(
    triggers: TriggerAdmin, store, fields, path
):
    with pytest.raises(InvalidTrigger) as refused:
        triggers.create({k: v for k, v in trigger("bad", **fields).items() if v is not None})
    assert refused.value.status == 422
    assert refused.value.code == "invalid_definition"
    assert _problems(refused) == [(path, "bad")]
    assert store.trigger_puts == []


def test_create_without_an_id_names_it(triggers: TriggerAdmin):
    document = trigger()
    del document["id"]
    with pytest.raises(InvalidTrigger) as refused:
        triggers.create(document)
    assert [p["path"] for p in refused.value.details["problems"]] == ["id"]


def test_a_trigger_that_emits_its_own_event_is_refused(triggers: TriggerAdmin):
    # Given a trigger on every "echo" that emits "echo"
    loop = trigger(
        "echo",
        on={"event": "echo"},
        actions=[{"type": "emit_event", "event": "echo"}],
    )
    with pytest.raises(InvalidTrigger) as refused:
        triggers.create(loop)
    assert _problems(refused) == [("actions[0].event", "echo")]
    assert "without end" in refused.value.details["problems"][0]["message"]


def test_a_loop_with_an_existing_trigger_names_the_other_trigger_too(triggers: TriggerAdmin):
    triggers.create(trigger("ping", on={"event": "ping"}, actions=[{"type": "emit_event", "event": "pong"}]))
    with pytest.raises(InvalidTrigger) as refused:
        triggers.create(
            trigger("pong", on={"event": "pong"}, actions=[{"type": "emit_event", "event": "ping"}])
        )
    assert sorted(_problems(refused)) == [("actions[0].event", "ping"), ("actions[0].event", "pong")]
    assert "ping: actions[0].event" in refused.value.message


@pytest.mark.skipif(
    not hasattr(config_loader, "templates_of"), reason="email templates are not checked by triggers_of yet"
)
def test_an_email_action_with_an_unknown_template_is_refused(triggers: TriggerAdmin):
    with pytest.raises(InvalidTrigger) as refused:
        triggers.create(trigger("mail", actions=[{"type": "email", "template": "no-such-template"}]))
    assert _problems(refused) == [("actions[0].template", "mail")]


@pytest.mark.parametrize("existing", ["welcome-ready", "docs-ping"])
def test_create_with_an_id_that_exists_is_a_conflict(triggers: TriggerAdmin, existing):
    triggers.create(trigger("docs-ping"))
    with pytest.raises(TriggerExists) as refused:
        triggers.create(trigger(existing))
    assert refused.value.status == 409


def test_replace_continues_the_version_and_refuses_a_stale_one(triggers: TriggerAdmin):
    # Given a config trigger (version 0) replaced once
    replaced = triggers.replace("welcome-ready", trigger("welcome-ready", on={"enter": "hot"}), 0)
    assert (replaced.source, replaced.version) == ("api", 1)
    # When it is replaced again from the version read before
    with pytest.raises(DefinitionConflict) as refused:
        triggers.replace("welcome-ready", trigger("welcome-ready"), 0)
    # Then 409: someone changed it since
    assert refused.value.status == 409
    assert triggers.get("welcome-ready").model_dump()["on"] == {"enter": "hot"}


def test_replace_without_a_version_replaces_the_current_one(triggers: TriggerAdmin):
    triggers.replace("welcome-ready", trigger("welcome-ready"), None)
    assert triggers.replace("welcome-ready", trigger("welcome-ready"), None).version == 2


def test_replace_with_a_different_id_in_the_body_is_refused(triggers: TriggerAdmin, store):
    with pytest.raises(InvalidRequest) as refused:
        triggers.replace("welcome-ready", trigger("other"), None)
    assert (refused.value.status, refused.value.details) == (400, {"field": "id"})
    assert store.trigger_puts == []


def test_replace_is_validated_with_paths_inside_the_trigger(triggers: TriggerAdmin):
    with pytest.raises(InvalidTrigger) as refused:
        triggers.replace("welcome-ready", trigger("welcome-ready", on={"enter": "gone"}), None)
    assert _problems(refused) == [("on.enter", "welcome-ready")]


@pytest.mark.parametrize(
    "change",
    [
        lambda triggers: triggers.get("nope"),
        lambda triggers: triggers.replace("nope", trigger("nope"), None),
        lambda triggers: triggers.delete("nope"),
    ],
)
def test_unknown_trigger_is_not_found(triggers: TriggerAdmin, change):
    with pytest.raises(NotFound):
        change(triggers)


def test_deleting_a_config_trigger_stores_a_tombstone_and_it_can_come_back(triggers: TriggerAdmin, store):
    triggers.delete("welcome-ready")
    assert store.trigger_puts == [("welcome-ready", None, 0)]
    assert "welcome-ready" not in {t.id for t in triggers.list()}
    with pytest.raises(NotFound):
        triggers.get("welcome-ready")
    # Created again, its versions continue from the tombstone's
    assert triggers.create(trigger("welcome-ready")).version == 2


def test_deleting_a_segment_a_trigger_uses_is_refused_naming_the_triggers(segments: SegmentAdmin, store):
    # Given welcome-ready (on enter) and pricing-ping (only_if in_segment) both use "ready"
    with pytest.raises(SegmentInUse) as refused:
        segments.delete("ready")
    # Then 409 naming both, with the paths inside each trigger, and nothing stored
    assert refused.value.status == 409
    assert refused.value.details["triggers"] == ["pricing-ping", "welcome-ready"]
    assert sorted(_problems(refused)) == [
        ("on.enter", "welcome-ready"),
        ("only_if.in_segment", "pricing-ping"),
    ]
    assert "welcome-ready" in refused.value.message
    assert store.puts == []


def test_a_segment_is_deletable_once_its_triggers_are_gone(segments: SegmentAdmin, triggers: TriggerAdmin):
    triggers.delete("welcome-ready")
    triggers.delete("pricing-ping")
    segments.delete("ready")
    assert "ready" not in {s.id for s in segments.list()}


def test_a_segment_trigger_created_through_the_api_holds_its_segment_too(
    segments: SegmentAdmin, triggers: TriggerAdmin
):
    triggers.create(trigger("docs-ping", on={"exit": "hot"}))
    with pytest.raises(SegmentInUse) as refused:
        segments.delete("hot")
    assert refused.value.details["triggers"] == ["docs-ping"]


def test_replacing_a_used_segment_is_still_allowed(segments: SegmentAdmin):
    replaced = segments.replace("ready", segment("ready", condition={"score": {"gte": 60}}), None)
    assert replaced.version == 1


GRANTED = frozenset({"ssm:/leadwire/crm-secret", "ssm:/leadwire/crm-url"})


def _webhook(url, secret):
    return trigger("crm-ping", actions=[{"type": "webhook", "url": url, "secret": secret}])


def test_in_aws_a_webhook_may_name_only_the_references_the_stack_granted(source, store):
    deployed = TriggerAdmin(source, store, granted_references=GRANTED)
    created = deployed.create(_webhook("ssm:/leadwire/crm-url", "ssm:/leadwire/crm-secret"))
    assert created.version == 1
    with pytest.raises(InvalidTrigger) as refused:
        deployed.create({**_webhook("https://crm.example.com/h", "ssm:/leadwire/other"), "id": "other-ping"})
    [problem] = refused.value.details["problems"]
    assert (problem["path"], problem["triggerId"]) == ("actions[0].secret", "other-ping")
    assert "not readable by the actions function" in problem["message"]
    with pytest.raises(InvalidTrigger) as refused:
        deployed.create({**_webhook("env:CRM_URL", "ssm:/leadwire/crm-secret"), "id": "env-ping"})
    [problem] = refused.value.details["problems"]
    assert problem["path"] == "actions[0].url"
    assert "only leadwire local sets" in problem["message"]


def test_locally_any_reference_is_accepted(triggers):
    assert triggers.create(_webhook("env:CRM_URL", "env:CRM_SECRET")).version == 1
