"""Editor diagnostics for imported models: declared sizes that disagree with the shapes
REMAP infers (``Linear(1024, 10) receives 1600 features here: input 1×28×28 after
Conv2D 5×5/16 and MaxPool 5``), problems found while reading the source, the first
impossible layer, and the reason a model cannot be mapped — each with its source line; a
declared size that disagrees carries the quick fix that writes the inferred one."""

from __future__ import annotations

from remap.arch.layers import AvgPool, Conv2D, Dense, GlobalAvgPool, Layer, MaxPool
from remap.arch.shapes import analyse
from remap.arch.spec import ArchSpec
from remap.codegen.imported import ImportedModel, InputCheck, Mismatch, SizeFix
from remap.codegen.importer import checked_size

_SHAPING = (Conv2D, MaxPool, AvgPool, Dense, GlobalAvgPool)


def _join(names: list[str]) -> str:
    if len(names) > 4:
        names = [*names[:2], f"{len(names) - 3} more", names[-1]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _context(spec: ArchSpec, position: int) -> str:
    """``input 1×28×28 after Conv2D 5×5/16 and MaxPool 5``: the layers that shape the
    tensor before ``position``."""
    before: list[Layer] = [layer for layer in spec.layers[:position] if isinstance(layer, _SHAPING)]
    text = "input " + "×".join(str(d) for d in spec.input_shape)
    return text + (" after " + _join([layer.describe() for layer in before]) if before else "")


def _message(check: InputCheck, actual: int, spec: ArchSpec) -> str:
    noun = "features" if check.kind == "features" else "channels"
    if actual == 1:
        noun = noun[:-1]
    return f"{check.label} receives {actual} {noun} here: {_context(spec, check.position)}"


def shape_mismatches(imported: ImportedModel) -> list[Mismatch]:
    """Every problem of ``imported``, ordered by line: the mapping error of a model that
    cannot be mapped, notes from reading it, declared sizes that disagree with the
    inferred shapes, and the first impossible layer (the ArchError message)."""
    spec = imported.spec
    if spec is None:
        line = imported.error_line or imported.line
        return [Mismatch(None, line, imported.error or "cannot map this model")]
    found = list(imported.notes)
    report = analyse(spec)
    for check in imported.checks:
        actual = checked_size(check, report, len(spec.layers))
        if actual is not None and actual != check.value:
            index = check.position if check.position < len(spec.layers) else None
            fix = SizeFix(check.param, actual, check.at) if check.at and check.param else None
            found.append(Mismatch(index, check.line, _message(check, actual, spec), fix))
    error = report.error
    if error is not None:
        index = error.index
        lines = imported.layer_lines
        if index is not None and 0 <= index < len(lines):
            line = lines[index]
        else:
            line = lines[-1] if lines and "output" in error.reason else imported.line
        found.append(Mismatch(index, line, str(error)))
    return sorted(found, key=lambda m: m.line)
