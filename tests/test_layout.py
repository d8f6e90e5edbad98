"""The package's layers, as the folders show them: imports point down only, and nothing imports in a loop.

Every import of a kuril_data module counts, deferred ones (inside functions) included; only those
under `if TYPE_CHECKING:` are left out, as they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "kuril_data"

# Lowest first. A module may import its own layer and those below it, never one above.
LAYERS: dict[str, int] = {
    "errors": 0, "report": 0, "project": 0, "extras": 0,
    "model": 1,
    "io": 2,
    "validate": 3,
    "dataset": 4,
    "outputs": 5,
    "release": 6,
    "diff": 6,  # compares versions; release asks it for the bump
    "fmt": 7, "load": 7, "serve": 7,
    "cli": 8, "__init__": 8, "__main__": 8,
}


def module_name(path: Path) -> str:
    parts = ["kuril_data", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py")) if "_package" not in p.parts}


def layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS[top]


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The kuril_data modules an import statement loads (the deepest existing module of each name)."""
    is_package = MODULES[importer].name == "__init__.py"
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = importer.split(".") if is_package else importer.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([base] if base else []))
        names = [f"{base}.{a.name}" for a in node.names]
        names = [n if n in MODULES else base for n in names]
    out = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("kuril_data") and name != importer:
            out.append(name)
    return out


def type_checking_only(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = type_checking_only(tree)
        graph[name] = {target for node in ast.walk(tree)
                       if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip
                       for target in resolve(name, node)}
    return graph


GRAPH = imports()


def test_every_module_belongs_to_a_layer() -> None:
    """A new top-level module or folder is placed in LAYERS, so its place in the order is decided."""
    assert all(layer(name) >= 0 for name in MODULES)


@pytest.mark.parametrize("importer", sorted(GRAPH))
def test_imports_point_down(importer: str) -> None:
    """No module imports one of a higher layer (a check importing an output, say)."""
    upward = sorted(t for t in GRAPH[importer] if layer(t) > layer(importer))
    assert not upward, f"{importer} (layer {layer(importer)}) imports higher layers: {upward}"


def test_no_import_loops() -> None:
    """The import graph, deferred imports included, has no cycle (an import of a package's own
    `__init__` by its submodules counts as an edge too)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            # a submodule's import of its own package's __init__ runs while that __init__ is importing it
            if state.get(nxt) == 1:
                raise AssertionError("import loop: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
