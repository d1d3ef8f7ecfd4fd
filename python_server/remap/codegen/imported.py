"""The result types of a static import: one :class:`ImportedModel` per ``nn.Module``
class (or module-level ``nn.Sequential``), and :class:`Mismatch` diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

from remap.arch.spec import ArchSpec

# Where an argument is written: (line, column, end line, end column); lines 1-based,
# columns 0-based UTF-8 byte offsets as ``ast`` gives them.
Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class SizeFix:
    """The quick fix for a declared size: write ``value`` as argument ``param`` at ``at``."""

    param: str
    value: int
    at: Span


@dataclass(frozen=True)
class Mismatch:
    """A problem at a source line: ``layer_index`` is the spec layer it concerns (None for
    the whole model); ``fix`` the argument edit that resolves it, when one is known."""

    layer_index: int | None
    line: int
    message: str
    fix: SizeFix | None = None


@dataclass(frozen=True)
class InputCheck:
    """A size the source declares for the input of spec layer ``position`` (``position ==
    len(layers)`` means the model's output): ``kind`` is ``"features"`` (total size) or
    ``"channels"`` (first axis); ``label`` names the declaration, e.g. ``Linear(1024, 10)``."""

    position: int
    line: int
    kind: str
    value: int
    label: str
    at: Span | None = None  # where the size is written (for a quick fix)
    param: str = ""  # its parameter name: in_features, in_channels, num_features


@dataclass(frozen=True)
class ImportedModel:
    """A model class found in source. ``spec`` is None when it cannot be mapped, and then
    ``error`` says why (``cannot map: nn.LSTM at line 12``) and ``error_line`` where.
    ``layer_lines`` gives the source line of each spec layer (the line of its module's
    constructor, or of the functional call); ``declared_inputs`` the in_channels /
    in_features / num_features the source declares for it (None where nothing is).
    ``input_shape_source`` is "comment", "constant", "argument" or "inferred" (empty when
    unknown). ``checks`` holds every declared size (including ``x.view(-1, 400)``) and
    ``notes`` the problems found without shapes (a Linear that receives an image)."""

    class_name: str
    line: int
    end_line: int
    spec: ArchSpec | None
    error: str | None = None
    layer_lines: tuple[int, ...] = ()
    declared_inputs: tuple[int | None, ...] = ()
    input_shape_source: str = ""
    error_line: int | None = None
    checks: tuple[InputCheck, ...] = field(default_factory=tuple)
    notes: tuple[Mismatch, ...] = field(default_factory=tuple)
    reason: str | None = None  # ``error`` without "cannot map:" and the line

    def problem(self, filename: str) -> str:
        """``net.py:12: cannot import ResNet: skip connection (`out + x`)``: why this model
        is not mapped, as one line naming the file and line."""
        line = self.error_line or self.line
        return f"{filename}:{line}: cannot import {self.class_name}: {self.reason or self.error}"
