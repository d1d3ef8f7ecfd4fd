"""Export of specs as PyTorch source: the files import and run on their own, have the
spec's parameter count and shapes, script with TorchScript, and are ruff-clean."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
from test_codegen_specs import random_specs

from remap.arch.layers import AvgPool, BatchNorm, Conv2D, Dense, GlobalAvgPool, MaxPool
from remap.arch.original import load_model_set
from remap.arch.shapes import analyse, param_count
from remap.arch.spec import ArchSpec
from remap.codegen import (
    CodegenError,
    Provenance,
    class_name_for,
    export_source,
    import_source,
    module_filename_for,
    write_export,
)

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def reference(reference_dir: Path) -> list[tuple[str, ArchSpec, int]]:
    models = load_model_set(reference_dir / "models.json").models
    return [(m.id, m.spec, int(m.extra["parameters"])) for m in models]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(module: ModuleType) -> torch.nn.Module:
    classes = [v for v in vars(module).values() if isinstance(v, type)]
    (cls,) = [c for c in classes if issubclass(c, torch.nn.Module) and c is not torch.nn.Module]
    model = cls()
    model.eval()
    return model


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_reference_models_build_with_the_recorded_parameter_counts(
    reference: list[tuple[str, ArchSpec, int]], tmp_path: Path
) -> None:
    for model_id, spec, recorded in reference:
        path = write_export(spec, tmp_path, f"m_{model_id.replace('-', '_')}.py")
        module = _load(path)
        assert (spec.input_shape, 10) == (module.INPUT_SHAPE, module.NUM_CLASSES)
        model = _model(module)
        assert _count(model) == param_count(spec) == recorded, model_id
        with torch.no_grad():
            assert model(torch.randn(2, *module.INPUT_SHAPE)).shape == (2, 10)


def test_every_layer_has_the_analysed_shape(tmp_path: Path) -> None:
    for i, spec in enumerate(random_specs(60, seed=11)):
        module = _load(write_export(spec, tmp_path, f"r{i}.py"))
        model = _model(module)
        assert _count(model) == param_count(spec)
        shapes: list[tuple[int, ...]] = []

        def record(_m: object, _i: object, out: torch.Tensor, seen: list = shapes) -> None:
            seen.append(tuple(out.shape[1:]))

        for child in model.children():  # one attribute per spec layer, in order
            child.register_forward_hook(record)
        with torch.no_grad():
            out = model(torch.randn(3, *spec.input_shape))
        assert out.shape == (3, spec.num_classes)
        infos = analyse(spec).layers
        assert len(shapes) == len(infos) == len(spec.layers)
        for got, info in zip(shapes, infos, strict=True):
            want = (info.output.dims[0], 1, 1) if isinstance(info.layer, GlobalAvgPool) else None
            assert got == (want or info.output.dims), (spec.describe(), info)


def test_forward_shows_every_step_with_shapes() -> None:
    spec = ArchSpec(
        (1, 28, 28),
        10,
        (Conv2D(3, 16), MaxPool(2), Dense(49), Conv2D(3, 4, padding="same"), GlobalAvgPool(),
         Dense(10)),
    )  # fmt: skip
    text = export_source(spec)
    expected = [
        "x = self.conv1(x)  # -> (16, 26, 26)",
        "x = self.pool1(x)  # -> (16, 13, 13)",
        "x = torch.flatten(x, 1)  # -> (2704,)",
        "x = self.fc1(x)  # -> (49,)",
        "x = x.view(-1, 1, 7, 7)  # -> (1, 7, 7)",
        "x = self.conv2(x)  # -> (4, 7, 7)",
        "x = self.gap1(x)  # -> (4, 1, 1)",
        "x = torch.flatten(x, 1)  # -> (4,)",
        "x = self.out(x)  # -> (10,) logits",
        "return x",
    ]
    body = [line.strip() for line in text.splitlines()]
    start = body.index("# x: (batch, 1, 28, 28)")
    assert body[start + 1 : start + 1 + len(expected)] == expected
    assert 'self.conv2 = nn.Conv2d(1, 4, kernel_size=3, padding="same")' in body
    assert "self.out = nn.Linear(4, 10)" in body
    assert "INPUT_SHAPE = (1, 28, 28)  # channels, height, width" in body
    assert "NUM_CLASSES = 10" in body


def test_pytorch_defaults_are_written_out() -> None:
    spec = ArchSpec(
        (3, 32, 32),
        5,
        (Conv2D(5, 8, stride=2, padding="same"), MaxPool(3), AvgPool(3, 1, "same"), Dense(5)),
    )
    text = export_source(spec)
    body = [line.strip() for line in text.splitlines()]
    assert "self.conv1 = nn.Conv2d(3, 8, kernel_size=5, stride=2, padding=2)" in body
    assert "self.pool1 = nn.MaxPool2d(3, stride=2)" in body
    assert "self.avgpool1 = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)" in body
    # Too long for one line: one argument per line with a trailing comma (ruff keeps it).
    wide = export_source(ArchSpec((1, 11, 11), 2, (Conv2D(11, 10**20, 11, "same"), Dense(2))))
    assert (
        "        self.conv1 = nn.Conv2d(\n"
        "            1,\n"
        "            100000000000000000000,\n"
        "            kernel_size=11,\n"
        "            stride=11,\n"
        "            padding=5,\n"
        "        )\n"
    ) in wide
    assert import_source(wide)[0].spec == ArchSpec(
        (1, 11, 11), 2, (Conv2D(11, 10**20, 11, "same"), Dense(2))
    )


def test_provenance_docstring() -> None:
    spec = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), Dense(10)))
    prov = Provenance(
        model_id=42,
        name="LeNet-ish",
        dataset="quickdraw",
        input_shape=(1, 28, 28),
        accuracy=0.9123,
        params=108_330,
        parent="17",
        origin="ablation",
        changes=("removed layer 2 (Dropout 0.25)", "added Conv2D 3×3/16"),
        created="2026-05-01T12:00:00Z",
    )
    doc = ast.get_docstring(ast.parse(export_source(spec, provenance=prov)), clean=False)
    assert doc is not None
    for line in (
        "Model id: 42",
        "Name: LeNet-ish",
        "Data set: quickdraw",
        "Input shape: 1x28x28 (channels x H x W)",
        "Held-out accuracy: 91.23%",
        "Parameters: 108,330",
        "Parent: 17",
        "Origin: ablation",
        "Changes:",
        "- removed layer 2 (Dropout 0.25)",
        "- added Conv2D 3×3/16",
        "Created: 2026-05-01T12:00:00Z",
        "Generated by REMAP.",
    ):
        assert line in doc.splitlines(), line
    assert "softmax is implied" in doc and "logits" in doc


def test_bad_exports_are_refused() -> None:
    impossible = ArchSpec((1, 4, 4), 10, (Conv2D(5, 8), Dense(10)))
    with pytest.raises(CodegenError, match=r"layer 0 \(Conv2D 5×5/8\): kernel 5 is larger"):
        export_source(impossible)
    no_output = ArchSpec((1, 8, 8), 10, (Conv2D(3, 8),))
    with pytest.raises(CodegenError, match="output layer must be Dense 10"):
        export_source(no_output)
    spec = ArchSpec((1, 28, 28), 10, (Dense(10),))
    with pytest.raises(CodegenError, match="7,850"):
        export_source(spec, provenance=Provenance(params=7_000))
    with pytest.raises(CodegenError, match="differs"):
        export_source(spec, provenance=Provenance(input_shape=(3, 28, 28)))
    for accuracy in (1.5, -0.1, float("nan")):
        with pytest.raises(CodegenError, match="accuracy"):
            export_source(spec, provenance=Provenance(accuracy=accuracy))


def test_size_one_same_padding_round_trips() -> None:
    # A 1×1 window pads by 0 either way; a directive comment keeps "same" in the spec.
    spec = ArchSpec(
        (1, 9, 9),
        3,
        (Conv2D(1, 4, 2, "same"), MaxPool(1, 1, "same"), AvgPool(1, 2, "same"),
         Conv2D(1, 2, 1, "same"), Dense(3)),
    )  # fmt: skip
    text = export_source(spec)
    assert text.count("# remap: padding=same") == 3
    assert import_source(text)[0].spec == spec
    plain = ArchSpec((1, 9, 9), 3, (Conv2D(1, 4, 2), MaxPool(1, 1), Dense(3)))
    assert "remap: padding" not in export_source(plain)
    assert import_source(export_source(plain))[0].spec == plain


def test_names() -> None:
    assert class_name_for("my cool-net v2") == "MyCoolNetV2"
    assert class_name_for("LeNet5") == "LeNet5"
    assert class_name_for("3 layers") == "Model3Layers"
    assert class_name_for("None") == "NoneModel"
    assert class_name_for("") == class_name_for(None) == "RemapModel"
    assert class_name_for("…!?") == "RemapModel"
    assert module_filename_for("RemapModel") == "remap_model.py"
    assert module_filename_for("CNNNet2") == "cnn_net2.py"
    assert module_filename_for("Torch") == "torch_model.py"  # must not shadow torch
    assert module_filename_for("Random") == "random_model.py"  # nor the standard library


def test_exported_files_run_on_their_own(
    reference: list[tuple[str, ArchSpec, int]], tmp_path: Path
) -> None:
    everything = ArchSpec(
        (3, 16, 16),
        4,
        (Conv2D(3, 8, padding="same"), BatchNorm(),
         MaxPool(2), Dense(64), AvgPool(2), Conv2D(3, 4, 2, "same"), GlobalAvgPool(),
         Dense(4)),
    )  # fmt: skip
    for spec in (reference[0][1], everything):
        path = write_export(spec, tmp_path, class_name="Standalone", overwrite=True)
        run = subprocess.run(
            [sys.executable, path.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
        )
        assert run.returncode == 0, run.stderr
        assert f"output shape: (1, {spec.num_classes})" in run.stdout
        found = re.search(r"parameters: ([\d,]+)", run.stdout)
        assert found and int(found.group(1).replace(",", "")) == param_count(spec)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torchscript_accepts_the_model(tmp_path: Path) -> None:
    specs = [s for s in random_specs(40, seed=3) if len(s.layers) >= 5][:4]
    kinds = {layer.type for s in specs for layer in s.layers}
    assert {"conv2d", "dense"} <= kinds
    for i, spec in enumerate(specs):
        model = _model(_load(write_export(spec, tmp_path, f"jit{i}.py")))
        scripted = torch.jit.script(model)
        x = torch.randn(2, *spec.input_shape)
        with torch.no_grad():
            assert torch.allclose(scripted(x), model(x))


def test_ruff_is_clean_on_exported_files(
    reference: list[tuple[str, ArchSpec, int]], tmp_path: Path
) -> None:
    specs = [spec for _, spec, _ in reference[:25]] + random_specs(25, seed=9)
    wide = ArchSpec(
        (3, 64, 64),
        1000,
        (Conv2D(1, 10**20, 2, "same"), Conv2D(11, 10**20, 11, "same"), AvgPool(1, 3, "same"),
         AvgPool(3, 1, "same"), Dense(1000)),
    )  # fmt: skip
    for i, spec in enumerate([*specs, wide]):
        prov = Provenance(model_id=i, name=f"model {i} " * 20, changes=("x " * 80,))
        write_export(spec, tmp_path, f"m{i}.py", provenance=prov)
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    project = str(REPO / "ruff.toml")
    commands = [
        [str(RUFF), "check", "--isolated", "--extend-select", "I,UP,W,B,SIM", *files],
        [str(RUFF), "format", "--isolated", "--check", *files],
        [str(RUFF), "check", "--config", project, *files],
        [str(RUFF), "format", "--config", project, "--check", *files],
    ]
    for command in commands:
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr


def test_dense_only_model_flattens_first() -> None:
    spec = ArchSpec((3, 4, 4), 2, (Dense(8), Dense(2)))
    body = [line.strip() for line in export_source(spec).splitlines()]
    i = body.index("x = torch.flatten(x, 1)  # -> (48,)")
    assert body[i + 1] == "x = self.fc1(x)  # -> (8,)"
    assert isinstance(import_source(export_source(spec))[0].spec.layers[0], Dense)  # type: ignore[union-attr]
