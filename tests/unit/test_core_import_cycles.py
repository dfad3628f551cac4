"""The rule and trigger modules import one another at the top only: no import hidden under
``TYPE_CHECKING`` or inside a function to dodge a cycle (the models live in their own modules,
issue 13), and every module imports on its own, whichever is imported first."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "leadwire"
PACKAGES = ("core/rules", "core/triggers")
WATCHED = ("leadwire.core.rules", "leadwire.core.triggers")


def modules() -> list[str]:
    return sorted(
        ".".join(("leadwire", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for package in PACKAGES
        for path in (PACKAGE / package).glob("*.py")
    )


def _watched(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module:
        return node.module.startswith(WATCHED)
    return isinstance(node, ast.Import) and any(alias.name.startswith(WATCHED) for alias in node.names)


def hidden_imports(source: str) -> list[int]:
    """Lines of imports of the rule or trigger modules that are not at a module's top level."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    return sorted(node.lineno for node in ast.walk(tree) if _watched(node) and id(node) not in top)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_rule_or_trigger_module_hides_an_import(package):
    hidden = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted((PACKAGE / package).glob("*.py"))
        if (lines := hidden_imports(path.read_text()))
    }
    assert hidden == {}


def test_the_check_sees_an_import_under_type_checking_or_in_a_function():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from leadwire.core.rules.errors import Problem\n"
        "if TYPE_CHECKING:\n"
        "    from leadwire.core.rules.definitions import Segment\n"
        "def plan():\n"
        "    import leadwire.core.triggers.definitions\n"
    )
    assert hidden_imports(source) == [4, 6]


# One interpreter apart (this one keeps its modules): each module imported with no leadwire loaded.
_IMPORT_EACH_FIRST = """
import importlib, sys
failed = []
for module in sys.argv[1:]:
    for name in [n for n in sys.modules if n == "leadwire" or n.startswith("leadwire.")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except ImportError as error:
        failed.append(f"{module}: {error}")
print("\\n".join(failed))
"""


def test_every_module_imports_first():
    # Given each rule and trigger module imported first, in an interpreter with nothing of leadwire
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_FIRST, *modules()],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
    )
    # Then every one imports: a cycle fails for the module that starts it
    assert done.stdout.strip() == ""
    assert len(modules()) > 20
