"""``ops/`` ships to Lambda without ``local/``: no module of it imports ``leadwire.local``."""

from __future__ import annotations

import ast
from pathlib import Path

import leadwire.ops

OPS = Path(leadwire.ops.__file__).parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_ops_module_imports_the_local_runtime():
    modules = sorted(OPS.glob("*.py"))
    assert modules, "no ops modules found"
    offenders = {
        path.name: sorted(name for name in _imported(path) if name.startswith("leadwire.local"))
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}
