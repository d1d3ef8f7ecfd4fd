"""Reading a model's data flow statically: the ``nn.Module`` attributes assigned in
``__init__`` and the single chain of calls in ``forward`` (or an ``nn.Sequential``),
flattened into a list of :class:`Op`. Nothing is imported or executed.

Understood in ``forward``: assignments ``x = <chain>`` (any variable name; the newest is
the tensor), nested calls ``self.pool(F.relu(self.conv1(x)))``, ``self.<module>(x)``,
``F.*``/``torch.*`` functions, tensor methods, ``x.view``/``x.reshape`` to flatten or to
make a 1-channel square image, ``batch = x.size(0)``, docstrings, ``pass``, ``assert`` and
``print``. Anything else (control flow, arithmetic such as residual additions, a second
tensor variable, ``torch.cat``) raises :class:`Unmappable` at its line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from remap.codegen.scope import UNKNOWN, Scope, Unmappable, name_assignment, source_text
from remap.codegen.torchmap import (
    MODULES,
    Op,
    constructor_ops,
    function_ops,
    method_ops,
    nn_name,
)

_NAMESPACES = ("torch", "torch.nn.functional")
_MAX_DEPTH = 60
# Module methods that move or cast a module without changing its architecture.
_DEVICE_METHODS = frozenset({"to", "cpu", "cuda", "float", "double", "half", "bfloat16"})


@dataclass
class Modules:
    """The ``self.<name> = <expr>`` module assignments of ``__init__``."""

    scope: Scope
    assigned: dict[str, ast.expr] = field(default_factory=dict)

    def ops(self, node: ast.expr, line: int, depth: int = 0) -> list[Op]:
        """Ops of a module expression: a constructor call, ``nn.Sequential(...)`` (expanded)
        or a reference ``self.<name>`` to another module."""
        if depth > _MAX_DEPTH:
            raise Unmappable("modules nested too deeply", line)
        if isinstance(node, ast.Attribute) and _is_self(node.value):
            if node.attr not in self.assigned:
                raise Unmappable(f"self.{node.attr} (not assigned in __init__)", node.lineno)
            return self.ops(self.assigned[node.attr], node.lineno, depth + 1)
        if not isinstance(node, ast.Call):
            raise Unmappable(f"module {source_text(node)}", getattr(node, "lineno", line))
        if isinstance(node.func, ast.Attribute) and node.func.attr in _DEVICE_METHODS:
            return self.ops(node.func.value, node.lineno, depth + 1)  # nn.Linear(4, 2).to(...)
        qualname = self.scope.qualname(node.func)
        name = nn_name(qualname)
        label = source_text(node.func)
        if name == "Sequential":
            if node.keywords:
                raise Unmappable(f"{label} with keyword arguments", node.lineno)
            ops: list[Op] = []
            for item in node.args:
                if isinstance(item, ast.Starred):
                    raise Unmappable(
                        f"layers built in a loop (`{label}(*{source_text(item.value, 30)})`); "
                        "write the layers out one by one",
                        node.lineno,
                    )
                ops.extend(self.ops(item, node.lineno, depth + 1))
            return ops
        if name is None or name not in MODULES:
            raise Unmappable(self._unknown(node, label, name), node.lineno)
        return constructor_ops(node, name, self.scope)

    def _unknown(self, node: ast.Call, label: str, name: str | None) -> str:
        """Why the module ``node`` builds cannot be read, as a cause the user can act on."""
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.scope.local_classes:
            return (
                f"sub-module `{label}` (a class of this file): REMAP maps one flat chain of "
                "nn layers and does not expand nested modules"
            )
        if isinstance(func, ast.Name) and func.id in self.scope.local_functions:
            line = self.scope.local_functions[func.id]
            return (
                f"layer built by the helper function `{label}()` (line {line}); write the "
                "nn layer itself in __init__"
            )
        if name in ("ModuleList", "ModuleDict"):
            return f"layers built in a loop (`{label}`); write the layers out one by one"
        foreign = self.scope.foreign_module(func)
        if foreign is not None:
            return f"layer `{label}` defined in another module ({foreign}); REMAP reads one file"
        if name is not None:
            return f"{label} (no REMAP layer corresponds to it)"
        return f"`{label}` (not an nn layer REMAP knows)"


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def init_modules(init: ast.FunctionDef | None, scope: Scope) -> Modules:
    """Module attributes and integer attributes (``self.n = 10``) of ``__init__``; the
    parameters' constant defaults (``num_classes=10``) become constants."""
    modules = Modules(scope)
    if init is None:
        return modules
    args = init.args
    positional = args.posonlyargs + args.args
    for arg, default in zip(
        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
    ):
        _bind_constant(scope, arg.arg, default)
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None:
            _bind_constant(scope, arg.arg, kw_default)
    for stmt in init.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Attribute) and _is_self(target.value):
            constant = scope.value(value)
            if constant is not UNKNOWN:
                scope.self_constants[target.attr] = constant
            else:
                modules.assigned[target.attr] = value
        elif isinstance(target, ast.Name):
            _bind_constant(scope, target.id, value)
    return modules


