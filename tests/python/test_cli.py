"""The `remap` command line as users run it: a real subprocess per command, stdout for
results, one clear line on stderr and exit code 2 for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service_helpers import remap, write_tiny_npz

from remap.arch.original import load_model_set


def test_params_prints_id_and_count_in_input_order(reference_dir: Path) -> None:
    out = remap("params", reference_dir / "models.json")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    entries = load_model_set(reference_dir / "models.json").models
    assert lines == [f"{e.id},{e.extra['parameters']}" for e in entries]


def test_export_of_a_model_set_entry_runs_on_its_own(reference_dir: Path, tmp_path: Path) -> None:
    entry = load_model_set(reference_dir / "models.json").models[7]
    target = tmp_path / "model7.py"
    out = remap("export", reference_dir / "models.json", "--id", entry.id, "--out", target)
    assert out.returncode == 0, out.stderr
    run = subprocess.run([sys.executable, str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"parameters: {entry.extra['parameters']:,}" in run.stdout
    again = remap("export", reference_dir / "models.json", "--id", entry.id, "--out", target)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr


def test_bad_input_is_one_clear_line(tmp_path: Path, reference_dir: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"input_shape": [1, 28, 28], "num_classes": 10, "models": [')
    cases = [
        (("params", tmp_path / "missing.json"), "missing.json: cannot read"),
        (("params", broken), "broken.json: not valid JSON at line 1"),
        (
            ("export", reference_dir / "models.json", "--id", "nope", "--out", tmp_path / "x.py"),
            "no model with id 'nope'",
        ),
        (("show", "42", "-w", tmp_path), "unknown model id 42"),
        (("craft", "1", "[{", "-w", tmp_path), "edits: not valid JSON"),
        (("settings", "epochs=0", "-w", tmp_path), "epochs: expected an integer 1…100,000"),
        (("sample", "2", "-w", tmp_path, "--dataset", tmp_path / "nothing.npz"), "nothing.npz"),
    ]
    for args, needle in cases:
        out = remap(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert needle in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
        assert out.stderr.startswith("remap: error: ")


def test_workspace_workflow_without_training(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    out = remap("sample", "3", "--no-train", "-w", tmp_path, "--dataset", data)
    assert out.returncode == 0, out.stderr
    assert "sampled: 3 new model(s), 0 queued" in out.stdout
    listed = json.loads(remap("list", "--json", "-w", tmp_path).stdout)
    assert [m["id"] for m in listed] == [1, 2, 3] and {m["state"] for m in listed} == {"untrained"}
    edits = json.dumps([{"op": "insert", "index": 0, "layer": {"type": "dropout", "rate": 0.5}}])
    crafted = remap("craft", "1", edits, "--no-train", "-w", tmp_path)
    assert crafted.returncode == 0, crafted.stderr
    assert "Inserted Dropout 0.5 before index 0" in crafted.stdout
    shown = remap("show", "4", "-w", tmp_path)
    assert (
        "parent: model #1" in shown.stdout
        and "model #4 — handcrafted" in shown.stdout
        and "Dropout 0.5" in shown.stdout
    )
    queued = remap("queue", "-w", tmp_path)
    assert "0 queued" in queued.stdout


def test_demo_runs_the_whole_job_on_a_small_data_set(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    workspace = tmp_path / "ws"
    out = remap(
        "demo", "-w", workspace, "--dataset", data, "--models", "3", "--epochs", "1",
        "--variations", "2", "--workers", "1", timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "best model" in out.stdout and "exported to" in out.stdout
    for column in ("model", "origin", "parent", "changes", "params", "accuracy"):
        assert column in out.stdout.splitlines()[-14] or column in out.stdout
    assert "ablation" in out.stdout and "variation" in out.stdout
    exported = workspace / "remap_models" / "best_model.py"
    run = subprocess.run(
        [sys.executable, str(exported)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "training" in out.stderr  # the progress bar
