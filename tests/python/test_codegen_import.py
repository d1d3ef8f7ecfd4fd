"""Static import of PyTorch source: exact round trips of exported specs, the hand-written
forms we understand, input-shape sources, "cannot map … at line N" for everything else,
and shape diagnostics. Source is parsed, never executed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from test_codegen_specs import random_specs

from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    MaxPool,
)
from remap.arch.original import load_model_set
from remap.arch.sampling import sample_architectures
from remap.arch.spec import ArchSpec
from remap.codegen import (
    CodegenError,
    ImportedModel,
    Provenance,
    export_source,
    import_source,
    shape_mismatches,
)

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"


def _one(source: str, **kwargs: object) -> ImportedModel:
    models = import_source(textwrap.dedent(source), **kwargs)  # type: ignore[arg-type]
    assert len(models) == 1, models
    return models[0]


def _spec(source: str, **kwargs: object) -> ArchSpec:
    model = _one(source, **kwargs)
    assert model.error is None and model.spec is not None, model.error
    return model.spec


def _module(init: str, forward: str, head: str = "") -> str:
    """A class with the given __init__ body and forward body (4-space indented lines)."""
    init_body = textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8)
    forward_body = textwrap.indent(textwrap.dedent(forward).strip("\n"), " " * 8)
    return (
        HEADER
        + head
        + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + init_body
        + "\n\n    def forward(self, x):\n"
        + forward_body
        + "\n"
    )


def _line_of(source: str, needle: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if needle in line)


# -- round trips -------------------------------------------------------------------------


def test_reference_models_round_trip_exactly(reference_dir: Path) -> None:
    for entry in load_model_set(reference_dir / "models.json").models:
        prov = Provenance(model_id=entry.id, name=f"model {entry.id}", accuracy=0.5)
        (model,) = import_source(export_source(entry.spec, provenance=prov))
        assert model.spec == entry.spec, entry.id
        assert model.input_shape_source == "constant"
        assert shape_mismatches(model) == []


def test_random_specs_round_trip_exactly() -> None:
    specs = random_specs(300, seed=2) + sample_architectures(40, (3, 32, 32), 7, seed=4)
    for spec in specs:
        text = export_source(spec, class_name="Roundtrip")
        (model,) = import_source(text)
        assert model.spec == spec, (spec.describe(), model.error)
        assert model.class_name == "Roundtrip"
        assert shape_mismatches(model) == [], spec.describe()
        assert len(model.layer_lines) == len(spec.layers) == len(model.declared_inputs)
        lines = text.splitlines()
        for layer, line in zip(spec.layers, model.layer_lines, strict=True):
            assert lines[line - 1].lstrip().startswith("self."), (layer, lines[line - 1])


# -- hand-written forms ----------------------------------------------------------------------

TUTORIAL = (
    HEADER
    + """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
