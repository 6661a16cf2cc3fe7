"""lerec's imports point down and never in a circle; no module grows past ~400 lines (docs/architecture.md).

Every ``import`` and ``from ... import`` in lerec is read from the source (``ast``), those inside functions too,
so a lazy import cannot hide a cycle or an upward dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

LEREC = Path(__file__).resolve().parents[1] / "lerec"
MAX_LINES = 400

# Which packages of lerec each may import (its own modules always). Anything not listed is against the
# direction cli -> recording -> {cameras, robots, dataset} -> encoding; errors is the floor everyone stands on.
ALLOWED = {
    "__main__": {"cli"},
    "cli": {"lerec", "jobs", "hub", "web", "recording", "cameras", "sensors", "robots", "policies", "plugins",
            "dataset", "encoding", "errors"},
    "testing": {"recording", "cameras", "sensors", "robots", "policies", "plugins", "dataset", "encoding", "errors"},
    "recording": {"cameras", "sensors", "robots", "policies", "plugins", "dataset", "encoding", "errors"},
    "cameras": {"plugins", "errors"},
    "sensors": {"plugins", "errors"},
    "robots": {"plugins", "errors"},
    "policies": {"robots", "plugins", "errors"},
    "jobs": {"dataset", "encoding", "errors"},  # datatrove pipelines over datasets; imported by cli only
    "web": {"dataset", "encoding", "errors"},  # the web app; imported by cli only (record --web: cli wires it)
    "hub": {"dataset", "errors"},  # publishing to the Hugging Face Hub; imported by cli only
    "dataset": {"encoding", "errors"},
    "encoding": {"errors"},
    "plugins": {"errors"},
    "errors": set(),
    "lerec": set(),  # lerec/__init__.py: __version__ and the lazily imported top-level names
}
PLUGIN_PACKAGES = {"lerec_opencv", "lerec_realsense", "lerec_reachy2", "lerec_lerobot"}
# The layers inside dataset/, bottom up, and which each may import (its own modules always): reading and writing
# stand side by side on what both need (docs/architecture.md).
DATASET_LAYERS = {
    "spec": set(),
    "store": {"spec"},
    "sensors": {"spec", "store"},
    "reading": {"spec", "store", "sensors"},
    "writing": {"spec", "store", "sensors"},
    "editing": {"spec", "store", "sensors", "reading", "writing"},
}


def module_files() -> dict[str, Path]:
    """Every module of lerec by dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted(LEREC.rglob("*.py")):
        parts = list(path.relative_to(LEREC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def package(module: str) -> str:
    """The package of a module: ``lerec.dataset.writing.writer`` -> ``dataset``, ``lerec.errors`` -> ``errors``."""
    return module.split(".")[1] if "." in module else module


def dataset_layer(module: str) -> str | None:
    """The layer of dataset/ a module belongs to: ``lerec.dataset.writing.writer`` -> ``writing``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "dataset" else None


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements under ``if TYPE_CHECKING:``: annotations only, never run."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                found.update(n for n in ast.walk(child) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return found


def _resolve(name: str) -> str | None:
    """The lerec module an imported name lives in (``lerec.encoding.fmp4.Box`` -> ``lerec.encoding.fmp4``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> list[tuple[str, int, bool]]:
    """``(imported name, line, annotation only)`` for every import statement in ``module``, at any depth."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = _type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, node in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package, one level up per extra dot
                parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [(f"{base}.{alias.name}", node.lineno, node in typing_only) for alias in node.names]
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        for name, _line, _typing in imports(module):
            target = _resolve(name) if name.split(".")[0] == "lerec" else None
            if target is not None and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return found


def test_the_table_names_every_package():
    assert {package(m) for m in MODULES} == set(ALLOWED)


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_every_lerec_import_names_a_module_that_exists():
    """A module moved without its importers updated fails here, not only when that code path first runs."""
    missing = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "lerec":
                named = [node.module]
            elif isinstance(node, ast.Import):
                named = [alias.name for alias in node.names if alias.name.split(".")[0] == "lerec"]
            else:
                continue
            missing += [f"{path.relative_to(LEREC.parent)}:{node.lineno} imports {name}" for name in named
                        if name not in MODULES and not (LEREC.parent / name.replace(".", "/")).is_dir()]
    assert missing == []


def test_imports_point_down_the_layers():
    wrong = []
    for module, path in MODULES.items():
        for name, line, typing_only in imports(module):
            top = name.split(".")[0]
            where = f"{path.relative_to(LEREC.parent)}:{line} imports {name}"
            if top in PLUGIN_PACKAGES:
                wrong.append(f"{where}: lerec never imports a plugin")
            target = _resolve(name) if top == "lerec" else None
            if target is None or typing_only:  # annotations name the types a contract returns; they never run
                continue
            if package(target) != package(module) and package(target) not in ALLOWED[package(module)]:
                wrong.append(f"{where}: {package(module)} may import only {sorted(ALLOWED[package(module)])}")
    assert wrong == []


@pytest.mark.parametrize("path", [p.relative_to(LEREC.parent).as_posix() for p in sorted(LEREC.rglob("*.py"))])
def test_no_module_over_400_lines(path):
    lines = len((LEREC.parent / path).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines"


def test_every_dataset_module_is_in_a_layer():
    assert {dataset_layer(m) for m in MODULES} - {None} == set(DATASET_LAYERS)


def test_dataset_layers_point_down():
    wrong = []
    for module, path in MODULES.items():
        layer = dataset_layer(module)
        for name, line, typing_only in imports(module) if layer else ():
            target = _resolve(name) if name.split(".")[0] == "lerec" else None
            other = dataset_layer(target) if target else None
            if other not in (None, layer) and not typing_only and other not in DATASET_LAYERS[layer]:
                wrong.append(f"{path.relative_to(LEREC.parent)}:{line} imports {name}: dataset/{layer} may import "
                             f"only {sorted(DATASET_LAYERS[layer])} of dataset/")
    assert wrong == []
