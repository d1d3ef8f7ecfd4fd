"""Static import of PyTorch model source into specs: the file is parsed with :mod:`ast`,
never imported or executed.

One :class:`ImportedModel` per ``nn.Module`` subclass (bases ``nn.Module``,
``torch.nn.Module`` or ``Module``) and per module-level ``name = nn.Sequential(...)``.
The input shape comes from a ``# remap: input CxHxW`` comment (inside or just above the
class, else anywhere in the file), an ``INPUT_SHAPE = (C, H, W)`` constant, the
``input_shape`` argument, or is inferred: the smallest common square input whose shapes
agree with every size the source declares (e.g. ``nn.Linear(400, 120)`` after two convs).
``num_classes`` is the output Linear's ``out_features`` (else ``NUM_CLASSES``, else the
argument).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, replace

from remap.arch.layers import Dense
from remap.arch.shapes import ShapeReport, analyse
from remap.arch.spec import ArchSpec
from remap.codegen.errors import CodegenError
from remap.codegen.forward import Flow, Modules, init_modules
from remap.codegen.imported import ImportedModel, InputCheck
from remap.codegen.lowering import Lowered, lower
from remap.codegen.scope import (
    Scope,
    Unmappable,
    collect_aliases,
    collect_constants,
    collect_functions,
)
from remap.codegen.source import parse_source
from remap.codegen.torchmap import Op, nn_name

_INPUT_COMMENT = re.compile(r"#\s*remap\s*:\s*input\b(.*)", re.IGNORECASE)
_SHAPE_TEXT = re.compile(r"\s*\(?\s*(\d+)\s*[x×X*,]\s*(\d+)\s*[x×X*,]\s*(\d+)\s*\)?\s*(?:#.*)?$")
_ANY_DIRECTIVE = re.compile(r"#\s*remap\s*:", re.IGNORECASE)
_SAME_COMMENT = re.compile(r"#\s*remap\s*:\s*padding\s*=\s*same\b", re.IGNORECASE)
_MODULE_BASES = ("torch.nn.Module", "Module")
_MAX_SIDE = 512
_COMMON_SIDES = (28, 32, 64, 224, 96, 128, 256, 48, 16, 299, 227, 112)
MAX_MODELS = 100  # models analysed per file: bounds the work for a file of thousands
_UNKNOWN_SHAPE = "unknown input shape; add a '# remap: input CxHxW' comment"


@dataclass(frozen=True)
class _Comment:
    line: int
    shape: tuple[int, int, int] | None  # None: malformed


@dataclass(frozen=True)
class _Defaults:
    input_shape: tuple[int, int, int] | None
    num_classes: int | None


def _comments(text: str) -> tuple[list[_Comment], frozenset[int]]:
    shapes: list[_Comment] = []
    same: set[int] = set()
    if not _ANY_DIRECTIVE.search(text):  # the common case: skip tokenizing
        return shapes, frozenset()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - ast.parse passed
        return shapes, frozenset()
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        line = tok.start[0]
        if _SAME_COMMENT.match(tok.string):
            same.add(line)
        found = _INPUT_COMMENT.match(tok.string)
        if found:
            dims = _SHAPE_TEXT.match(found.group(1))
            shape = None
            if dims:
                c, h, w = (int(g) for g in dims.groups())
                shape = (c, h, w) if min(c, h, w) >= 1 else None
            shapes.append(_Comment(line, shape))
    return shapes, frozenset(same)


def _attached(lines: list[str], first: int, last: int) -> set[int]:
    """Line numbers of the comment block just above ``first`` and of lines first..last."""
    found = set(range(first, last + 1))
    line = first - 1
    while line >= 1 and (not lines[line - 1].strip() or lines[line - 1].lstrip().startswith("#")):
        found.add(line)
        line -= 1
    return found


def _is_module_class(node: ast.ClassDef, scope: Scope) -> bool:
    return any(scope.qualname(base) in _MODULE_BASES for base in node.bases)


def _sequential_assignment(node: ast.stmt, scope: Scope) -> tuple[str, ast.Call] | None:
    target: ast.expr | None = None
    value: ast.expr | None = None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign):
        target, value = node.target, node.value
    if (
        isinstance(target, ast.Name)
        and isinstance(value, ast.Call)
        and nn_name(scope.qualname(value.func)) == "Sequential"
    ):
        return target.id, value
    return None


def import_source(
    text: str,
    *,
    filename: str = "<source>",
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    only: str | None = None,
    tree: ast.Module | None = None,
) -> list[ImportedModel]:
    """Every model in ``text`` (in source order; only the one named ``only`` when given). A
    file that does not parse raises :class:`CodegenError` naming the file and line; a model
    that cannot be mapped has ``spec=None`` and an ``error`` such as ``cannot map: nn.LSTM
    at line 12``. At most :data:`MAX_MODELS` models are analysed; the others come back
    unmapped with that reason, so the work per file stays bounded. ``tree`` is the text
    already parsed with :func:`remap.codegen.source.parse_source`."""
    if tree is None:
        tree = parse_source(text, filename)
    if input_shape is not None and _as_shape(tuple(input_shape)) is None:
        raise CodegenError(f"input_shape must be (C, H, W) positive integers, got {input_shape!r}")
    if num_classes is not None and _positive_int(num_classes) is None:
        raise CodegenError(f"num_classes must be a positive integer, got {num_classes!r}")
    comments, same_lines = _comments(text)
    aliases, classes = collect_aliases(tree)
    scope = Scope(
        aliases=aliases, same_lines=same_lines, local_classes=classes,
        local_functions=collect_functions(tree),
    )  # fmt: skip
    source_lines = text.splitlines()
    collect_constants(tree.body, scope)
    found: list[tuple[ast.stmt, str, set[int]]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and _is_module_class(stmt, scope):
            first = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
            end = stmt.end_lineno or stmt.lineno
            found.append((stmt, stmt.name, _attached(source_lines, first, end)))
        elif (seq := _sequential_assignment(stmt, scope)) is not None:
            end = stmt.end_lineno or stmt.lineno
            found.append((stmt, seq[0], _attached(source_lines, stmt.lineno, end)))
    attached_all = set().union(*(lines for *_, lines in found)) if found else set()
    file_comments = [c for c in comments if c.line not in attached_all]
    defaults = _Defaults(input_shape, num_classes)
    if only is not None:
        found = [entry for entry in found if entry[1] == only]
    results = []
    for index, (stmt, name, attached) in enumerate(found):
        if index >= MAX_MODELS:
            results.append(_not_analysed(stmt, name))
            continue
        own = [c for c in comments if c.line in attached]
        candidates = own or file_comments
        comment = candidates[0] if candidates else None
        results.append(_import_model(stmt, name, scope.child(), comment, defaults))
    return results


def _not_analysed(stmt: ast.stmt, name: str) -> ImportedModel:
    reason = f"not analysed: a file is read for its first {MAX_MODELS} models only"
    line = stmt.lineno
    return ImportedModel(
        name, line, stmt.end_lineno or line, None, f"{reason} at line {line}", error_line=line,
        reason=reason,
    )  # fmt: skip


def _import_model(
    stmt: ast.stmt, name: str, scope: Scope, comment: _Comment | None, defaults: _Defaults
) -> ImportedModel:
    end = stmt.end_lineno or stmt.lineno
    base = ImportedModel(name, stmt.lineno, end, None)
    try:
        if isinstance(stmt, ast.ClassDef):
            ops = _class_ops(stmt, scope)
        else:
            seq = _sequential_assignment(stmt, scope)
            assert seq is not None
            ops = Modules(scope).ops(seq[1], stmt.lineno)
        lowered = lower(ops)
        if not lowered.layers:
            raise Unmappable("a model without layers", stmt.lineno)
        classes = _num_classes(lowered, scope, defaults, stmt.lineno)
        shape, source = _input_shape(lowered, scope, comment, defaults, classes, stmt.lineno)
    except Unmappable as exc:
        return replace(base, error=str(exc), error_line=exc.line, reason=exc.what)
    return replace(
        base,
        spec=ArchSpec(shape, classes, tuple(lowered.layers)),
        layer_lines=tuple(lowered.lines),
        declared_inputs=tuple(lowered.declared),
        input_shape_source=source,
        checks=tuple(lowered.checks),
        notes=tuple(lowered.notes),
    )


def _class_ops(cls: ast.ClassDef, scope: Scope) -> list[Op]:
    collect_constants(cls.body, scope)
    methods = {s.name: s for s in cls.body if isinstance(s, ast.FunctionDef)}
    modules = init_modules(methods.get("__init__"), scope)
    forward = methods.get("forward")
    if forward is None:
        raise Unmappable(f"class {cls.name} without a forward() method", cls.lineno)
    return Flow(modules).run(forward)


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _num_classes(lowered: Lowered, scope: Scope, defaults: _Defaults, line: int) -> int:
    last = lowered.layers[-1]
    if isinstance(last, Dense):
        return last.units
    for candidate in (scope.constants.get("NUM_CLASSES"), defaults.num_classes):
        if (value := _positive_int(candidate)) is not None:
            return value
    dense = [layer.units for layer in lowered.layers if isinstance(layer, Dense)]
    if not dense:
        raise Unmappable("a model without an nn.Linear output layer", line)
    return dense[-1]


def _as_shape(value: object) -> tuple[int, int, int] | None:
    if isinstance(value, tuple) and len(value) == 3:
        dims = [_positive_int(v) for v in value]
        if all(d is not None for d in dims):
            return (value[0], value[1], value[2])
    return None


def _input_shape(
    lowered: Lowered,
    scope: Scope,
    comment: _Comment | None,
    defaults: _Defaults,
    classes: int,
    line: int,
) -> tuple[tuple[int, int, int], str]:
    if comment is not None:
        if comment.shape is None:
            raise Unmappable("a '# remap: input' comment that is not CxHxW", comment.line)
        return comment.shape, "comment"
    constant = _as_shape(scope.constants.get("INPUT_SHAPE"))
    if constant is not None:
        return constant, "constant"
    given = _as_shape(tuple(defaults.input_shape or ()))
    if given is not None:
        if lowered.checks and not _fits(lowered, classes, given):
            # Written for another input (other channels, or a common image size), rather
            # than a size bug that the diagnostics point out line by line.
            written_for = infer_input_shape(lowered, classes)
            if (
                written_for is not None
                and written_for != given
                and (written_for[0] != given[0] or written_for[1] in _COMMON_SIDES)
            ):
                raise Unmappable(_written_for(lowered, classes, written_for, given), line)
        return given, "argument"
    inferred = infer_input_shape(lowered, classes)
    if inferred is None:
        raise Unmappable(_UNKNOWN_SHAPE, line)
    return inferred, "inferred"


def checked_size(check: InputCheck, report: ShapeReport, layer_count: int) -> int | None:
    """The size ``check`` declares, as the analysed model has it (None past a layer that
    cannot be analysed)."""
    infos = report.layers
    if check.position < len(infos):
        shape = infos[check.position].input
    elif check.position == len(infos) == layer_count and infos:
        shape = infos[-1].output
    else:
        return None
    return shape.size if check.kind == "features" else shape.dims[0]


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def _written_for(
    lowered: Lowered, classes: int, written_for: tuple[int, int, int], given: tuple[int, int, int]
) -> str:
    """``model expects 3×32×32 input (Conv2d(3, 6, 5) has 3 input channels, Linear(400, 120)
    expects 400 features), the workspace's data is 1×28×28``."""
    report = analyse(ArchSpec(given, classes, tuple(lowered.layers)))
    count = len(lowered.layers)
    wrong = [c for c in lowered.checks if checked_size(c, report, count) != c.value]
    reasons = []
    channels = next((c for c in wrong if c.kind == "channels"), None)
    if channels is not None:
        reasons.append(f"{channels.label} has {channels.value} input channels")
    features = next((c for c in wrong if c.kind == "features"), None)
    if features is not None:
        reasons.append(f"{features.label} expects {features.value} features")
    why = f" ({', '.join(reasons)})" if reasons else ""
    return (
        f"model expects {_shape(written_for)} input{why}, the workspace's data is "
        f"{_shape(given)}; import it into a workspace whose data is {_shape(written_for)}"
    )