"""
)


def test_chained_forward_with_nested_calls_and_a_reused_pool() -> None:
    model = _one(TUTORIAL)
    relu = Activation("relu")
    assert model.spec == ArchSpec(
        (3, 32, 32),  # inferred: the only common square input where 16×5×5 reaches fc1
        10,
        (Conv2D(5, 6), relu, MaxPool(2, 2), Conv2D(5, 16), relu, MaxPool(2, 2), Dense(120),
         relu, Dense(84), relu, Dense(10)),
    )  # fmt: skip
    assert model.input_shape_source == "inferred"
    pool_line = _line_of(TUTORIAL, "self.pool = ")
    assert model.layer_lines[2] == model.layer_lines[5] == pool_line
    assert model.layer_lines[1] == _line_of(TUTORIAL, "x = self.pool(F.relu(self.conv1(x)))")
    assert model.declared_inputs == (3, None, None, 6, None, None, 400, None, 120, None, 84)
    assert (model.line, model.end_line) == (_line_of(TUTORIAL, "class Net"), TUTORIAL.count("\n"))
    assert shape_mismatches(model) == []


def test_pytorch_mnist_example_with_log_softmax() -> None:
    source = _module(
        """
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)
        """,
        """
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output
        """,
    )
    relu = Activation("relu")
    assert _spec(source) == ArchSpec(
        (1, 28, 28),
        10,
        (Conv2D(3, 32), relu, Conv2D(3, 64), relu, MaxPool(2, 2), Dropout(0.25), Dense(128),
         relu, Dropout(0.5), Dense(10)),
    )  # fmt: skip


def test_sequential_attribute_and_module_level_sequential() -> None:
    source = HEADER + textwrap.dedent(
        """\
        # remap: input 1x28x28
        class Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(
                    nn.Conv2d(1, 16, 3),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                    nn.Flatten(),
                    nn.Linear(2704, 10),
                )

            def forward(self, x):
                return self.net(x)


        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Tanh(), nn.Linear(64, 10))
        """
    )
    seq, flat = import_source(source)
    assert seq.class_name == "Seq" and seq.input_shape_source == "comment"
    assert seq.spec == ArchSpec(
        (1, 28, 28), 10, (Conv2D(3, 16), Activation("relu"), MaxPool(2, 2), Flatten(), Dense(10))
    )
    needles = ("Conv2d", "ReLU", "MaxPool2d", "Flatten()", "Linear(2704")
    assert seq.layer_lines == tuple(_line_of(source, n) for n in needles)
    assert flat.class_name == "model"
    assert flat.spec == ArchSpec(
        (1, 28, 28), 10, (Flatten(), Dense(64), Activation("tanh"), Dense(10))
    )
    # The comment just above Seq is Seq's; the flat model's shape follows from Linear(784).
    assert flat.input_shape_source == "inferred"


def test_layer_forms_and_pytorch_defaults() -> None:
    source = _module(
        """
        self.a = torch.nn.Conv2d(in_channels=1, out_channels=8, kernel_size=(3, 3), padding=1)
        self.b = nn.Conv2d(8, 8, 5, stride=2, padding="same" if False else 2)
        self.c = nn.MaxPool2d(3)
        self.d = nn.AvgPool2d(kernel_size=(2, 2), stride=1, padding=1)
        self.e = nn.BatchNorm2d(8, eps=1e-3, momentum=0.2)
        self.f = nn.Conv2d(8, 4, 3, padding="same")
        self.g = nn.AdaptiveAvgPool2d((1, 1))
        self.h = nn.BatchNorm1d(4)
        self.i = nn.Linear(4, 6)
        self.relu = nn.ReLU()
        """,
        """
        batch = x.size(0)
        x = self.relu(self.a(x))
        x = self.b(x).relu()
        x = torch.tanh(self.c(x))
        x = F.gelu(self.d(x))
        x = F.leaky_relu(self.e(x), 0.01)
        x = torch.sigmoid(self.f(x))
        x = self.g(x).view(batch, -1)
        x = F.dropout(self.h(x), p=0.3, training=self.training)
        x = self.relu(x)
        return F.softmax(self.i(x), dim=-1)
        """,
    )
    model = _one(source, input_shape=(1, 20, 20))
    line = _line_of(source, "if False else 2")
    assert model.error == (
        f"cannot map: nn.Conv2d with non-constant padding='same' if False else 2 at line {line}"
    )
    source = source.replace('padding="same" if False else 2', "padding=2")
    model = _one(source, input_shape=(1, 20, 20))
    assert model.input_shape_source == "argument"
    assert model.spec == ArchSpec(
        (1, 20, 20),
        6,
        (Conv2D(3, 8, 1, "same"), Activation("relu"), Conv2D(5, 8, 2, "same"),
         Activation("relu"), MaxPool(3, 3), Activation("tanh"), AvgPool(2, 1, "same"),
         Activation("gelu"), BatchNorm(), Activation("leaky_relu"), Conv2D(3, 4, 1, "same"),
         Activation("sigmoid"), GlobalAvgPool(), BatchNorm(), Dropout(0.3), Activation("relu"),
         Dense(6)),
    )  # fmt: skip
    assert shape_mismatches(model) == []


def test_imports_by_name_constants_and_view_forms() -> None:
    source = textwrap.dedent(
        """\
        from torch import nn
        from torch.nn import Conv2d, Linear, Module
        from torch.nn.functional import relu

        INPUT_SHAPE = (1, 28, 28)
        HIDDEN = 32


        class Net(Module):
            SIDE = 13

            def __init__(self, num_classes=10, *, width=HIDDEN):
                super().__init__()
                self.width = width
                self.conv = Conv2d(1, 4, 3)
                self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
                self.fc1 = Linear(4 * self.SIDE * self.SIDE if False else 676, self.width)
                self.fc2 = Linear(self.width, 169)
                self.fc3 = Linear(16 * 9 * 9, num_classes)
                self.conv2 = nn.Conv2d(1, 16, 5)

            def forward(self, inp):
                out = self.pool(relu(self.conv(inp)))
                out = out.view(-1, 4 * 13 * 13)
                out = relu(self.fc1(out))
                out = self.fc2(out)
                out = out.reshape(out.shape[0], 1, 13, 13)
                out = self.conv2(out).flatten(1)
                return self.fc3(out)
        """
    )
    model = _one(source)
    assert model.error is not None and "non-constant" in model.error
    source = source.replace("4 * self.SIDE * self.SIDE if False else 676", "4 * 13 * 13")
    model = _one(source)
    assert model.input_shape_source == "constant"
    assert model.spec == ArchSpec(
        (1, 28, 28),
        10,
        (Conv2D(3, 4), Activation("relu"), MaxPool(2, 2), Dense(32), Activation("relu"),
         Dense(169), Conv2D(5, 16), Dense(10)),
    )  # fmt: skip
    assert model.declared_inputs[3] == 676 and model.declared_inputs[5] == 32
    assert shape_mismatches(model) == []


def test_input_shape_sources() -> None:
    body = _module("self.fc = nn.Linear(3 * 8 * 8, 5)", "return self.fc(torch.flatten(x, 1))")
    assert _spec(body).input_shape == (3, 8, 8)  # inferred from in_features (C=1 is not square)
    assert _one(body).input_shape_source == "inferred"
    assert _spec(body, input_shape=(3, 4, 16)).input_shape == (3, 4, 16)
    with_constant = body.replace("class Net", "INPUT_SHAPE = (1, 12, 16)\n\n\nclass Net")
    model = _one(with_constant, input_shape=(3, 8, 8))
    assert (model.spec and model.spec.input_shape, model.input_shape_source) == (
        (1, 12, 16),
        "constant",
    )
    commented = with_constant.replace("class Net", "# remap: input 3×8×8\nclass Net")
    model = _one(commented, input_shape=(2, 2, 2))
    assert model.spec is not None and model.spec.input_shape == (3, 8, 8)
    assert model.input_shape_source == "comment"
    malformed = body.replace("class Net", "# remap: input 28x28\nclass Net")
    assert _one(malformed).error == (
        f"cannot map: a '# remap: input' comment that is not CxHxW at line "
        f"{_line_of(malformed, 'remap: input')}"
    )


def test_unknown_input_shape_asks_for_a_comment() -> None:
    source = _module(
        "self.conv = nn.Conv2d(3, 8, 3)\nself.gap = nn.AdaptiveAvgPool2d(1)\n"
        "self.fc = nn.Linear(8, 10)",
        "return self.fc(torch.flatten(self.gap(self.conv(x)), 1))",
    )
    model = _one(source)
    assert model.spec is None
    assert model.error == (
        "cannot map: unknown input shape; add a '# remap: input CxHxW' comment at line "
        f"{_line_of(source, 'class Net')}"
    )
    fixed = _spec(source.replace("class Net", "# remap: input 3x32x32\nclass Net"))
    assert fixed.layers[-2:] == (GlobalAvgPool(), Dense(10))


def test_each_class_takes_its_own_comment() -> None:
    one = (
        "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(12, 2)\n\n    def forward(self, x):\n"
        "        return self.fc(x)\n"
    )
    body = (
        "# remap: input 3x2x2\n" + one + "\n\n# remap: input 1x3x4\n"
        + one.replace("class A", "class B") + "\n\n" + one.replace("class A", "class C")
        + "\n\nclass NotAModel:\n    pass\n"
    )  # fmt: skip
    models = import_source(HEADER + body)
    assert [m.class_name for m in models] == ["A", "B", "C"]
    assert [m.spec and m.spec.input_shape for m in models] == [(3, 2, 2), (1, 3, 4), (3, 2, 2)]
    assert [m.input_shape_source for m in models] == ["comment", "comment", "inferred"]
    # A comment that belongs to no class applies to every class without its own.
    models = import_source("# remap: input 12x1x1\n" + HEADER + body)
    assert [m.spec and m.spec.input_shape for m in models] == [(3, 2, 2), (1, 3, 4), (12, 1, 1)]


# -- what cannot be mapped ---------------------------------------------------------------------

UNMAPPABLE = [
    ("self.rnn = nn.LSTM(10, 20)", "x = self.rnn(x)", "nn.LSTM", "nn.LSTM("),
    (
        "self.c = nn.Conv2d(1, 4, 3)",
        "y = self.c(x)\nx = x + y",
        "skip connection (`x + y`)",
        "x = x + y",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3)",
        "x = torch.cat([self.c(x), x], 1)",
        "branches joined with torch.cat",
        "torch.cat",
    ),
    ("self.c = nn.Conv2d(1, 4, 3)", "x = x * 2", "tensor arithmetic 'x * 2'", "x * 2"),
    (
        "self.c = nn.Conv2d(1, 4, 3)",
        "if x.sum() > 0:\n    x = self.c(x)",
        "control flow ('if') in forward",
        "if x.sum()",
    ),
    (
        "self.layers = nn.ModuleList([nn.Conv2d(1, 1, 3)])",
        "for layer in self.layers:\n    x = layer(x)",
        "layers applied in a loop (`for layer in self.layers`)",
        "for layer",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3, dilation=2)",
        "x = self.c(x)",
        "nn.Conv2d with dilation=2",
        "dilation=2",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3, groups=2)",
        "x = self.c(x)",
        "nn.Conv2d with groups=2",
        "groups=2",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3, bias=False)",
        "x = self.c(x)",
        "nn.Conv2d with bias=False",
        "bias=False",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3, padding=2)",
        "x = self.c(x)",
        "nn.Conv2d with padding=2 for a 3×3 window (REMAP pads 0 or",
        "padding=2",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 4, padding=2)",
        "x = self.c(x)",
        "nn.Conv2d with padding=2 for a 4×4 window",
        "padding=2",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3, stride=2, padding='same')",
        "x = self.c(x)",
        "nn.Conv2d with padding='same' and stride 2",
        "stride=2",
    ),
    (
        "self.c = nn.Conv2d(1, 4, (3, 5))",
        "x = self.c(x)",
        "nn.Conv2d with kernel_size=(3, 5)",
        "(3, 5)",
    ),
    (
        "self.p = nn.MaxPool2d(2, ceil_mode=True)",
        "x = self.p(x)",
        "nn.MaxPool2d with ceil_mode=True",
        "ceil_mode",
    ),
    (
        "self.a = nn.LeakyReLU(0.2)",
        "x = self.a(x)",
        "nn.LeakyReLU with negative_slope=0.2",
        "LeakyReLU",
    ),
    ("self.d = nn.Dropout2d(0.2)", "x = self.d(x)", "nn.Dropout2d", "Dropout2d"),
    ("self.b = Block()", "x = self.b(x)", "sub-module `Block` (a class of this file)", "Block()"),
    (
        "self.fc = nn.Linear(n, 10)",
        "x = self.fc(x)",
        "nn.Linear with non-constant in_features=n",
        "Linear(n",
    ),
    (
        "self.fc = nn.Linear(4, 10, bias=False)",
        "x = self.fc(x)",
        "nn.Linear with bias=False",
        "bias=False",
    ),
    (
        "self.fc = nn.Linear(4, 10)",
        "x = self.fc(x)\nx = self.missing(x)",
        "self.missing (not assigned in __init__)",
        "self.missing(x)",
    ),
    (
        "self.fc = nn.Linear(4, 10)",
        "y = self.fc(x)\nx = self.fc(x)",
        "a skip connection or branch: the earlier tensor 'x' is used again",
        "x = self.fc(x)",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3)",
        "x = self.c(x).view(-1, 4, 13, 13)",
        "x.view(-1, 4, 13, 13) (REMAP only flattens or reshapes",
        ".view(",
    ),
    (
        "self.fc = nn.Linear(4, 10)",
        "x = F.softmax(x, dim=1)\nx = self.fc(x)",
        "softmax before the last layer",
        "F.softmax",
    ),
    ("self.fc = nn.Linear(4, 10)", "x += 1", "in-place arithmetic 'x += 1'", "x += 1"),
    (
        "self.fc = nn.Linear(4, 10)",
        "x = self.fc(x)\nreturn x, x",
        "expression '(x, x)'",
        "return x, x",
    ),
    (
        "self.c = nn.Conv2d(1, 4, 3)\nself.g = nn.AdaptiveAvgPool2d(1)",
        "x = self.c(self.g(self.c(x)))",
        "Conv2d(1, 4, 3) after an adaptive average pool",
        "self.c = ",
    ),
    (
        "self.g = nn.AdaptiveAvgPool2d(7)",
        "x = self.g(x)",
        "nn.AdaptiveAvgPool2d with output size 7",
        "AdaptiveAvgPool2d(7)",
    ),
    (
        "self.fc = nn.Linear(4, 10)",
        "x = torch.flatten(x)",
        "torch.flatten that does not start at dimension 1",
        "torch.flatten(x)",
    ),
    ("self.fc = nn.Linear(4, 10)", "x = x.unsqueeze(1)", "tensor method .unsqueeze()", "unsqueeze"),
]


@pytest.mark.parametrize(("init", "forward", "what", "needle"), UNMAPPABLE)
def test_cannot_map_names_the_construct_and_line(
    init: str, forward: str, what: str, needle: str
) -> None:
    forward_lines = forward if "return" in forward else forward + "\nreturn x"
    source = _module(init, forward_lines, head="class Block(nn.Module):\n    pass\n\n\n")
    model = next(m for m in import_source(source) if m.class_name == "Net")
    line = _line_of(source, needle)
    assert model.spec is None
    assert model.error is not None and model.error.startswith(f"cannot map: {what}"), model.error
    assert model.error.endswith(f" at line {line}"), (model.error, line)
    assert model.error_line == line
    assert shape_mismatches(model) == [type(shape_mismatches(model)[0])(None, line, model.error)]


def test_unused_unknown_modules_are_ignored() -> None:
    source = _module(
        "self.rnn = nn.LSTM(10, 20)\nself.fc = nn.Linear(784, 10).to(dtype=torch.float32)",
        "return self.fc(x.view(x.size(0), -1))",
    )
    assert _spec(source).layers == (Dense(10),)


def test_structural_errors() -> None:
    no_forward = HEADER + "class Net(nn.Module):\n    def __init__(self):\n        pass\n"
    assert _one(no_forward).error == "cannot map: class Net without a forward() method at line 5"
    with pytest.raises(CodegenError, match=r"^models\.py:2: syntax error"):
        import_source("x = 1\ndef broken(:\n", filename="models.py")
    assert import_source("") == []
    assert import_source("class Plain:\n    pass\n") == []


def test_bad_arguments_and_a_model_without_an_output_layer() -> None:
    source = _module("self.fc = nn.Linear(784, 10)", "return F.relu(self.fc(torch.flatten(x, 1)))")
    with pytest.raises(CodegenError, match="input_shape"):
        import_source(source, input_shape=(0, 28, 28))
    with pytest.raises(CodegenError, match="num_classes"):
        import_source(source, num_classes=0)
    model = _one(source)
    assert model.spec == ArchSpec((1, 28, 28), 10, (Dense(10), Activation("relu")))
    (problem,) = shape_mismatches(model)
    assert problem.line == _line_of(source, "F.relu(self.fc")
    assert problem.message == (
        "layer 1 (Activation relu): the output layer must be Dense 10 (one unit per class)"
    )


def test_source_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    hostile = textwrap.dedent(
        f"""\
        import torch.nn as nn
        open({str(marker)!r}, "w").write("top level")
        __import__("os").system("touch {marker}")

        class Net(nn.Module):
            open({str(marker)!r}, "w").write("class body")

            def __init__(self):
                super().__init__()
                open({str(marker)!r}, "w").write("init")
                self.fc = nn.Linear(784, 10)

            def forward(self, x):
                return self.fc(x.flatten(1))
        """
    )
    model = _one(hostile)
    assert model.spec == ArchSpec((1, 28, 28), 10, (Dense(10),))
    assert not marker.exists()


# -- diagnostics --------------------------------------------------------------------------------


def test_linear_receiving_the_wrong_size() -> None:
    source = _module(
        "self.conv = nn.Conv2d(1, 16, 5)\nself.pool = nn.MaxPool2d(5, stride=2)\n"
        "self.fc = nn.Linear(1024, 10)",
        "x = self.pool(self.conv(x))\nreturn self.fc(torch.flatten(x, 1))",
    )
    model = _one(source, input_shape=(1, 28, 28))
    assert model.spec is not None and model.declared_inputs == (1, None, 1024)
    (mismatch,) = shape_mismatches(model)
    line = _line_of(source, "nn.Linear(1024")
    assert (mismatch.layer_index, mismatch.line, mismatch.message) == (
        2,
        line,
        "Linear(1024, 10) receives 1600 features here: input 1×28×28 after "
        "Conv2D 5×5/16 and MaxPool 5",
    )
    assert mismatch.fix is not None  # the quick fix writes the inferred size over the 1024
    assert (mismatch.fix.param, mismatch.fix.value) == ("in_features", 1600)
    first, col, last, end = mismatch.fix.at
    assert first == last == line and source.splitlines()[line - 1][col:end] == "1024"


def test_channel_view_and_impossible_layer_diagnostics() -> None:
    source = _module(
        """
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(100, 49)
        self.conv2 = nn.Conv2d(1, 4, 9)
        self.out = nn.Linear(4, 10)
        """,
        """
        x = self.bn(self.conv(x))
        x = x.view(-1, 999)
        x = self.fc(x)
        x = x.view(-1, 1, 7, 7)
        x = self.conv2(x)
        return self.out(x.flatten(1))
        """,
    )
    model = _one(source, input_shape=(1, 12, 12))
    messages = {m.line: m.message for m in shape_mismatches(model)}
    assert messages[_line_of(source, "nn.Conv2d(3, 8")] == (
        "Conv2d(3, 8, 3) receives 1 channel here: input 1×12×12"
    )
    assert messages[_line_of(source, "BatchNorm2d")].startswith(
        "BatchNorm2d(16) receives 8 channels here: input 1×12×12 after Conv2D 3×3/8"
    )
    assert messages[_line_of(source, "nn.Linear(100")] == (
        "Linear(100, 49) receives 800 features here: input 1×12×12 after Conv2D 3×3/8"
    )
    assert messages[_line_of(source, "view(-1, 999)")].startswith(
        "x.view(-1, 999) receives 800 features here"
    )
    assert messages[_line_of(source, "nn.Conv2d(1, 4, 9)")] == (
        "layer 3 (Conv2D 9×9/4): kernel 9 is larger than the 7×7 input"
    )
    assert len(messages) == 5  # nothing reported past the impossible layer


def test_notes_for_missing_flatten_and_reshape() -> None:
    source = _module(
        "self.conv = nn.Conv2d(1, 4, 3)\nself.fc = nn.Linear(2704, 16)\n"
        "self.conv2 = nn.Conv2d(1, 2, 3)\nself.out = nn.Linear(8, 10)",
        "return self.out(torch.flatten(self.conv2(self.fc(self.conv(x))), 1))",
    )
    model = _one(source, input_shape=(1, 28, 28))
    assert model.spec is not None
    notes = shape_mismatches(model)
    assert [n.layer_index for n in notes] == [1, 2]
    assert "Linear(2704, 16) receives an image here" in notes[0].message
    assert "Conv2d(1, 2, 3) receives a vector here" in notes[1].message
