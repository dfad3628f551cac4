"""The contexts' import boundaries (README, Architecture): each context reads from its own folder,
the shared modules and the contexts it builds on, never back up the chain, and nothing that ships
to Lambda imports ``leadwire local``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "leadwire"

# What each context must not import: those that build on it, and the local runtime.
FORBIDDEN = {
    "core": {"dal", "segmentation", "triggers", "actions", "timers", "jobs", "admin", "privacy", "local"},
    "dal": {"segmentation", "triggers", "actions", "timers", "jobs", "admin", "privacy", "local", "ops"},
    "segmentation": {"triggers", "actions", "timers", "jobs", "admin", "local", "ops", "reactions"},
    "triggers": {"segmentation", "actions", "jobs", "admin", "local", "ops", "reactions"},
    "actions": {"segmentation", "jobs", "admin", "local", "ops", "reactions"},
    "timers": {"triggers", "actions", "jobs", "admin", "local", "ops", "reactions"},
    "jobs": {"local", "ops", "reactions"},
    "privacy": {"segmentation.wiring", "jobs", "local", "ops"},
    "admin": {"jobs.wiring", "jobs.handler", "local", "ops", "reactions"},
    "ingestion": {"segmentation", "triggers", "timers", "jobs", "admin", "local", "ops"},
    "feedback": {"segmentation", "triggers", "timers", "jobs", "admin", "local", "ops"},
    "ops": {"local"},
}


def imports_of(path: Path) -> set[str]:
    """Every ``leadwire.*`` module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "leadwire":
                found.update(f"leadwire.{alias.name}" for alias in node.names)
            elif node.module.startswith("leadwire."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("leadwire."))
    return found


def crossings(context: str) -> list[str]:
    forbidden = FORBIDDEN[context]
    return sorted(
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in (PACKAGE / context).rglob("*.py")
        for module in imports_of(path)
        if any(module == f"leadwire.{f}" or module.startswith(f"leadwire.{f}.") for f in forbidden)
    )


@pytest.mark.parametrize("context", sorted(FORBIDDEN))
def test_a_context_imports_nothing_that_builds_on_it(context):
    assert crossings(context) == []


def test_the_check_sees_a_crossing(tmp_path, monkeypatch):
    # Given a context with a module that imports the local runtime inside a function
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "bad.py").write_text("def f():\n    from leadwire.local.runtime import X\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", tmp_path)
    # Then it is reported
    assert crossings("ops") == ["ops/bad.py imports leadwire.local.runtime"]


def test_no_root_looks_a_stand_in_up_by_itself():
    """``leadwire local`` hands its stand-ins in (``container.use_local``): outside ``local/`` no
    module peeks into ``sys.modules`` for them."""
    peeking = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "local" not in path.relative_to(PACKAGE).parts[:1] and "sys.modules" in path.read_text()
    )
    assert peeking == []
