"""The ``visits`` section of a config directory: the gap that separates two visits."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from leadwire.config_loader import ConfigError, definitions_of, load_config_dir
from leadwire.core.rules import DefinitionError

SEGMENTS = "segments:\n  - {id: returning, name: Returning, condition: {visits: {count: {gte: 2}}}}\n"


def test_the_gap_comes_from_the_visits_section(tmp_path: Path) -> None:
    (tmp_path / "segments.yaml").write_text(SEGMENTS)
    (tmp_path / "visits.yaml").write_text("visits: {gap: PT10M}\n")
    definitions = definitions_of(load_config_dir(tmp_path))
    assert definitions.visits.gap == timedelta(minutes=10)
    assert definitions.plan.visits is not None
    assert definitions.plan.visits.gap == 600


def test_without_the_section_a_visit_ends_after_30_minutes(tmp_path: Path) -> None:
    (tmp_path / "segments.yaml").write_text(SEGMENTS)
    assert definitions_of(load_config_dir(tmp_path)).visits.gap == timedelta(minutes=30)


def test_the_section_is_defined_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("visits: {gap: PT10M}\n")
    (tmp_path / "b.yaml").write_text("visits: {gap: PT20M}\n")
    with pytest.raises(ConfigError, match=re.escape("b.yaml: visits is already defined in a.yaml")):
        load_config_dir(tmp_path)


def test_the_section_is_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("visits: PT10M\n")
    with pytest.raises(ConfigError, match=re.escape("a.yaml: visits must be a mapping")):
        load_config_dir(tmp_path)


def test_a_bad_gap_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("visits: {gap: 30 minutes}\n")
    expected = "visits.gap: '30 minutes' is not an ISO 8601 duration"
    with pytest.raises(DefinitionError, match=re.escape(expected)):
        definitions_of(load_config_dir(tmp_path))
