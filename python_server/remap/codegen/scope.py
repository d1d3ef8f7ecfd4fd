"""What a static import knows about a source file without running it: import aliases,
integer constants, ``# remap:`` directive comments, and a safe constant evaluator."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Names that mean the usual modules even without an import (lenient reading).
_DEFAULT_ALIASES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}
_MAX_INT = 10**12
_MAX_DEPTH = 40
UNKNOWN: Any = object()

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


class Unmappable(Exception):
    """A construct with no REMAP equivalent; ``str()`` is ``cannot map: <what> at line N``."""

    def __init__(self, what: str, line: int) -> None:
        self.what = what
        self.line = line
        super().__init__(f"cannot map: {what} at line {line}")


def source_text(node: ast.AST, limit: int = 60) -> str:
    """Short source form of a node for messages."""
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Scope:
    """Aliases (local name → dotted module path), constants visible to a class, the lines
    that carry a ``# remap: padding=same`` directive and the classes defined in the file."""

    aliases: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    self_constants: dict[str, Any] = field(default_factory=dict)
    same_lines: frozenset[int] = frozenset()
    local_classes: frozenset[str] = frozenset()
    local_functions: dict[str, int] = field(default_factory=dict)  # name → line

    def child(self) -> Scope:
        return Scope(
            dict(self.aliases),
            dict(self.constants),
            dict(self.self_constants),
            self.same_lines,
            self.local_classes,
            self.local_functions,
        )

    def foreign_module(self, node: ast.AST) -> str | None:
        """The module a name comes from when the file imports it from outside torch
        (``from mylib.blocks import Block`` → ``mylib.blocks``), else None."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in self.aliases:
            return None
        qualname = self.qualname(node) or ""
        if qualname.split(".")[0] == "torch":
            return None
        return qualname.rpartition(".")[0] or qualname

    def qualname(self, node: ast.AST) -> str | None:
        """``nn.Conv2d`` → ``torch.nn.Conv2d`` (through the file's imports)."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, _DEFAULT_ALIASES.get(node.id, node.id))
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def marked_same(self, node: ast.AST) -> bool:
        first = getattr(node, "lineno", 0)
        last = getattr(node, "end_lineno", first) or first
        return any(line in self.same_lines for line in range(first - 1, last + 1))

    def value(self, node: ast.AST, depth: int = 0) -> Any:
        """The constant value of ``node`` (numbers, strings, booleans, None and tuples of
        them, names bound to constants, simple arithmetic), or ``UNKNOWN``."""
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str, bool)) or node.value is None:
                return node.value
            return UNKNOWN
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.value(item, depth + 1) for item in node.elts]
            return UNKNOWN if any(item is UNKNOWN for item in items) else tuple(items)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id, UNKNOWN)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            return self.self_constants.get(node.attr, UNKNOWN)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.value(node.operand, depth + 1)
            if _is_number(inner):
                return -inner if isinstance(node.op, ast.USub) else inner
            return UNKNOWN
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Subscript):
            seq = self.value(node.value, depth + 1)
            index = self.value(node.slice, depth + 1)
            if isinstance(seq, tuple) and isinstance(index, int) and -len(seq) <= index < len(seq):
                return seq[index]
        return UNKNOWN

    def _binop(self, node: ast.BinOp, depth: int) -> Any:
        left = self.value(node.left, depth + 1)
        right = self.value(node.right, depth + 1)
        if not (_is_number(left) and _is_number(right)):
            return UNKNOWN
        if isinstance(node.op, ast.Pow):
            if not isinstance(right, int) or not 0 <= right <= 64 or abs(left) > _MAX_INT:
                return UNKNOWN
            try:
                result = left**right
            except ArithmeticError:  # a float overflow
                return UNKNOWN
        elif type(node.op) in _BINOPS:
            try:
                result = _BINOPS[type(node.op)](left, right)
            except ArithmeticError:
                return UNKNOWN
        else:
            return UNKNOWN
        return result if abs(result) <= _MAX_INT else UNKNOWN


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def collect_aliases(tree: ast.Module) -> tuple[dict[str, str], frozenset[str]]:
    """Local names bound by the file's imports and the names of its classes (anywhere in
    the file)."""
    aliases: dict[str, str] = {}
    classes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            classes.add(node.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases, frozenset(classes)


def collect_functions(tree: ast.Module) -> dict[str, int]:
    """The module-level functions of the file (name → line): helpers such as ``conv3x3``."""
    return {
        node.name: node.lineno
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def name_assignment(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """``(name, value)`` for ``name = value`` or ``name: T = value``; None otherwise."""
    target: ast.expr | None = None
    value: ast.expr | None = None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    if isinstance(target, ast.Name) and value is not None:
        return target.id, value
    return None


def collect_constants(body: list[ast.stmt], scope: Scope) -> dict[str, Any]:
    """``NAME = <constant>`` assignments of a module or class body, in order."""
    found: dict[str, Any] = {}
    for stmt in body:
        assigned = name_assignment(stmt)
        if assigned is not None:
            name, value = assigned
            result = scope.value(value)
            if result is not UNKNOWN:
                found[name] = result
                scope.constants[name] = result
            else:
                scope.constants.pop(name, None)
                found.pop(name, None)
    return found
