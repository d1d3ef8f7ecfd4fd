"""Reading a model source file for the static importer, with bounded work: at most
:data:`MAX_SOURCE_BYTES` bytes, UTF-8 (or the encoding its ``# coding:`` line declares),
no NUL bytes, and a parse whose failures (syntax errors, nesting too deep for Python's
parser) become one :class:`CodegenError` line ``file:line: reason``."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from remap.codegen.errors import CodegenError
from remap.files import FileReadError, read_regular_file

MAX_SOURCE_BYTES = 512_000  # model files are tens of kilobytes; this bounds parse time and memory


def read_source(path: Path, shown: str | None = None) -> str:
    """The text of the Python file ``path`` (named ``shown`` in errors), or CodegenError."""
    name = shown or str(path)
    try:
        raw = read_regular_file(path, MAX_SOURCE_BYTES)
    except FileReadError as exc:
        hint = ""
        if exc.reason.startswith("larger"):
            hint = (
                "; REMAP reads model files up to that size "
                "(move the model classes into a smaller file)"
            )
        raise CodegenError(f"{name}: {exc.reason}{hint}") from None
    return decode_source(raw, name)


def decode_source(raw: bytes, name: str) -> str:
    """``raw`` decoded as Python source (PEP 263 coding line, UTF-8 by default)."""
    check_nul(raw.decode("latin-1"), name)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError:  # no usable coding line: read it as UTF-8, which names the bad byte
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except LookupError:
        raise CodegenError(f"{name}:1: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CodegenError(
            f"{name}:{line}: not {encoding} text (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def check_nul(text: str, name: str) -> None:
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise CodegenError(f"{name}:{line}: contains a NUL byte (not a Python source file?)")


def parse_source(text: str, name: str) -> ast.Module:
    """The syntax tree of ``text``; every failure is a CodegenError naming file and line."""
    if len(text) > MAX_SOURCE_BYTES:
        raise CodegenError(f"{name}: larger than {MAX_SOURCE_BYTES:,} characters")
    check_nul(text, name)
    try:
        return ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise CodegenError(f"{name}:{exc.lineno or 1}: syntax error: {exc.msg}") from None
    except (RecursionError, MemoryError):
        # Python's parser gives up on deep nesting without saying where: name the
        # longest line, where such an expression almost always sits.
        lines = text.splitlines() or [""]
        line = max(range(len(lines)), key=lambda i: len(lines[i])) + 1
        raise CodegenError(
            f"{name}:{line}: an expression nested too deeply for Python's parser"
        ) from None