def _fits(lowered: Lowered, classes: int, shape: tuple[int, int, int]) -> bool:
    report = analyse(ArchSpec(shape, classes, tuple(lowered.layers)))
    count = len(lowered.layers)
    if len(report.layers) != count:  # some layer is impossible on this input
        return False
    return all(checked_size(c, report, count) == c.value for c in lowered.checks)


def infer_input_shape(lowered: Lowered, classes: int) -> tuple[int, int, int] | None:
    """The square input (C, s, s) that agrees with every declared size: C from the first
    declared channel count, else 1 or 3; s a common size if one fits, else the smallest.
    None when nothing constrains the spatial size (or nothing fits)."""
    if not any(c.kind == "features" for c in lowered.checks):
        return None
    channels = [*[c.value for c in lowered.checks if c.kind == "channels"][:1], 1, 3]
    for c in dict.fromkeys(channels):
        if _fits(lowered, classes, (c, _MAX_SIDE, _MAX_SIDE)):
            return None  # any large input fits: the declared sizes do not pin it down
        # The first common side that fits, else the smallest (tried in that order, so a
        # model written for a common size costs a dozen analyses rather than hundreds).
        sides = (*_COMMON_SIDES, *range(1, _MAX_SIDE))
        side = next((s for s in sides if s < _MAX_SIDE and _fits(lowered, classes, (c, s, s))), 0)
        if side:
            return (c, side, side)
    return None
