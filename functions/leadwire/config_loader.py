"""Config as code: a directory of YAML or JSON files, each holding any of ``segments``,
``scoring``, ``triggers``, ``templates``, ``delivery``, ``visits`` and ``accounts``, merged into one
raw document.

Email templates also live beside the config, one per file: ``<config dir>/templates/<id>.yaml``
(``subject``, ``text``, ``html``, optional ``description``; the file's stem is the template id).
They join any ``templates:`` mapping of the config files in ``document["templates"]``; an id
defined twice is refused naming both files. ``scoring`` and ``delivery`` are defined at most once.

PyYAML is imported only when a YAML file is read: in AWS the stack bundles the merged document
as JSON at synth, so the Lambda never needs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadwire.core.account_segments import counted_segments
from leadwire.core.rules import DefinitionError, Definitions, parse_definitions
from leadwire.core.triggers import Trigger, parse_triggers

if TYPE_CHECKING:  # jinja2 loads only where templates are compiled (the actions), not on every cold start
    from leadwire.core.email.templates import CompiledTemplate
    from leadwire.core.sms.templates import SmsTemplate

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
SMS_SECTION = "sms_templates"  # core.sms.templates.SECTION, which loads jinja2
SECTIONS = ("segments", "scoring", "triggers", "templates", "delivery", "visits", "accounts", "sms_templates")
SINGLE_SECTIONS = (
    "scoring",
    "delivery",
    "visits",
    "accounts",
    "sms_templates",
)  # defined in at most one file
TEMPLATES_DIR = "templates"


class ConfigError(ValueError):
    """A config file that cannot be read or merged; the message names the file."""


def _yaml_load(text: str) -> Any:
    """YAML 1.2 booleans: only true/false. Under YAML 1.1 a trigger's ``on:`` key is True."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return yaml.load(text, Loader=Loader)


def _read(path: Path, name: str | None = None) -> Any:
    name = name or path.name
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return _yaml_load(text)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ConfigError(f"{name}: not valid {path.suffix[1:].upper()}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError, without importing yaml at module level
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None


def load_config_dir(directory: Path) -> dict[str, Any]:
    """Merge every config file of ``directory`` (sorted by name), then its ``templates/`` files,
    into one raw document. ``templates`` and ``delivery`` are present only when defined."""
    if not directory.is_dir():
        raise ConfigError(f"config directory {directory} does not exist")
    merged: dict[str, Any] = {"segments": [], "triggers": []}
    single_from: dict[str, str] = {}
    templates: dict[str, Any] = {}
    for path in _config_files(directory):
        document = _read(path) or {}
        if not isinstance(document, dict):
            raise ConfigError(f"{path.name}: the top level must be a mapping of {', '.join(SECTIONS)}")
        unknown = sorted(set(document) - set(SECTIONS))
        if unknown:
            raise ConfigError(f"{path.name}: unknown section(s) {unknown}; allowed: {list(SECTIONS)}")
        for section in ("segments", "triggers"):
            items = document.get(section) or []
            if not isinstance(items, list):
                raise ConfigError(f"{path.name}: {section} must be a list")
            merged[section].extend(items)
        for section in SINGLE_SECTIONS:
            if section not in document:
                continue
            if section in single_from:
                raise ConfigError(f"{path.name}: {section} is already defined in {single_from[section]}")
            if section in ("delivery", "visits", "sms_templates") and not isinstance(document[section], dict):
                raise ConfigError(f"{path.name}: {section} must be a mapping")
            merged[section] = document[section]
            single_from[section] = path.name
        if "templates" in document:
            given = document["templates"] or {}
            if not isinstance(given, dict):
                raise ConfigError(f"{path.name}: templates must be a mapping of template id -> template")
            _add_templates(templates, {str(k): (v, path.name) for k, v in given.items()})
    _add_templates(templates, _template_files(directory))
    if templates:
        merged["templates"] = {template_id: body for template_id, (body, _) in templates.items()}
    return merged


def _config_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES and p.is_file())


