"""Safe names and text for generated PyTorch source: class identifiers derived from user
names, module file names, and docstring lines that can never close the docstring.

User text (model names, data sets, change notes) never becomes code: it only appears in
the module docstring, with whitespace collapsed to single spaces and every ``\\``, ``"``
and non-printable character written as an escape sequence, so the docstring's value is
exactly the collapsed text. Long values continue on the next line with a backslash-newline
(which the string literal removes), keeping every line within 88 columns.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

DEFAULT_CLASS_NAME = "RemapModel"
MAX_LINE = 88  # ruff's default; the project's 100 is looser
_MAX_IDENTIFIER = 48
# Module names a generated file must not take: running ``python torch.py`` would make
# ``import torch`` import the file itself.
_SHADOWED = frozenset({"torch", "nn", "numpy", "remap", "typing_extensions", "functorch"})


def class_name_for(name: str | None, fallback: str = DEFAULT_CLASS_NAME) -> str:
    """A CamelCase ASCII identifier from free text (``"my cool-net v2"`` → ``MyCoolNetV2``);
    the fallback when nothing usable remains. Never a keyword, never starts with a digit."""
    words = re.findall(r"[A-Za-z0-9]+", name or "")
    ident = "".join(word[0].upper() + word[1:] for word in words)[:_MAX_IDENTIFIER]
    if not ident:
        return fallback
    if ident[0].isdigit():
        ident = ("Model" + ident)[:_MAX_IDENTIFIER]
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "Model"
    return ident


def snake_case(ident: str) -> str:
    """``RemapModel`` → ``remap_model``, ``CNNNet2`` → ``cnn_net2``."""
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", ident)
    return out.lower()


def module_filename_for(class_name: str) -> str:
    """A safe ``.py`` file name for a class (never one that shadows a module it imports)."""
    stem = snake_case(class_name_for(class_name))
    if stem in _SHADOWED or stem in sys.stdlib_module_names:
        stem += "_model"
    return stem + ".py"


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == '"':
        return '\\"'
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _width(token: str) -> int:
    if token.isascii():
        return len(token)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in token)


def clean_text(text: str) -> str:
    """The form user text takes in a docstring value: whitespace runs become one space."""
    return " ".join(str(text).split())


def docstring_lines(label: str, text: str, width: int = MAX_LINE) -> list[str]:
    """Source lines for ``label`` + ``text`` inside a module docstring (no indentation).
    The string value of the lines is exactly ``label + clean_text(text)``; continuation
    lines end with a backslash and never start with a space."""
    tokens = [_escape_char(ch) for ch in clean_text(text)]
    lines: list[str] = []
    current = label
    current_width = _width(label)
    for token in tokens:
        token_width = _width(token)
        # Keep room for the continuation backslash; never begin a line with a space.
        if current_width + token_width > width - 1 and current and token != " ":
            lines.append(current + "\\")
            current, current_width = "", 0
        current += token
        current_width += token_width
    lines.append(current)
    return lines


def docstring_block(entries: Iterable[tuple[str, str]], width: int = MAX_LINE) -> list[str]:
    """Lines for several ``(label, text)`` entries, one entry per logical line; entries
    whose text is empty (or only whitespace) are left out."""
    out: list[str] = []
    for label, text in entries:
        if clean_text(text):
            out.extend(docstring_lines(label, text, width))
    return out
