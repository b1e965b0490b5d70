"""The house's floors, checked from the code's own imports (docs/ARCHITECTURE.md).

Every ``import`` and ``from … import`` in the apps is read with ``ast``, including the ones
inside functions, and resolved to the project module it names. Then:

* no module reaches itself again through its imports (no circle of any length);
* an app imports only its own modules and those of apps on a lower floor;
* the apps above committees use its selectors and the votes package, never the committee's
  own life services.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lower number, lower floor. Apps on one floor do not import each other.
FLOORS = {
    "community": 1,
    "notifications": 2,
    "cms": 3,
    "residents": 4,
    "committees": 5,
    "fees": 6,
    "grid": 6,
    "mediation": 6,
    "supervision": 7,
    "api": 8,
    "config": 9,
}


def _modules() -> dict[str, Path]:
    found = {}
    for app in FLOORS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _package(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str) -> set[str]:
    """The project modules ``name`` imports, wherever the import statement stands."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package(name)
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            # "from pkg import mod" names a module; "from mod import thing" names the module.
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


GRAPH = {name: _imports(name) for name in MODULES}


def _app(name: str) -> str:
    return name.split(".")[0]


def test_the_check_reads_the_whole_house():
    assert len(MODULES) > 80
    assert "committees.votes.services" in GRAPH["fees.fund.services"]
    assert "community.access" in GRAPH["community.tenure.views"]


def test_no_import_circle_anywhere():
    """Tarjan's strongly connected components: any component of two or more is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert circles == []


def test_imports_point_down_the_floors():
    wrong = sorted(
        (name, target)
        for name, targets in GRAPH.items()
        for target in targets
        if _app(target) != _app(name) and FLOORS[_app(target)] >= FLOORS[_app(name)]
    )
    assert wrong == []


@pytest.mark.parametrize("app", ["fees", "grid", "mediation"])
def test_apps_above_committees_leave_its_life_services_alone(app):
    users = sorted(name for name, targets in GRAPH.items() if _app(name) == app and "committees.services" in targets)
    assert users == []
