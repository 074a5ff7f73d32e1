"""The house's rules, checked on the code itself (ARCHITECTURE.md, "Who owns what"): which room
may import which, who may import Prefect, no import cycle between modules (function-level
imports included), no private name used across modules; and in tests/, no test module imported
by another (what they share lives in a support module). No exception list."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rules", "models", "medstay", "tasks", "flows", "projector", "deployments")
_LAW = {"rules"}
_DATA = {"rules", "models"}
_BASICS = _DATA | {"medstay"}  # medstay/*.py: errors, clock, labels, safeyaml
_SERVICES = _BASICS | {"medstay.reminders", "medstay.record", "medstay.privacy"}
# room -> the rooms it may import (besides itself). Read from the bottom up.
MAY_IMPORT = {
    "rules": set(),
    "models": set(),
    "medstay": _DATA,
    "medstay.reminders": _BASICS,
    "medstay.record": _BASICS | {"medstay.reminders"},  # a fact plans its reminders in its own transaction
    "medstay.privacy": _BASICS | {"medstay.reminders", "medstay.record"},
    "deployments": _SERVICES,
    "tasks": _SERVICES | {"deployments"},
    "flows": _SERVICES | {"deployments", "tasks"},
    "projector": _SERVICES | {"deployments", "tasks", "flows"},
    "medstay.cli": _SERVICES | {"deployments", "tasks", "flows", "projector"},
}
PREFECT_ROOMS = {"tasks", "flows", "projector", "deployments"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "medstay" and len(parts) > 1 and parts[1] in ("reminders", "record", "cli"):
        return ".".join(parts[:2])
    if module == "medstay.privacy":
        return module
    return parts[0]


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [alias.name for alias in node.names]
            # `from medstay.record import dossiers` imports the module medstay.record.dossiers
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            found += [(sub, [], node.lineno) for sub in submodules]
            rest = [n for n in names if f"{base}.{n}" not in MODULES]
            if rest or not submodules:
                found.append((base, rest, node.lineno))
    return found


def _project(name: str) -> str | None:
    """The project module an import names (the longest known prefix), or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return None


def test_each_room_imports_only_the_rooms_below_it():
    broken = []
    for module in MODULES:
        mine = room(module)
        for name, _, line in _imports(module):
            target = _project(name)
            if target and room(target) != mine and room(target) not in MAY_IMPORT[mine]:
                broken.append(f"{MODULES[module].relative_to(ROOT)}:{line} {mine} -> {room(target)} ({target})")
    assert not broken, "\n".join(broken)


def test_only_the_prefect_rooms_import_prefect():
    broken = [
        f"{MODULES[m].relative_to(ROOT)}:{line}"
        for m in MODULES
        for name, _, line in _imports(m)
        if name.split(".")[0] == "prefect" and room(m) not in PREFECT_ROOMS
    ]
    assert not broken, broken


def test_no_import_cycle_between_modules():
    graph = {m: {t for name, _, _ in _imports(m) if (t := _project(name)) and t != m} for m in MODULES}
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    # a package's __init__ importing its own modules is no cycle of concepts
    cycles = [c for c in cycles if not all(m.startswith(c[0]) or c[0].startswith(m) for m in c)]
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_private_name_is_used_across_modules():
    broken = []
    for module in MODULES:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        aliases = set()
        for name, names, line in _imports(module):
            target = _project(name)
            if target and target != module:
                broken += [
                    f"{MODULES[module].relative_to(ROOT)}:{line} {target}.{n}"
                    for n in names
                    if n.startswith("_") and not n.startswith("__")
                ]
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                aliases |= {
                    a.asname or a.name.split(".")[0]
                    for a in node.names
                    if _project(f"{getattr(node, 'module', '') or ''}.{a.name}".strip(".")) or _project(a.name)
                }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                broken.append(f"{MODULES[module].relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
    assert not broken, "\n".join(broken)


def test_architecture_md_names_every_room():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    shown = {r: [f"`{r.replace('.', '/')}/`", f"`{r.replace('.', '/')}.py`"] for r in MAY_IMPORT} | {
        "medstay": ["`medstay/*.py`"]
    }
    missing = [r for r, names in shown.items() if not any(f"| {name} |" in text for name in names)]
    assert not missing, missing


def _decorated(module: str, decorator: str) -> list[str]:
    """`name:line` of each function of the module decorated `@decorator` or `@decorator(...)`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if (target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")) == decorator:
                    found.append(f"{MODULES[module].relative_to(ROOT)}:{node.lineno} {node.name}")
    return found


def test_tasks_live_in_tasks_and_flows_only_orchestrate_them():
    """A Prefect task is defined in `tasks/`, a flow in `flows/` (ARCHITECTURE.md, the rooms)."""
    misplaced = [f for m in MODULES if room(m) != "tasks" for f in _decorated(m, "task")]
    misplaced += [f for m in MODULES if room(m) != "flows" for f in _decorated(m, "flow")]
    assert not misplaced, "\n".join(misplaced)
    assert any(_decorated(m, "task") for m in MODULES if room(m) == "tasks")


def _test_files_importing(is_forbidden) -> list[str]:
    """`file:line module` for every import, in any file under tests/, of a module `is_forbidden`."""
    broken = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                named = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            broken += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in named if is_forbidden(name)]
    return broken


def test_no_test_module_imports_another_test_module_or_the_conftest():
    # What several modules share lives in a support module (helpers, database, peers, ...):
    # a test module stays movable and runs alone, and conftest.py is pytest's, not a library.
    def test_module(name: str) -> bool:
        parts = name.split(".")
        return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")

    broken = _test_files_importing(test_module)
    assert not broken, "\n".join(broken)