def _template_files(directory: Path) -> dict[str, tuple[Any, str]]:
    """``templates/<id>.yaml`` files: id -> (the template mapping, the file's name for messages)."""
    folder = directory / TEMPLATES_DIR
    if not folder.is_dir():
        return {}
    found: dict[str, tuple[Any, str]] = {}
    for path in _config_files(folder):
        name = f"{TEMPLATES_DIR}/{path.name}"
        body = _read(path, name)
        if not isinstance(body, dict):
            raise ConfigError(
                f"{name}: a template file is a mapping of subject, text, html (and description)"
            )
        if path.stem in found:
            raise ConfigError(f"{name}: template '{path.stem}' is already defined in {found[path.stem][1]}")
        found[path.stem] = (body, name)
    return found


def _add_templates(templates: dict[str, tuple[Any, str]], more: dict[str, tuple[Any, str]]) -> None:
    for template_id, (body, name) in more.items():
        if template_id in templates:
            raise ConfigError(
                f"{name}: template '{template_id}' is already defined in {templates[template_id][1]}"
            )
        templates[template_id] = (body, name)


def template_origins(directory: Path) -> dict[str, str]:
    """Template id -> the file (relative to ``directory``) that defines it, to name it in errors."""
    origins: dict[str, str] = {}
    for path in _config_files(directory):
        try:
            document = _read(path)
        except ConfigError:
            continue
        section = document.get("templates") if isinstance(document, dict) else None
        if isinstance(section, dict):
            origins.update({str(template_id): path.name for template_id in section})
    origins.update({template_id: name for template_id, (_, name) in _template_files(directory).items()})
    return origins


def load_json_config(path: Path) -> dict[str, Any]:
    """The merged document the stack bundles (``CONFIG_PATH`` in Lambda)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the bundled config must be a JSON object")
    return document


def definitions_of(document: dict[str, Any]) -> Definitions:
    """Validated segment, scoring, visit and account definitions of a raw config document."""
    return parse_definitions(
        {key: document[key] for key in ("segments", "scoring", "visits", "accounts") if key in document}
    )


def triggers_of(document: dict[str, Any], definitions: Definitions) -> list[Trigger]:
    """Validated triggers of a raw config document (their segments and email templates must exist)."""
    templates = document.get("templates")
    template_ids = set(templates) if isinstance(templates, dict) else set()
    sms_templates = document.get(SMS_SECTION)
    sms_template_ids = set(sms_templates) if isinstance(sms_templates, dict) else set()
    segment_ids = {segment.id for segment in definitions.segments}
    account_segment_ids = {segment.id for segment in definitions.account_segments}
    return parse_triggers(
        document.get("triggers") or [],
        segment_ids,
        template_ids,
        sms_template_ids,
        account_segment_ids,
        counted_segments(definitions),
    )


def sms_templates_of(document: dict[str, Any]) -> dict[str, SmsTemplate]:
    """The checked SMS templates of a raw config document; raises ``SmsTemplateError`` (a
    ``ValueError``) with each problem's path (``sms_templates.welcome.text``)."""
    from leadwire.core.sms.templates import parse_sms_templates

    return parse_sms_templates(document.get(SMS_SECTION))


def templates_of(document: dict[str, Any]) -> dict[str, CompiledTemplate]:
    """The compiled email templates of a raw config document.

    Raises ``TemplateDefinitionError`` (a ``ValueError``) with each problem's path
    (``templates.welcome.html``)."""
    from leadwire.core.email.templates import parse_templates

    return parse_templates(document.get("templates") or {})


__all__ = [
    "ConfigError",
    "DefinitionError",
    "definitions_of",
    "load_config_dir",
    "load_json_config",
    "sms_templates_of",
    "template_origins",
    "templates_of",
    "triggers_of",
]
