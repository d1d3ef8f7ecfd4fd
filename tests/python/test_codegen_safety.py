"""Safety of exported source and of writing it: user text (names, data sets, change notes,
parents, class names) never becomes code, and ``write_export`` never writes outside its
folder, over an existing file (unless asked) or leaves a half-written file."""

from __future__ import annotations

import ast
import io
import keyword
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remap.arch.layers import Conv2D, Dense, MaxPool
from remap.arch.spec import ArchSpec
from remap.codegen import (
    CodegenError,
    Provenance,
    class_name_for,
    export_source,
    import_source,
    write_export,
)
from remap.codegen import writer as writer_module

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")
SPEC = ArchSpec((1, 28, 28), 10, (Conv2D(3, 8), MaxPool(2), Dense(10)))

NASTY = [
    '"""; import os; os.system("echo pwned"); """',
    "'''\nimport os\n'''",
    "trailing backslash \\",
    '\\"""',
    "\\N{BULLET} and \\x41 and \\u0041 and \\",
    "{__import__('os')} {0} {{}} %s",
    "# not a comment\nprint('pwned')",
    "\r\nline\x0bbreaks\x0c\x1c\x1d\x1e\x85\u2028\u2029end",
    "\x00 nul, \x7f del and \x1b[31m escape",
    "bidi \u202e override \u2066 isolate \u200b zero width",
    "lone surrogate \ud800 here",
    '"',
    '""',
    '""""',
    "\\",
    'ends with a quote"',
    "日本語のモデル名 " * 12,
    "x" * 300,
    "é" * 150,
    "emoji \U0001f600" * 20,
    "",
    "   ",
    "if __name__ == '__main__': pass",
    "class Evil(nn.Module): pass",
    "None",
    "INPUT_SHAPE",
]
MODULE_SHAPE = ["Expr", "Import", "ImportFrom", "Assign", "Assign", "ClassDef", "If"]
NAMES = {"torch", "nn", "INPUT_SHAPE", "NUM_CLASSES", "self", "x", "model", "logits", "p"}
BUILTINS = {"super", "print", "tuple", "sum", "__name__"}
COMMENT = re.compile(r"^# (-> \(|x: \(batch, |channels, height, width$|remap: padding=same )")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _provenance(text: str) -> Provenance:
    return Provenance(
        model_id=text,
        name=text,
        dataset=text,
        parent=text,
        origin=text,
        changes=(text, text + "!"),
        created=text,
    )


def _check_safe(text: str, source: str) -> None:
    """``source`` (exported with ``text`` everywhere) has exactly the expected code."""
    tree = ast.parse(source)
    assert [type(node).__name__ for node in tree.body] == MODULE_SHAPE
    cls = tree.body[5]
    assert isinstance(cls, ast.ClassDef)
    assert cls.name == class_name_for(text) and cls.name.isidentifier()
    assert cls.name.isascii() and not keyword.iskeyword(cls.name)
    assert [type(n).__name__ for n in cls.body] == ["Expr", "FunctionDef", "FunctionDef"]
    doc = ast.get_docstring(tree, clean=False)
    assert doc is not None
    lines = doc.split("\n")
    clean = _clean(text)
    for label in ("Model id: ", "Name: ", "Data set: ", "Parent: ", "Origin: ", "Created: "):
        if clean:
            assert label + clean in lines, (label, clean)
        else:  # empty text is left out
            assert not any(line.startswith(label.strip()) for line in lines)
    assert "- " + _clean(text + "!") in lines
    assert ("- " + clean in lines) == bool(clean)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert names <= NAMES | BUILTINS | {cls.name}, names
    strings = {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value != doc
    }
    class_doc = ast.get_docstring(cls, clean=False)
    assert strings <= {class_doc, "__main__", "output shape: ", "parameters: ", ",", "same"}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            assert COMMENT.match(tok.string), tok.string
    assert max(len(line) for line in source.splitlines()) <= 100
    (model,) = import_source(source)
    assert model.spec == SPEC and model.class_name == cls.name


@pytest.mark.parametrize("text", NASTY)
def test_user_text_never_becomes_code(text: str) -> None:
    _check_safe(text, export_source(SPEC, class_name=text, provenance=_provenance(text)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=()), max_size=120))
def test_random_user_text_never_becomes_code(text: str) -> None:
    _check_safe(text, export_source(SPEC, class_name=text, provenance=_provenance(text)))


