"""Editor features on Python files, computed from the document text with the static importer
(:func:`remap.codegen.import_source`; user code is never executed): diagnostics (shape
errors, classes that cannot be mapped), code lenses above mappable ``nn.Module`` classes, code
actions (quick fixes for declared sizes), and the ``WorkspaceEdit`` that replaces a class with
the source of another model."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types as t

from remap.lsp import protocol as P
from remap.service.editing import Replacement as Replacement
from remap.service.naming import model_label
from remap.service.types import CodegenError, ImportedModel, import_source, shape_mismatches

LENSES = (
    ("REMAP: show on map", P.CMD_SHOW_ON_MAP),
    ("ablate", P.CMD_ABLATE),
    ("vary", P.CMD_VARY),
    ("train", P.CMD_TRAIN),
)


@dataclass(frozen=True)
class Analysis:
    """The models of one document version; ``error`` is set when the text does not parse."""

    models: tuple[ImportedModel, ...]
    error: str | None = None


def is_python(uri: str, language_id: str | None = None) -> bool:
    return language_id == "python" or uri.lower().endswith((".py", ".pyi"))


def analyse_text(
    text: str,
    filename: str,
    input_shape: tuple[int, int, int] | None,
    num_classes: int | None,
) -> Analysis:
    try:
        models = import_source(
            text, filename=filename, input_shape=input_shape, num_classes=num_classes
        )
    except CodegenError as exc:
        return Analysis((), str(exc))
    return Analysis(tuple(models))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def line_range(lines: Sequence[str], line: int) -> t.Range:
    """The range of 1-based ``line`` from its first non-blank character to its end."""
    index = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[index] if lines else ""
    start = _utf16_len(text[: len(text) - len(text.lstrip())])
    return t.Range(t.Position(index, start), t.Position(index, max(_utf16_len(text), start)))


def diagnostics(analysis: Analysis, text: str) -> list[t.Diagnostic]:
    lines = text.splitlines()
    out: list[t.Diagnostic] = []
    for model in analysis.models:
        if model.spec is None:
            out.append(
                t.Diagnostic(
                    range=line_range(lines, model.line),
                    message=f"REMAP cannot map {model.class_name}: {_reason(model)}",
                    severity=t.DiagnosticSeverity.Information,
                    source=P.DIAGNOSTIC_SOURCE,
                )
            )
            continue
        for mismatch in shape_mismatches(model):
            out.append(
                t.Diagnostic(
                    range=line_range(lines, mismatch.line),
                    message=mismatch.message,
                    severity=t.DiagnosticSeverity.Error,
                    source=P.DIAGNOSTIC_SOURCE,
                )
            )
    return out


def _reason(model: ImportedModel) -> str:
    if model.reason is None:
        return model.error or "unknown reason"
    line = model.error_line
    return model.reason + (f" (line {line})" if line and line != model.line else "")


def mappable(analysis: Analysis) -> list[ImportedModel]:
    return [m for m in analysis.models if m.spec is not None]


def code_lenses(uri: str, analysis: Analysis) -> list[t.CodeLens]:
    lenses = []
    for model in mappable(analysis):
        where = t.Range(t.Position(model.line - 1, 0), t.Position(model.line - 1, 0))
        for title, command in LENSES:
            lenses.append(
                t.CodeLens(
                    range=where,
                    command=t.Command(
                        title=title, command=command, arguments=[uri, model.class_name]
                    ),
                )
            )
    return lenses


def is_class(text: str, model: ImportedModel) -> bool:
    """True for a ``class`` statement, False for a module-level ``x = nn.Sequential(...)``."""
    lines = text.splitlines()
    return 0 < model.line <= len(lines) and lines[model.line - 1].lstrip().startswith("class ")


def models_in_range(analysis: Analysis, selection: t.Range) -> list[ImportedModel]:
    first, last = selection.start.line + 1, selection.end.line + 1
    return [m for m in mappable(analysis) if m.line <= last and first <= m.end_line]


def _position(lines: Sequence[str], line: int, byte_col: int) -> t.Position:
    """An LSP position (UTF-16 column) from ``ast``'s 1-based line and UTF-8 byte column."""
    index = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[index] if lines else ""
    prefix = text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")
    return t.Position(index, _utf16_len(prefix))


