"""The architecture spec: serialisation, hashing, shapes, counts and validation errors."""

from __future__ import annotations

import pytest

from remap.arch import (
    Activation,
    ArchError,
    ArchSpec,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    MaxPool,
    SpecFormatError,
    analyse,
    validate,
)
from remap.arch.shapes import param_count

RICH = ArchSpec(
    (3, 32, 32),
    10,
    (
        Conv2D(3, 16, padding="same"),
        BatchNorm(),
        Activation("gelu"),
        MaxPool(2),
        Conv2D(5, 32, stride=2),
        Activation("leaky_relu"),
        AvgPool(3, stride=1, padding="same"),
        Dropout(0.25),
        GlobalAvgPool(),
        Dense(64),
        BatchNorm(),
        Flatten(),
        Dense(10),
    ),
)


def test_json_and_msgpack_round_trip_and_hash_is_stable() -> None:
    assert ArchSpec.from_json(RICH.to_json()) == RICH
    assert ArchSpec.from_msgpack(RICH.to_msgpack()) == RICH
    assert RICH.content_hash == ArchSpec.from_dict(RICH.to_dict()).content_hash
    other = RICH.with_layers((*RICH.layers[:-2], Dense(10)))
    assert other.content_hash != RICH.content_hash
    assert len(RICH.content_hash) == 16


def test_shapes_params_and_flops_of_a_rich_model() -> None:
    report = validate(RICH)
    dims = [info.output.dims for info in report.layers]
    assert dims[0] == (16, 32, 32)  # same padding keeps the size
    assert dims[3] == (16, 16, 16)  # max pool 2 stride 2
    assert dims[4] == (32, 6, 6)  # (16 - 5) // 2 + 1
    assert dims[6] == (32, 6, 6)
    assert dims[8] == (32,)
    assert report.params == (
        (3 * 9 * 16 + 16) + 32 + (16 * 25 * 32 + 32) + (32 * 64 + 64) + 128 + (64 * 10 + 10)
    )
    assert report.flops > 0


def test_original_semantics_dense_flattens_and_conv_after_dense_reshapes() -> None:
    spec = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), Dense(64), Conv2D(3, 4), Dense(10)))
    report = validate(spec)
    assert report.layers[1].input.dims == (16, 26, 26)
    assert report.layers[2].reshaped and report.layers[2].input.dims == (1, 8, 8)
    assert report.layers[2].output.dims == (4, 6, 6)
    assert param_count(ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), Dense(10)))) == 108_330


@pytest.mark.parametrize(
    ("layers", "needle"),
    [
        (
            (Conv2D(3, 16), MaxPool(5), MaxPool(5), Conv2D(5, 8), Dense(10)),
            "layer 3 (Conv2D 5×5/8)",
        ),
        ((Dense(50), Conv2D(3, 4), Dense(10)), "cannot reshape 50 features"),
        ((Conv2D(4, 8, padding="same"), Dense(10)), "odd kernel"),
        ((Dense(10), GlobalAvgPool(), Dense(10)), "needs an image input"),
        ((Conv2D(3, 8),), "output layer must be Dense 10"),
        ((), "has no layers"),
    ],
)
def test_impossible_models_name_the_layer_and_the_reason(layers: tuple, needle: str) -> None:
    spec = ArchSpec((1, 28, 28), 10, layers)
    with pytest.raises(ArchError) as info:
        validate(spec)
    assert needle in str(info.value)
    assert analyse(spec).error is not None


def test_parameter_budget_is_configurable() -> None:
    spec = ArchSpec((1, 28, 28), 10, (Dense(256), Dense(10)))
    assert validate(spec, max_params=300_000).params == 784 * 256 + 256 + 2570
    with pytest.raises(ArchError, match="over the budget of 100,000"):
        validate(spec, max_params=100_000)
    validate(spec, max_params=None)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"input_shape": [1, 28], "num_classes": 10, "layers": []}, "input_shape"),
        ({"input_shape": [1, 28, 28], "num_classes": 1, "layers": []}, "num_classes"),
        (
            {
                "input_shape": [1, 28, 28],
                "num_classes": 10,
                "layers": [{"type": "lstm"}],
            },
            "layers[0].type",
        ),
        (
            {
                "input_shape": [1, 28, 28],
                "num_classes": 10,
                "layers": [{"type": "conv2d", "filters": 3}],
            },
            "layers[0].kernel_size",
        ),
        (
            {
                "input_shape": [1, 28, 28],
                "num_classes": 10,
                "layers": [{"type": "dropout", "rate": 1.5}],
            },
            "layers[0].rate",
        ),
        (
            {
                "input_shape": [1, 28, 28],
                "num_classes": 10,
                "layers": [{"type": "dense", "units": "9"}],
            },
            "layers[0].units",
        ),
        (
            {
                "input_shape": [1, 28, 28],
                "num_classes": 10,
                "layers": [{"type": "dense", "units": 9, "x": 1}],
            },
            "layers[0].x",
        ),
        (
            {"input_shape": [1, 28, 28], "num_classes": 10, "layers": [], "extra": 1},
            "extra",
        ),
    ],
)
def test_malformed_spec_documents_name_the_field(data: dict, path: str) -> None:
    with pytest.raises(SpecFormatError) as info:
        ArchSpec.from_dict(data)
    assert info.value.path == path
    assert str(info.value).startswith(path)


def test_malformed_json_and_msgpack_are_format_errors() -> None:
    with pytest.raises(SpecFormatError, match="not valid JSON"):
        ArchSpec.from_json("{")
    with pytest.raises(SpecFormatError, match="msgpack"):
        ArchSpec.from_msgpack(b"\xc1")
