"""Bundled example model sets: the shipped copy equals the tests' reference vectors and one
command puts the original's models on a workspace's map."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import remap

from remap.arch.original import load_model_set
from remap.examples import example_names, example_path


def test_bundled_example_is_the_reference_model_set(reference_dir: Path) -> None:
    assert example_names() == ["remap-quickdraw"]
    bundled = example_path("remap-quickdraw").read_bytes()
    assert bundled == (reference_dir / "models.json").read_bytes()


def test_import_example_adds_the_original_models_to_a_digits_workspace(tmp_path: Path) -> None:
    entries = load_model_set(example_path("remap-quickdraw")).models
    distinct = {e.spec.content_hash for e in entries}  # the original repeats 11 models
    out = remap("import", "--example", "remap-quickdraw", "--no-train", "-w", tmp_path)
    assert out.returncode == 0, out.stderr
    summary = f"imported the example remap-quickdraw: {len(distinct)} new model(s), 0 queued"
    assert summary in out.stdout and len(entries) == 100 and len(distinct) == 89
    listed = json.loads(remap("list", "--json", "-w", tmp_path).stdout)
    assert len(listed) == len(distinct) and {m["origin"] for m in listed} == {"reference"}
    assert listed[0]["name"] == entries[0].id
    again = remap("import", "--example", "remap-quickdraw", "--no-train", "-w", tmp_path)
    assert "0 new model(s)" in again.stdout and "already in the workspace" in again.stdout


def test_unknown_example_and_missing_argument_are_one_clear_line(tmp_path: Path) -> None:
    out = remap("import", "--example", "nope", "-w", tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("remap: error: ") and "remap-quickdraw" in out.stderr
    out = remap("import", "-w", tmp_path)
    assert out.returncode == 2 and "either a FILE or --example NAME" in out.stderr