def test_nasty_exports_are_ruff_clean(tmp_path: Path) -> None:
    for i, text in enumerate(NASTY):
        write_export(SPEC, tmp_path, f"n{i}.py", class_name=text, provenance=_provenance(text))
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    project = str(REPO / "ruff.toml")
    for command in (
        [str(RUFF), "check", "--isolated", "--extend-select", "I,UP,W,B,SIM", *files],
        [str(RUFF), "format", "--isolated", "--check", *files],
        [str(RUFF), "check", "--config", project, *files],
        [str(RUFF), "format", "--config", project, "--check", *files],
    ):
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr


# -- write_export -----------------------------------------------------------------------------


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_default_file_name_and_content(tmp_path: Path) -> None:
    path = write_export(SPEC, tmp_path, class_name="my model!")
    assert path == tmp_path.resolve() / "my_model.py"
    assert path.read_text(encoding="utf-8") == export_source(SPEC, class_name="MyModel")
    assert _listing(tmp_path) == ["my_model.py"]
    assert path.stat().st_mode & 0o777 == 0o644
    sub = tmp_path / "models"
    sub.mkdir()
    assert write_export(SPEC, tmp_path, "models/net.py").parent == sub.resolve()


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("/tmp/evil.py", "must be relative"),
        ("../evil.py", "must not contain '..'"),
        ("sub/../../evil.py", "must not contain '..'"),
        ("evil.sh", "must end in .py"),
        ("nul\x00.py", "invalid file name"),
        ("", "invalid file name"),
        ("missing/net.py", "does not exist"),
    ],
)
def test_paths_outside_the_folder_are_refused(tmp_path: Path, filename: str, message: str) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    with pytest.raises(CodegenError, match=re.escape(message)):
        write_export(SPEC, folder, filename)
    assert _listing(folder) == [] and _listing(tmp_path) == ["work"]


def test_symlinks_cannot_escape(tmp_path: Path) -> None:
    folder, outside = tmp_path / "work", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(CodegenError, match="outside the folder"):
        write_export(SPEC, folder, "link/evil.py")
    victim = outside / "victim.py"
    victim.write_text("original")
    (folder / "net.py").symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(CodegenError, match="symbolic link"):
            write_export(SPEC, folder, "net.py", overwrite=overwrite)
    assert victim.read_text() == "original" and _listing(outside) == ["victim.py"]
    with pytest.raises(CodegenError, match="does not exist"):
        write_export(SPEC, tmp_path / "nowhere", "net.py")


def test_existing_files_are_kept_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "net.py"
    target.write_text("mine")
    with pytest.raises(CodegenError, match=re.escape(f"{target.resolve()} already exists")):
        write_export(SPEC, tmp_path, "net.py")
    assert target.read_text() == "mine"
    write_export(SPEC, tmp_path, "net.py", overwrite=True)
    assert target.read_text() == export_source(SPEC)
    (tmp_path / "dir.py").mkdir()
    with pytest.raises(CodegenError, match="not a regular file"):
        write_export(SPEC, tmp_path, "dir.py", overwrite=True)
    assert _listing(tmp_path) == ["dir.py", "net.py"]


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "net.py"
    target.write_text("mine")

    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module.os, "replace", fail)
    monkeypatch.setattr(writer_module.os, "link", fail)
    # The error names the file asked for (not the temporary file) and the reason.
    with pytest.raises(CodegenError, match=r"cannot write .*net\.py: No space left"):
        write_export(SPEC, tmp_path, "net.py", overwrite=True)
    with pytest.raises(CodegenError, match=r"cannot write .*new\.py: No space left"):
        write_export(SPEC, tmp_path, "new.py")
    assert target.read_text() == "mine" and _listing(tmp_path) == ["net.py"]
    monkeypatch.undo()
    monkeypatch.setattr(writer_module.os, "fsync", fail)
    with pytest.raises(CodegenError, match="other.py"):
        write_export(SPEC, tmp_path, "other.py")
    assert _listing(tmp_path) == ["net.py"]


def test_no_hard_links_falls_back_to_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(writer_module.os, "link", no_links)
    path = write_export(SPEC, tmp_path, "net.py")
    assert path.read_text() == export_source(SPEC)
    with pytest.raises(CodegenError, match="already exists"):
        write_export(SPEC, tmp_path, "net.py")
    assert _listing(tmp_path) == ["net.py"]
    assert os.access(path, os.R_OK)
