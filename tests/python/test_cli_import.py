"""`remap import` as users run it (a real subprocess on real files): one line per problem
naming file and line, a non-zero exit when nothing was imported, refusals that name a cause
the user can act on, a model written for another input refused, and bounded work for huge
or hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import remap, write_tiny_npz

FIXTURES = Path(__file__).parent / "import_fixtures"


def _deep(n: int) -> str:
    return "x = " + "-" * n + "1\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"import torch\n\nclass Net(nn.Module:\n    pass\n", "net.py:3: syntax error"),
        (b"import torch\nx = 1\0\n", "net.py:2: contains a NUL byte"),
        (b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "net.py:1: syntax error: too many"),
        (("\n" + _deep(200_000)).encode(), "net.py:2: an expression nested too deeply"),
        (b"import torch\n# caf\xe9\n", "net.py:2: not utf-8 text (byte 0xe9)"),
        (b"import torch\nx = 1\n", "net.py: defines no nn.Module class"),
    ],
    ids=["syntax", "nul", "parentheses", "unary", "latin-1", "empty"],
)
def test_unreadable_files_are_one_line_naming_file_and_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / "net.py").write_bytes(content)
    out = remap("import", "net.py", "--no-train", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith(f"remap: error: {expected}"), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_refusals_name_the_cause_and_nothing_imported_exits_non_zero(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    (tmp_path / "models.py").write_text((FIXTURES / "real_world.py").read_text())
    out = remap("import", "models.py", "--no-train", "--dataset", data, cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert lines[-1] == "remap: error: models.py: nothing imported"
    text = (FIXTURES / "real_world.py").read_text().splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(text, 1) if needle in line)

    causes = {
        "BasicBlock": (
            line_of("out = self.conv1(x)"),
            "a skip connection or branch: the earlier tensor 'x' is used again",
        ),
        "Residual": (line_of("out = out + x"), "skip connection (`out + x`)"),
        "VGG": (
            line_of("nn.Sequential(*layers)"),
            "layers built in a loop (`nn.Sequential(*layers)`)",
        ),
        "Helper": (
            line_of("self.conv = conv3x3(3, 8)"),
            f"layer built by the helper function `conv3x3()` (line {line_of('def conv3x3')})",
        ),
        "VGG2": (
            line_of("make_layers([64])"),
            "layer built by the helper function `make_layers()`",
        ),
        "UsesOther": (
            line_of("Block(3, 8)"),
            "layer `Block` defined in another module (mylib.blocks)",
        ),
        "UsesLocal": (
            line_of("BasicBlock(3, 8)"),
            "sub-module `BasicBlock` (a class of this file)",
        ),
        "Looped": (line_of("for conv in self.convs"), "layers applied in a loop"),
        "Cat": (line_of("torch.cat"), "branches joined with torch.cat"),
        "LSTMNet": (line_of("nn.LSTM(10, 10)"), "nn.LSTM (no REMAP layer corresponds to it)"),
    }
    for name, (line, cause) in causes.items():
        prefix = f"remap: models.py:{line}: cannot import {name}: {cause}"
        assert any(entry.startswith(prefix) for entry in lines), (prefix, lines)
    assert len(lines) == len(causes) + 1
    assert "Traceback" not in out.stderr


def test_a_model_written_for_another_input_is_refused(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)  # 1×12×12 images
    (tmp_path / "cifar_net.py").write_text((FIXTURES / "cifar_net.py").read_text())
    out = remap("import", "cifar_net.py", "--no-train", "--dataset", data, cwd=tmp_path)
    assert out.returncode == 2
    assert (
        "remap: cifar_net.py:8: cannot import Net: model expects 3×32×32 input "
        "(Conv2d(3, 6, 5) has 3 input channels, Linear(400, 120) expects 400 features), "
        "the workspace's data is 1×12×12"
    ) in out.stderr
    listed = remap("list", "--json", cwd=tmp_path)
    assert listed.stdout.strip() == "[]"


def test_a_huge_file_is_refused_at_once_and_many_classes_are_bounded(tmp_path: Path) -> None:
    net = (FIXTURES / "cifar_net.py").read_text().split("class Net", 1)[1]
    head = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    (tmp_path / "huge.py").write_text(head + "".join(f"\nclass Net{i}" + net for i in range(9000)))
    assert (tmp_path / "huge.py").stat().st_size > 5_000_000
    out = remap("import", "huge.py", "--no-train", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("remap: error: huge.py: larger than 512,000 bytes"), out.stderr
    # Under the size limit: the first 100 classes are analysed, the rest named as not read,
    # and the output stays short.
    (tmp_path / "many.py").write_text(head + "".join(f"\nclass Net{i}" + net for i in range(500)))
    out = remap("import", "many.py", "--no-train", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "remap: and 480 more not imported" in out.stderr
    assert max(len(line) for line in (out.stdout + out.stderr).splitlines()) < 1000