def _bind_constant(scope: Scope, name: str, node: ast.expr) -> None:
    value = scope.value(node)
    if value is UNKNOWN:
        scope.constants.pop(name, None)
    else:
        scope.constants[name] = value


class Flow:
    """Linearises ``forward``: one tensor variable at a time, each statement appending
    the ops its expression applies to that tensor."""

    def __init__(self, modules: Modules) -> None:
        self.modules = modules
        self.scope = modules.scope
        self.current = ""
        self.batch_names: set[str] = set()
        self.ops: list[Op] = []
        self.earlier: set[str] = set()  # names that held the tensor before

    def run(self, forward: ast.FunctionDef) -> list[Op]:
        params = forward.args.posonlyargs + forward.args.args
        if len(params) < 2:
            raise Unmappable("forward() without an input argument", forward.lineno)
        self.current = params[1].arg
        for stmt in forward.body:
            if self._statement(stmt):
                return self.ops
        raise Unmappable("forward() without a return statement", forward.lineno)

    def _statement(self, stmt: ast.stmt) -> bool:
        """Handle one statement; True once the model's output is returned."""
        if isinstance(stmt, (ast.Pass, ast.Assert)):
            return False
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) or _is_print(stmt.value):
                return False
            raise Unmappable(f"statement '{source_text(stmt)}' in forward", stmt.lineno)
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise Unmappable("forward() returning nothing", stmt.lineno)
            self.ops.extend(self.expr(stmt.value))
            return True
        assigned = name_assignment(stmt)
        if assigned is not None:
            name, value = assigned
            if self._is_batch_size(value):
                self.batch_names.add(name)
                return False
            self.ops.extend(self.expr(value))
            if name != self.current:
                self.earlier.add(self.current)
                self.earlier.discard(name)
            self.current = name
            self.batch_names.discard(name)
            return False
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.op, ast.Add) and self._mentions_tensor(stmt.value):
                raise Unmappable(_skip(source_text(stmt)), stmt.lineno)
            raise Unmappable(f"in-place arithmetic '{source_text(stmt)}'", stmt.lineno)
        if isinstance(stmt, (ast.For, ast.While)):
            head = source_text(stmt, 40).split("\n")[0]
            raise Unmappable(
                f"layers applied in a loop (`{head.split(':')[0]}`); write each call out",
                stmt.lineno,
            )
        kind = type(stmt).__name__.lower()
        if isinstance(stmt, (ast.If, ast.With, ast.Try, ast.Match)):
            raise Unmappable(f"control flow ('{kind}') in forward", stmt.lineno)
        raise Unmappable(f"statement '{source_text(stmt)}' in forward", stmt.lineno)

    def _is_batch_size(self, node: ast.expr) -> bool:
        """``x.size(0)``, ``x.shape[0]``, ``len(x)`` or a name bound to one of them."""
        if isinstance(node, ast.Name):
            return node.id in self.batch_names
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "size"
            and len(node.args) == 1
            and not node.keywords
        ):
            return isinstance(node.func.value, ast.Name) and self.scope.value(node.args[0]) == 0
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            return node.value.attr == "shape" and self.scope.value(node.slice) == 0
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id == "len" and len(node.args) == 1
        return False

    def expr(self, node: ast.expr, depth: int = 0) -> list[Op]:
        """The ops that ``node`` applies to the current tensor."""
        if depth > _MAX_DEPTH:
            raise Unmappable("expression nested too deeply", node.lineno)
        if isinstance(node, ast.Name):
            if node.id == self.current:
                return []
            if node.id in self.earlier:
                raise Unmappable(
                    f"a skip connection or branch: the earlier tensor '{node.id}' is used again "
                    "(REMAP models are one chain of layers)",
                    node.lineno,
                )
            raise Unmappable(
                f"variable '{node.id}' (only one chain of layers is supported)", node.lineno
            )
        if isinstance(node, ast.BinOp):
            both = self._mentions_tensor(node.left) and self._mentions_tensor(node.right)
            if isinstance(node.op, ast.Add) and both:
                raise Unmappable(_skip(source_text(node)), node.lineno)
            raise Unmappable(f"tensor arithmetic '{source_text(node)}'", node.lineno)
        if not isinstance(node, ast.Call):
            raise Unmappable(f"expression '{source_text(node)}'", node.lineno)
        func = node.func
        if isinstance(func, ast.Attribute) and _is_self(func.value):
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                raise Unmappable(f"call '{source_text(node)}'", node.lineno)
            inner = self.expr(node.args[0], depth + 1)
            return inner + self.modules.ops(func, node.lineno)
        qualname = self.scope.qualname(func)
        if isinstance(func, ast.Attribute):
            base = self.scope.qualname(func.value)
            if base not in _NAMESPACES:
                return self.expr(func.value, depth + 1) + self._method(node, func.attr)
        if qualname is None or not qualname.startswith("torch."):
            raise Unmappable(f"call to {source_text(func)}", node.lineno)
        tensor, ops = function_ops(node, qualname, self.scope)
        return self.expr(tensor, depth + 1) + ops

    def _method(self, call: ast.Call, method: str) -> list[Op]:
        if method in ("view", "reshape"):
            return [self._view(call, method)]
        return method_ops(call, method, self.scope)

    def _view(self, call: ast.Call, method: str) -> Op:
        """``x.view(B, -1)``/``x.view(-1, N)`` flatten; ``x.view(B, 1, s, s)`` reshapes a
        vector into a 1-channel square image (B: -1, ``x.size(0)``, ``x.shape[0]``)."""
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        name = receiver.id if isinstance(receiver, ast.Name) else "x"
        label = f"{name}.{method}({', '.join(source_text(a, 20) for a in call.args)})"
        args = list(call.args)
        if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
            args = list(args[0].elts)
        if call.keywords or any(isinstance(a, ast.Starred) for a in args) or not args:
            raise Unmappable(f"{label} (unsupported form)", call.lineno)
        dims = [None if self._is_batch_size(a) else self.scope.value(a) for a in args]
        if any(d is UNKNOWN or isinstance(d, bool) for d in dims):
            raise Unmappable(f"{label} with non-constant sizes", call.lineno)
        first, rest = dims[0], dims[1:]
        batch_first = first is None or first == -1
        sizes_ok = all(isinstance(d, int) and d > 0 for d in rest)
        if len(dims) == 2 and batch_first and (sizes_ok or (first is None and rest[0] == -1)):
            declared = rest[0] if sizes_ok else None
            return Op("flatten", call.lineno, declared=declared, label=label)
        if len(dims) == 4 and batch_first and sizes_ok:
            channels, height, width = rest
            if channels == 1 and height == width and isinstance(height, int):
                return Op("reshape", call.lineno, label=label, side=height)
        raise Unmappable(
            f"{label} (REMAP only flattens or reshapes a vector into a 1-channel square image)",
            call.lineno,
        )

    def _mentions_tensor(self, node: ast.expr) -> bool:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return bool(names & (self.earlier | {self.current}))


def _skip(text: str) -> str:
    return f"skip connection (`{text}`): REMAP models are one chain of layers without additions"


def _is_print(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    )
