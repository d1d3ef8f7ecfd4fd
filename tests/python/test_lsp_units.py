"""In-process tests of the language server's parts: key conversion, params validation, the
editor helpers (imports to add, class extraction, replacement edits), the watcher's
coalescing and progress on a real store, the worker's parent watch, and the import-time
rule (the server module never imports torch, numpy, umap, numba or scikit-learn)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lsprotocol import types as t

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool
from remap.codegen import export_source, import_source
from remap.lsp import editor
from remap.lsp.params import ParamError, Params, file_path, spec_from_wire
from remap.lsp.protocol import camel, camel_path, snake, to_camel, to_snake, to_wire
from remap.lsp.watcher import ProgressState, Watcher
from remap.service.editing import class_block

SPEC = ArchSpec((1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3)))


# -- protocol ----------------------------------------------------------------------------------
def test_key_conversion_round_trips() -> None:
    assert camel("per_class_acc") == "perClassAcc" and camel("id") == "id"
    assert snake("perClassAcc") == "per_class_acc" and snake("held_out") == "held_out"
    data = {
        "model_id": 3,
        "run": {"per_class_acc": [0.5], "stopped_early": False},
        "x": [{"a_b": 1}],
    }
    wire = to_camel(data)
    assert wire == {
        "modelId": 3,
        "run": {"perClassAcc": [0.5], "stoppedEarly": False},
        "x": [{"aB": 1}],
    }
    assert to_snake(wire) == data
    assert camel_path("layers[3].kernel_size") == "layers[3].kernelSize"


def test_to_wire_makes_plain_json() -> None:
    value = {
        "val_acc": np.float32(0.5),
        "ids": np.arange(3),
        "bad": math.nan,
        "inf": -math.inf,
        "path": Path("/tmp/x"),
        "nested": (np.int64(4), None, True),
    }
    wire = to_wire(value)
    assert wire == {
        "valAcc": 0.5,
        "ids": [0, 1, 2],
        "bad": None,
        "inf": None,
        "path": "/tmp/x",
        "nested": [4, None, True],
    }
    json.dumps(wire, allow_nan=False)


# -- params ------------------------------------------------------------------------------------
def test_params_validation_names_the_field() -> None:
    p = Params({"modelId": 3.0, "ids": [1, "2"], "flag": "yes", "view": "x"})
    assert p.req_int("modelId") == 3
    cases = [
        (lambda: p.ints("ids"), "ids[1]: expected an integer, got '2'"),
        (lambda: p.flag("flag", True), "flag: expected true or false"),
        (lambda: p.choice("view", ("a", "b")), "view: expected one of a, b, got 'x'"),
        (lambda: p.req_int("missing"), "missing: missing (required)"),
        (lambda: p.integer("modelId", maximum=2), "modelId: expected an integer ≤ 2, got 3"),
        (lambda: Params([1]), "params: expected an object, got list"),
    ]
    for call, message in cases:
        with pytest.raises(ParamError) as info:
            call()
        assert str(info.value).startswith(message), (str(info.value), message)
    assert Params(None).raw == {}


def test_file_uris_and_specs() -> None:
    assert file_path("file:///tmp/a%20b/c.py") == "/tmp/a b/c.py"
    with pytest.raises(ParamError, match="uri: expected a file: URI"):
        file_path("untitled:Untitled-1")
    wire = to_wire(SPEC.to_dict())
    assert spec_from_wire(wire) == SPEC
    assert spec_from_wire(SPEC.to_dict()) == SPEC  # snake_case is accepted too
    wire["layers"][0]["kernelSize"] = 0
    with pytest.raises(ParamError) as info:
        spec_from_wire(wire)
    assert str(info.value).startswith("spec.layers[0].kernelSize:")


# -- editor ------------------------------------------------------------------------------------
def test_missing_imports_go_after_docstring_and_future() -> None:
    text = '"""Doc\nstring."""\nfrom __future__ import annotations\n\nimport os\n'
    assert editor.missing_imports(text) == (3, "import torch\nfrom torch import nn\n")
    assert editor.missing_imports("import torch\nimport torch.nn as nn\n") is None
    assert editor.missing_imports("from torch import nn\n") == (0, "import torch\n")
    assert editor.missing_imports("def broken(:\n") is None


def test_class_block_and_replace_edit() -> None:
    block = class_block(export_source(SPEC, class_name="Net"), "Net", "REMAP model 7.")
    assert block.startswith("class Net(nn.Module):\n") and '"""REMAP model 7."""' in block
    text = "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    pass\n\nx = 1\n"
    (model,) = import_source(
        "from torch import nn\n\n\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(64, 3)\n"
        "\n    def forward(self, x):\n        return self.fc(x.flatten(1))\n",
        input_shape=(1, 8, 8),
    )
    moved = type(model)(**{**model.__dict__, "line": 5, "end_line": 6})
    edit = editor.replace_edit("file:///t.py", text, moved, block)
    assert edit.changes is not None
    (change,) = edit.changes["file:///t.py"]  # torch and nn are imported already
    assert change.range.start == t.Position(4, 0) and change.range.end == t.Position(5, 8)
    assert change.new_text == block.rstrip("\n")


def test_diagnostics_and_lenses_from_an_analysis() -> None:
    source = (Path(__file__).parent / "lsp_fixtures" / "linear_bug.py").read_text()
    analysis = editor.analyse_text(source, "linear_bug.py", None, None)
    (diag,) = editor.diagnostics(analysis, source)
    assert diag.severity == t.DiagnosticSeverity.Error and diag.range.start.line == 13
    assert diag.range.start.character == 8  # from the first non-blank character
    lenses = editor.code_lenses("file:///x.py", analysis)
    assert len(lenses) == 4 and lenses[0].range.start.line == 8
    broken = editor.analyse_text("class (", "x.py", None, None)
    assert broken.models == () and broken.error and "syntax error" in broken.error


def test_quick_fixes_for_in_channels_and_num_features() -> None:
    source = (
        "import torch\nfrom torch import nn\n\n\n# remap: input 1x28x28\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(1, 8, 3)\n"
        "        self.bn = nn.BatchNorm2d(num_features=4)\n"
        "        self.conv2 = nn.Conv2d(in_channels=6, out_channels=4, kernel_size=3)\n"
        "        self.fc = nn.Linear(4 * 24 * 24, 10)\n\n"
        "    def forward(self, x):\n"
        "        x = self.conv2(self.bn(self.conv(x)))\n"
        "        return self.fc(torch.flatten(x, 1))\n"
    )
    analysis = editor.analyse_text(source, "net.py", None, None)
    everything = t.Range(t.Position(0, 0), t.Position(20, 0))
    fixes = editor.quick_fixes("file:///net.py", source, analysis, everything)
    assert [f.title for f in fixes] == [
        "REMAP: set num_features to 8",
        "REMAP: set in_channels to 8",
    ]
    lines = source.splitlines()
    for fix, written in zip(fixes, ("4", "6"), strict=True):
        assert fix.edit is not None and fix.edit.changes is not None
        (edit,) = fix.edit.changes["file:///net.py"]
        start, end = edit.range.start, edit.range.end
        assert lines[start.line][start.character : end.character] == written
    only_bn = t.Range(t.Position(9, 0), t.Position(9, 0))
    assert len(editor.quick_fixes("file:///net.py", source, analysis, only_bn)) == 1


# -- watcher -----------------------------------------------------------------------------------
class FakeRuntime:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.is_open = True
        self.index_dirty = False
        self.auto_train = True
        self.synced: list[tuple[dict[str, int], bool]] = []

    def workspace(self) -> Any:
        return self

    def warmup_state(self) -> str:
        return "warming"

    def sync_executor(self, counts: dict[str, int], paused: bool) -> None:
        self.synced.append((dict(counts), paused))


def test_watcher_coalesces_events_and_reports_progress(tmp_path: Path) -> None:
    from remap.store import Store
    from remap.train.config import TrainConfig
    from remap.train.metrics import EpochMetrics

    sent: list[tuple[str, dict[str, Any]]] = []
    progress: list[ProgressState | None] = []
    with Store.open(tmp_path / "remap.db") as store:
        rt = FakeRuntime(store)
        watcher = Watcher(rt, lambda m, p: sent.append((m, p)), progress.append)  # type: ignore[arg-type]
        watcher.tick()  # starts at the current end of the feed: nothing to replay
        assert [m for m, _ in sent] == ["remap/queueChanged", "remap/warmup"]
        sent.clear()
        a, _ = store.add_model(SPEC, origin="sampled")
        other = ArchSpec((1, 8, 8), 3, (Conv2D(3, 5), Flatten(), Dense(3)))
        b, _ = store.add_model(other, origin="sampled")
        jobs = [store.enqueue(m, TrainConfig(epochs=3), {"source": "x"}) for m in (a, b)]
        job = store.claim_job("w", 30)
        assert job is not None and job.id == jobs[0]
        run = store.start_run(job.id, "w", "x", "fp")
        for epoch in (1, 2):
            store.add_epoch(run, EpochMetrics(epoch, 1.0, 0.5, 1.0, 0.4 + epoch / 10, 1e-3, 0.1))
        watcher.tick()
        methods = [m for m, _ in sent]
        assert methods == ["remap/epoch", "remap/modelsChanged", "remap/queueChanged"]
        (epoch,) = [p for m, p in sent if m == "remap/epoch"]  # coalesced: the latest only
        assert epoch["job_id"] == job.id and epoch["epoch"]["epoch"] == 2 and epoch["epochs"] == 3
        models = sent[1][1]
        assert models == {"added": [a, b], "updated": []}
        queue = sent[2][1]
        assert queue["summary"]["running"] == 1 and len(queue["jobs"]) == 2
        assert progress[-1] == ProgressState(f"0/2 models · model #{a} epoch 2/3", 33)
        assert rt.synced[-1] == (
            {"queued": 1, "running": 1, "done": 0, "failed": 0, "cancelled": 0},
            False,
        )
        sent.clear()
        watcher.tick()  # nothing new: nothing sent, progress unchanged
        assert sent == [] and len(progress) == 1
        assert store.request_cancel(jobs[1]) == "cancelled"  # queued: at once
        assert store.request_cancel(job.id) == "cancelling"  # running: the worker stops
        assert store.cancel_job_run(job.id, "w")
        watcher.tick()
        assert progress[-1] is None  # idle: the progress ends
        assert any(m == "remap/queueChanged" and p["jobs"] == [] for m, p in sent)


def test_watcher_tells_the_client_to_refetch_when_a_background_job_replaced_a_layout(
    tmp_path: Path,
) -> None:
    from remap.service import map_background
    from remap.store import Store

    sent: list[tuple[str, dict[str, Any]]] = []
    with Store.open(tmp_path / "remap.db") as store:
        watcher = Watcher(FakeRuntime(store), lambda m, p: sent.append((m, p)), lambda _: None)  # type: ignore[arg-type]
        watcher.tick()  # starts at the current count: nothing to report
        assert "remap/modelsChanged" not in [m for m, _ in sent]
        map_background.start(("x", "architecture", "k"), lambda job: False)  # wrote nothing
        assert map_background.wait_idle(60)
        sent.clear()
        watcher.tick()
        assert "remap/modelsChanged" not in [m for m, _ in sent]
        map_background.start(("x", "architecture", "k"), lambda job: True)  # wrote a layout
        assert map_background.wait_idle(60)
        watcher.tick()
        assert ("remap/modelsChanged", {"added": [], "updated": []}) in sent
        sent.clear()
        watcher.tick()
        assert "remap/modelsChanged" not in [m for m, _ in sent]
        map_background.forget()


# -- worker parent watch -----------------------------------------------------------------------
def test_worker_parent_watch() -> None:
    from remap.jobs.worker import _parent_alive, watch_parent

    assert _parent_alive(os.getppid())
    assert not _parent_alive(os.getpid())  # not our parent
    stop = threading.Event()
    watch_parent(os.getpid(), stop, interval=0.01).join(timeout=5)
    assert stop.is_set()


def test_server_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, remap.lsp.server, remap.lsp.dispatch\n"
        "heavy = [m for m in ('torch', 'numpy', 'umap', 'numba', 'sklearn', 'scipy') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_result_cache_follows_the_change_feed(tmp_path: Path) -> None:
    from remap.lsp.cache import ResultCache
    from remap.store import Store
    from remap.train.config import TrainConfig
    from remap.train.metrics import EpochMetrics

    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    cache = ResultCache()
    with Store.open(tmp_path / "remap.db") as store:
        topics = ("models", "runs")
        assert cache.get_or_compute(store, "k", topics, compute) == 1
        assert cache.get_or_compute(store, "k", topics, compute) == 1  # nothing changed
        model, _ = store.add_model(SPEC, origin="sampled")
        assert cache.get_or_compute(store, "k", topics, compute) == 2  # a model was added
        job = store.enqueue(model, TrainConfig(epochs=2), {"source": "x"})
        store.claim_job("w", 30)
        run = store.start_run(job, "w", "x", "fp")
        store.add_epoch(run, EpochMetrics(1, 1.0, 0.5, 1.0, 0.5, 1e-3, 0.1))
        assert cache.get_or_compute(store, "k", topics, compute) == 2  # jobs and epochs: no
        assert cache.get_or_compute(store, "other", ("jobs",), compute) == 3

        def writes_a_layout() -> int:
            store.put_layout("architecture", "k", [model], np.zeros((1, 2)), {})
            return compute()

        assert cache.get_or_compute(store, "map", ("layout",), writes_a_layout) == 4
        assert cache.get_or_compute(store, "map", ("layout",), writes_a_layout) == 4  # own write


def test_an_unusable_data_set_setting_is_refused_and_the_rest_applies(tmp_path: Path) -> None:
    """The editor's `remap.dataset` goes through the same check as `remap settings`: a
    one-class data set is reported and not stored, the workspace opens, other settings apply."""
    import numpy as np

    from remap.lsp.runtime import Runtime

    one = tmp_path / "one.npz"
    np.savez(one, x=np.zeros((10, 8, 8)), y=np.zeros(10, int))
    rt = Runtime()
    try:
        problems = rt.open(tmp_path, {"dataset": str(one), "epochs": 3})
        assert rt.is_open
        assert len(problems) == 1 and problems[0].startswith("remap.dataset: ")
        assert "at least two classes" in problems[0] and "keeping 'digits'" in problems[0]
        assert rt.workspace().settings.dataset == "digits"
        assert rt.workspace().settings.epochs == 3
    finally:
        rt.close()
