"""Config as code: a directory of YAML or JSON files, each holding any of ``segments``,
``scoring`` and ``triggers``, merged into one raw document.

PyYAML is imported only when a YAML file is read: in AWS the stack bundles the merged document
as JSON at synth, so the Lambda never needs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadwire.core.rules import DefinitionError, Definitions, parse_definitions
from leadwire.core.triggers import Trigger, parse_triggers

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
SECTIONS = ("segments", "scoring", "triggers")


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


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return _yaml_load(text)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ConfigError(f"{path.name}: not valid {path.suffix[1:].upper()}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError, without importing yaml at module level
        raise ConfigError(f"{path.name}: not valid YAML: {exc}") from None


def load_config_dir(directory: Path) -> dict[str, Any]:
    """Merge every config file of ``directory`` (sorted by name) into one raw document."""
    if not directory.is_dir():
        raise ConfigError(f"config directory {directory} does not exist")
    merged: dict[str, Any] = {"segments": [], "triggers": []}
    scoring_from: str | None = None
    for path in sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES):
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
        if "scoring" in document:
            if scoring_from is not None:
                raise ConfigError(f"{path.name}: scoring is already defined in {scoring_from}")
            merged["scoring"] = document["scoring"]
            scoring_from = path.name
    return merged


def load_json_config(path: Path) -> dict[str, Any]:
    """The merged document the stack bundles (``CONFIG_PATH`` in Lambda)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the bundled config must be a JSON object")
    return document


def definitions_of(document: dict[str, Any]) -> Definitions:
    """Validated segment and scoring definitions of a raw config document."""
    return parse_definitions({key: document[key] for key in ("segments", "scoring") if key in document})


def triggers_of(document: dict[str, Any], definitions: Definitions) -> list[Trigger]:
    """Validated triggers of a raw config document (their segments must exist)."""
    return parse_triggers(document.get("triggers") or [], {segment.id for segment in definitions.segments})


__all__ = [
    "ConfigError",
    "DefinitionError",
    "definitions_of",
    "load_config_dir",
    "load_json_config",
    "triggers_of",
]