def quick_fixes(uri: str, text: str, analysis: Analysis, selection: t.Range) -> list[t.CodeAction]:
    """ "Set in_features to 6272" (and in_channels, num_features) for each declared size in
    the selected lines that disagrees with the inferred shapes: an edit of that argument."""
    lines = text.splitlines()
    first, last = selection.start.line + 1, selection.end.line + 1
    actions = []
    for model in mappable(analysis):
        for mismatch in shape_mismatches(model):
            fix = mismatch.fix
            if fix is None or not first <= mismatch.line <= last:
                continue
            line, col, end_line, end_col = fix.at
            where = t.Range(_position(lines, line, col), _position(lines, end_line, end_col))
            title = f"REMAP: set {fix.param} to {fix.value}"
            diagnostic = t.Diagnostic(
                range=line_range(lines, mismatch.line),
                message=mismatch.message,
                severity=t.DiagnosticSeverity.Error,
                source=P.DIAGNOSTIC_SOURCE,
            )
            actions.append(
                t.CodeAction(
                    title=title,
                    kind=t.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=t.WorkspaceEdit(changes={uri: [t.TextEdit(where, str(fix.value))]}),
                )
            )
    return actions


def command_actions(uri: str, model: ImportedModel, variant: int | None) -> list[t.CodeAction]:
    name = model.class_name
    export_args: list[object] = [uri, name] if variant is None else [uri, name, variant]
    entries = (
        (f"REMAP: ablate each layer of {name}", P.CMD_ABLATE, [uri, name]),
        (f"REMAP: generate 5 variations of {name}", P.CMD_VARY, [uri, name]),
        (f"REMAP: train {name} on the workspace data set", P.CMD_TRAIN, [uri, name]),
        (f"REMAP: export a variant of {name} next to this file", P.CMD_EXPORT_VARIANT, export_args),
    )
    return [
        t.CodeAction(
            title=title,
            kind=t.CodeActionKind.Empty,
            command=t.Command(title=title, command=command, arguments=list(args)),
        )
        for title, command, args in entries
    ]


def replace_action(
    uri: str, text: str, model: ImportedModel, replacement: Replacement
) -> t.CodeAction:
    title = f"REMAP: replace {model.class_name} with model {model_label(replacement.model_id)}"
    if replacement.label:
        title += f" ({replacement.label})"
    return t.CodeAction(
        title=title,
        kind=t.CodeActionKind.RefactorRewrite,
        edit=replace_edit(uri, text, model, replacement.source),
    )


def replace_edit(uri: str, text: str, model: ImportedModel, class_source: str) -> t.WorkspaceEdit:
    """Replace lines ``model.line..model.end_line`` with ``class_source`` and add the torch
    imports the new class needs when the file lacks them; the rest of the file is kept."""
    lines = text.splitlines()
    last = min(model.end_line, len(lines))
    end = t.Position(last - 1, _utf16_len(lines[last - 1]) if lines else 0)
    edits = []
    insertion = missing_imports(text)
    if insertion is not None:
        line, block = insertion
        edits.append(t.TextEdit(t.Range(t.Position(line, 0), t.Position(line, 0)), block))
    body = class_source.rstrip("\n")
    edits.append(t.TextEdit(t.Range(t.Position(model.line - 1, 0), end), body))
    return t.WorkspaceEdit(changes={uri: edits})


def missing_imports(text: str) -> tuple[int, str] | None:
    """Where (0-based line) and what to insert so that ``torch`` and ``nn`` are imported:
    after the module docstring and ``__future__`` imports. None when nothing is missing.

    Only module-level imports count: an ``import torch`` under ``if __name__ ==
    "__main__":`` or inside a function does not bind the name when the class body runs."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    has_torch = has_nn = False
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                has_torch |= top == "torch" and alias.asname in (None, "torch")
                has_nn |= alias.name == "torch.nn" and alias.asname == "nn"
        elif isinstance(node, ast.ImportFrom) and node.module == "torch" and node.level == 0:
            has_nn |= any(a.name == "nn" and a.asname in (None, "nn") for a in node.names)
    missing = [
        line
        for line, present in (("import torch", has_torch), ("from torch import nn", has_nn))
        if not present
    ]
    if not missing:
        return None
    after = 0
    for i, node in enumerate(tree.body):
        docstring = (
            i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )  # fmt: skip
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or node.lineno
    return after, "".join(f"{line}\n" for line in missing)
