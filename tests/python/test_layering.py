"""The package's import graph, read from the ``ast`` of every module of ``remap`` (imports
inside functions and ``TYPE_CHECKING`` blocks count too: a lazy import is still a
dependency): no import cycles, no lower layer imports a higher one (the order of the
README's architecture table), and the language server is a thin adapter over the service
layer (``remap.lsp`` imports only ``remap.service``, itself and the version)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python_server" / "remap"

# Lowest first; a module may import its own layer and the ones before it. ``remap`` (the
# version), ``examples`` (bundled data files) and ``files`` (bounded reads) import nothing;
# ``__main__`` is the entry.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("", "examples", "files"),
    ("arch",),
    ("data",),
    ("train",),
    ("analysis",),
    ("codegen",),
    ("store",),
    ("jobs",),
    ("discovery",),
    ("service",),
    ("lsp", "cli", "report"),
    ("__main__",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("remap", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module of ``remap`` imported, line) for every import statement in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from remap.service import queue`` imports the submodule, ``… import Workspace``
            # the package.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]  # fmt: skip
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # ``import remap.arch.spec`` → the module
                target = target.rpartition(".")[0]
            if target.startswith("remap"):
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        edges = graph.setdefault(module, {})
        for target, line in _imported(module, path):
            if target != module:
                edges.setdefault(target, line)
    return graph


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_the_package() -> None:
    graph = import_graph()
    assert len(MODULES) > 80 and set(map(layer_of, MODULES)) <= set(RANK)
    # a relative import, a lazy import inside a function and a submodule import all count
    assert "remap.analysis.proj_checks" in graph["remap.analysis.projection"]
    assert "remap.analysis.projection" in graph["remap.analysis.warmup"]
    assert "remap.service.queue" in graph["remap.cli.cmd_workspace"]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_lazy_circle() -> None:
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


def test_no_lower_layer_imports_a_higher_one() -> None:
    wrong = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for module, edges in import_graph().items()
        for target, line in edges.items()
        if RANK[layer_of(target)] > RANK[layer_of(module)]
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", ["lsp", "cli", "report"])
def test_adapters_do_not_import_each_other_except_the_cli_starting_them(layer: str) -> None:
    allowed = {"cli": {"lsp", "report"}}.get(layer, set())  # `remap serve`, `remap report`
    wrong = [
        f"{module} imports {target}"
        for module, edges in import_graph().items()
        if layer_of(module) == layer
        for target in edges
        if layer_of(target) in {"lsp", "cli", "report"} - {layer} - allowed
    ]
    assert wrong == []


def test_the_language_server_imports_only_the_service_layer() -> None:
    allowed = {"", "lsp", "service"}  # ``from remap import __version__``, itself, the service
    wrong = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for module, edges in import_graph().items()
        if layer_of(module) == "lsp"
        for target, line in edges.items()
        if layer_of(target) not in allowed
    ]
    assert wrong == []
