"""The scheduling core stays pure: standard library and its own modules only (DESIGN.md, layer rule)."""

import ast
import sys
from pathlib import Path

import pytest

import app.scheduling

CORE = Path(app.scheduling.__file__).parent
MODULES = sorted(CORE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_imports_only_the_standard_library_and_itself(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            continue  # relative: another module of the core
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_every_public_name_is_exported():
    assert set(app.scheduling.__all__) <= set(dir(app.scheduling))
    for name in ("free_slots", "check_bookable", "expand_windows", "order_queue", "SchedulingError"):
        assert name in app.scheduling.__all__
