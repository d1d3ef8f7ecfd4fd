"""``remap distances``: CSV output, input formats and one-line errors (exit status 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from remap.analysis.otmann import OtmannParams
from remap.analysis.otmann_fast import otmann_matrix
from remap.arch.layers import AvgPool, Conv2D, Dense, MaxPool
from remap.arch.spec import ArchSpec
from remap.cli.cmd_distances import main

SPECS = [
    ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), MaxPool(2), Dense(10))),
    ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), AvgPool(2), Dense(10))),
    ArchSpec((1, 28, 28), 10, (Conv2D(5, 32), Dense(64), Dense(10))),
]


def test_reference_model_set_reproduces_the_original_csv(
    tmp_path: Path, reference_dir: Path
) -> None:
    out = tmp_path / "d.csv"
    code = main(
        ["distances", str(reference_dir / "models.json"), "--params", "remap", "--out", str(out)]
    )
    assert code == 0
    got = np.loadtxt(out, delimiter=",")
    want = np.loadtxt(reference_dir / "otmann_distances.csv", delimiter=",", usecols=range(100))
    assert got.shape == (100, 100)
    assert float((np.abs(got - want) / np.maximum(want, 1.0)).max()) <= 1e-9
    first = out.read_text().splitlines()[0].split(",")
    assert len(first) == 100 and all("e" in v and len(v) >= 24 for v in first)  # %.18e


@pytest.mark.parametrize("layout", ["list", "id-list", "object"])
def test_our_formats_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    dicts = [s.to_dict() for s in SPECS]
    if layout == "list":
        doc: object = dicts
    elif layout == "id-list":
        doc = [{"id": f"m{i}", "spec": d} for i, d in enumerate(dicts)]
    else:
        doc = {"models": [{"id": f"m{i}", "spec": d} for i, d in enumerate(dicts)]}
    path = tmp_path / "models.json"
    path.write_text(json.dumps(doc))
    assert main(["distances", str(path)]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.splitlines()]
    got = np.array(rows, dtype=float)
    assert np.array_equal(got, otmann_matrix(SPECS, OtmannParams.default()))
    assert got[0, 1] > 0  # default params tell max from avg pooling


def test_remap_params_merge_pool_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps([s.to_dict() for s in SPECS]))
    assert main(["distances", str(path), "--params", "remap"]) == 0
    got = np.loadtxt(capsys.readouterr().out.splitlines(), delimiter=",")
    assert got[0, 1] == 0.0 and got[0, 2] > 0


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        ('{"models": [', "not valid JSON at line 1"),
        (
            '{"input_shape": [1, 28, 28], "num_classes": 10, '
            '"models": [{"layers": [{"type": "Conv9"}]}]}',
            "models[0].layers[0].type",
        ),
        ('[{"input_shape": [1, 8, 8], "num_classes": 2, "layers": [{"type": "dense"}]}]', "units"),
        ('"just a string"', "expected a list of specs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "models.json"
    if content is not None:
        path.write_text(content)
    assert main(["distances", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("remap distances: error: ")
    assert message in lines[0] and str(path) in lines[0]


def test_module_entry_point(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps([s.to_dict() for s in SPECS[:2]]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "remap.cli.cmd_distances",
            "distances",
            str(path),
            "--params",
            "remap",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert np.loadtxt(done.stdout.splitlines(), delimiter=",").tolist() == [[0, 0], [0, 0]]
    bad = subprocess.run(
        [sys.executable, "-m", "remap.cli.cmd_distances", "distances", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "nope.json" in bad.stderr and "Traceback" not in bad.stderr
