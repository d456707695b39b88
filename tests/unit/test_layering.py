"""The scheduling core stays pure: standard library and its own modules only (DESIGN.md, layer rule)."""

import ast
import sys
from pathlib import Path

import pytest

import app.scheduling

CORE = Path(app.scheduling.__file__).parent
MODULES = sorted(CORE.glob("*.py"))
# SimPy is a pure-Python event clock (no I/O, no framework); only the simulation's clock module may use it.
# highspy (the HiGHS MILP solver) only in the optimiser's solver module, which works without it (greedy fallback).
ALSO_ALLOWED = {"simulation.py": {"simpy"}, "optimiser_highs.py": {"highspy"}}


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
            allowed = top in sys.stdlib_module_names or top in ALSO_ALLOWED.get(path.name, set())
            assert allowed, f"{path.name} imports {name}"


def test_every_public_name_is_exported():
    assert set(app.scheduling.__all__) <= set(dir(app.scheduling))
    for name in ("free_slots", "check_bookable", "expand_windows", "order_queue", "SchedulingError"):
        assert name in app.scheduling.__all__


ROOT = CORE.parent
BLUEPRINTS = {"auth", "public", "patient", "doctor", "nurse", "staff", "admin", "api", "dev", "locations", "manage",
              "notices", "offers", "kiosk"}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "services").glob("*.py")), ids=lambda p: p.name)
def test_services_never_import_blueprints_or_requests(path):
    for name in _imported(path):
        parts = name.split(".")
        assert not (parts[0] == "app" and len(parts) > 1 and parts[1] in BLUEPRINTS), f"{path.name} imports {name}"
        assert name not in {"flask_login", "flask_wtf"}, f"{path.name} imports {name}: services take plain values"
