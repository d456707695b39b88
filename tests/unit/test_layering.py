"""The house's wiring, checked from the source (docs/architecture.md): one way down, no loops, no private reach.

The import graph is read with the standard library's `ast`, function-local imports included: an import hidden in a
function is still a dependency, and hiding one to dodge a loop is exactly what this test is here to catch.
"""
from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

import app.scheduling

APP = Path(app.scheduling.__file__).parent.parent
CORE = APP / "scheduling"
# SimPy is a pure-Python event clock (no I/O, no framework); only the simulation's clock module may use it.
# highspy (the HiGHS MILP solver) only in the optimiser's solver module, which works without it (greedy fallback).
ALSO_ALLOWED = {"simulation.py": {"simpy"}, "optimiser_highs.py": {"highspy"}}

# The layers, top to bottom (docs/architecture.md, "Layers"). A module may import its own layer and those below.
BLUEPRINTS = ("auth", "public", "patient", "doctor", "nurse", "staff", "admin", "api", "dev", "locations", "manage",
              "notices", "offers", "kiosk", "fhir", "optimise", "messages")
ENTRY = ("app", "app.cli", "app.jobs", "app.celery_app", "app.demo", "app.web", "app.forms", "app.templating",
         "app.errors", "app.security", "app.headers", "app.i18n", "app.transaction", *(f"app.{b}" for b in BLUEPRINTS))
SERVICES = ("app.services",)
ADAPTERS = ("app.notifications", "app.realtime")
MODELS = ("app.models", "app.extensions", "app.replica")
CORE_LAYER = ("app.scheduling",)
# import nothing of the application: any layer may use them
LEAVES = ("app.money", "app.phones", "app.text", "app.conversions")
LAYERS = [ENTRY, SERVICES, ADAPTERS, MODELS, CORE_LAYER]

# Imports that run from a lower layer to a higher one, each explained in docs/architecture.md ("Exceptions").
UPWARD_EXCEPTIONS: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in APP.rglob("*.py")}


def _imports(module: str) -> list[tuple[str, int, tuple[str, ...]]]:
    """(imported module, line, imported names) for every import in the module, function-local ones included."""
    path = _modules()[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(stem + ([base] if base else []))
            found.append((base, node.lineno, tuple(a.name for a in node.names)))
    return found


def _resolve(name: str, names: tuple[str, ...] = ()) -> list[str]:
    """The app modules an import reaches: `from app.services import booking` reaches app.services.booking."""
    modules = _modules()
    targets = [f"{name}.{n}" for n in names if f"{name}.{n}" in modules] or [name]
    resolved = []
    for target in targets:
        while target and target not in modules:
            target = target.rsplit(".", 1)[0] if "." in target else ""
        if target:
            resolved.append(target)
    return resolved


@cache
def _graph() -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = {}
    for module in _modules():
        edges = graph.setdefault(module, {})
        for name, line, names in _imports(module):
            for target in _resolve(name, names):
                if target != module and not module.startswith(target + "."):
                    edges.setdefault(target, line)
    return graph


def _layer(module: str) -> int | None:
    def within(prefixes):
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    if within(LEAVES):
        return None
    for index, prefixes in enumerate(LAYERS):
        if index == 0:
            if module == "app" or within(ENTRY[1:]):
                return 0
        elif within(prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer of docs/architecture.md")


# --- the core stays pure

@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
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
    for name in ("free_slots", "check_bookable", "expand_windows", "order_queue", "SchedulingError",
                 "check_patient_change", "Status"):
        assert name in app.scheduling.__all__


# --- one way down

def test_every_module_has_a_layer():
    def placed(module: str) -> bool:
        try:
            _layer(module)
        except AssertionError:
            return False
        return True

    assert [m for m in _modules() if not placed(m)] == []


def test_imports_run_one_way_down():
    upward = []
    for module, edges in _graph().items():
        mine = _layer(module)
        for target, line in edges.items():
            theirs = _layer(target)
            if mine is None and theirs is not None:
                upward.append(f"{module}:{line} -> {target} (a leaf imports the application)")
            elif mine is not None and theirs is not None and theirs < mine \
                    and (module, target) not in UPWARD_EXCEPTIONS:
                upward.append(f"{module}:{line} -> {target}")
    assert not upward, "imports that run up a layer:\n" + "\n".join(sorted(upward))


def test_no_import_loop_inside_app():
    graph, index, low, stack, on_stack, loops = _graph(), {}, {}, [], set(), []
    counter = [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in graph:
        if module not in index:
            visit(module)
    assert not loops, "import loops: " + "; ".join(" <-> ".join(c) for c in loops)


@pytest.mark.parametrize("rule", [
    ("app.services", ("app.jobs", "app.celery_app"), "nothing below the entry points imports jobs or Celery"),
    ("app.notifications", ("app.jobs", "app.celery_app"), "nothing below the entry points imports jobs or Celery"),
    ("app.notifications", ("app.services",), "notifications import no service"),
    ("app.models", ("app.services",), "models import no service"),
    ("app.realtime", ("app.services",), "live updates import no service"),
], ids=lambda r: r[2] if isinstance(r, tuple) else str(r))
def test_named_rules(rule):
    source, forbidden, why = rule
    broken = [f"{m}:{line} -> {t}" for m, edges in _graph().items()
              if m == source or m.startswith(source + ".")
              for t, line in edges.items() if any(t == f or t.startswith(f + ".") for f in forbidden)]
    assert not broken, f"{why}:\n" + "\n".join(broken)


@pytest.mark.parametrize("path", sorted((APP / "services").rglob("*.py")), ids=lambda p: _module_name(p))
def test_services_take_plain_values(path):
    for name, line, _names in _imports(_module_name(path)):
        assert name not in {"flask_login", "flask_wtf"}, f"{path.name}:{line} imports {name}: services take values"


def test_no_private_name_crosses_a_module():
    crossing = [f"{m}:{line} imports {n} from {name}"
                for m in _modules() for name, line, names in _imports(m) if name.startswith("app")
                for n in names if n.startswith("_") and not n.startswith("__")]
    assert not crossing, "\n".join(crossing)


def test_no_view_commits():
    """Views and the API never commit: app.transaction does, once (docs/architecture.md, "Transactions")."""
    commits = []
    for module, path in _modules().items():
        if _layer(module) == 0 and module not in ("app.transaction", "app.demo") \
                and not module.startswith(("app.demo.", "app.celery_app")):
            for number, text in enumerate(path.read_text().splitlines(), 1):
                if ".commit()" in text or ".rollback()" in text:
                    commits.append(f"{module}:{number}: {text.strip()}")
    allowed = {"app.errors", "app.jobs", "app.celery_app"}  # the last resort after a crash: roll back, never commit
    commits = [c for c in commits if not (c.split(":")[0] in allowed and "rollback" in c)]
    assert not commits, "\n".join(commits)
