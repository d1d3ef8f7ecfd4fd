"""Spec → torch module: parameter counts, per-layer shapes, reshape semantics, fresh
initialisation, and the trainer's CPU speed-ups (channels_last, FastDropout) keeping the maths."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from remap.arch.errors import ArchError
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
from remap.arch.shapes import analyse, param_count
from remap.arch.spec import ArchSpec
from remap.train.modules import ToImage, build_module, module_param_count
from remap.train.speed import (
    FastDropout,
    FlattenChannelsLast,
    ToStandardLayout,
    optimise,
    to_channels_last,
)

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _rich_specs() -> list[ArchSpec]:
    """Hand-written specs covering every layer type, padding, stride and reshape."""
    shape = (1, 12, 12)
    return [
        ArchSpec(shape, 10, (Dense(10),)),
        ArchSpec(
            shape,
            10,
            (
                Conv2D(3, 8, padding="same"),
                BatchNorm(),
                Activation("gelu"),
                MaxPool(3, stride=1, padding="same"),
                GlobalAvgPool(),
                Dense(10),
            ),
        ),
        ArchSpec(
            shape,
            10,
            (
                Conv2D(5, 4, stride=2),
                AvgPool(2, padding="same"),
                Flatten(),
                BatchNorm(),
                Dense(16),
                Activation("leaky_relu"),
                Dense(10),
            ),
        ),
        ArchSpec(shape, 10, (Dense(64), Conv2D(3, 4), Activation("tanh"), Dense(10))),
        ArchSpec(shape, 10, (Dense(49), MaxPool(3), Dropout(0.5), AvgPool(2, stride=1), Dense(10))),
        ArchSpec(
            (3, 9, 9),
            4,
            (
                Conv2D(1, 6),
                Activation("sigmoid"),
                Conv2D(3, 5, stride=2),
                Dense(8),
                Dropout(0.25),
                Dense(4),
            ),
        ),
    ]


def _output_shapes(module: nn.Sequential, x: torch.Tensor) -> list[tuple[int, ...]]:
    shapes = []
    for entry in module:
        x = entry(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


def test_reference_models_build_with_recorded_parameter_counts(reference_dir: Path) -> None:
    model_set = load_model_set(reference_dir / "models.json")
    assert len(model_set.models) == 100
    x = torch.zeros(2, *model_set.input_shape)
    for entry in model_set.models:
        module = build_module(entry.spec)
        assert module_param_count(module) == param_count(entry.spec), entry.id
        assert len(module) == len(entry.spec.layers), entry.id
        with torch.no_grad():
            assert module.eval()(x).shape == (2, model_set.num_classes), entry.id


@pytest.mark.parametrize("index", range(len(_rich_specs())))
def test_every_layer_output_matches_shape_inference(index: int) -> None:
    spec = _rich_specs()[index]
    module = build_module(spec).eval()
    report = analyse(spec)
    with torch.no_grad():
        shapes = _output_shapes(module, torch.rand(3, *spec.input_shape))
    assert shapes == [info.output.dims for info in report.layers]
    assert module_param_count(module) == report.params


def test_sampled_architectures_match_counts_and_shapes() -> None:
    specs = sample_architectures(40, (1, 16, 16), 7, seed=3, max_params=200_000)
    for spec in specs:
        module = build_module(spec).eval()
        assert module_param_count(module) == param_count(spec), spec.describe()
        with torch.no_grad():
            shapes = _output_shapes(module, torch.rand(2, 1, 16, 16))
        assert shapes == [info.output.dims for info in analyse(spec).layers], spec.describe()


def test_conv_after_dense_reshapes_vector_to_square_single_channel_image() -> None:
    spec = ArchSpec((1, 12, 12), 10, (Dense(64), Conv2D(3, 4), Dense(10)))
    torch.manual_seed(0)
    module = build_module(spec).eval()
    dense, conv_entry, out = module
    assert isinstance(dense, nn.Sequential) and isinstance(dense[0], nn.Flatten)
    assert isinstance(conv_entry, nn.Sequential)
    to_image, conv = conv_entry
    assert isinstance(to_image, ToImage) and to_image.side == 8
    assert isinstance(conv, nn.Conv2d) and conv.in_channels == 1
    x = torch.rand(5, 1, 12, 12)
    with torch.no_grad():
        hidden = dense[1](x.reshape(5, 144)).reshape(5, 1, 8, 8)
        expected = out[1](conv(hidden).reshape(5, -1))
        assert torch.allclose(module(x), expected, atol=1e-6)


def test_dense_flattens_image_in_channel_height_width_order() -> None:
    spec = ArchSpec((2, 4, 4), 3, (Conv2D(1, 5), Dense(3)))
    module = build_module(spec).eval()
    x = torch.rand(2, 2, 4, 4)
    with torch.no_grad():
        feature_map = module[0](x)
        expected = feature_map.reshape(2, 5 * 16) @ module[1][1].weight.T + module[1][1].bias
        assert torch.allclose(module(x), expected, atol=1e-6)


def test_pooling_kinds_differ_and_avg_pool_same_padding_excludes_pad() -> None:
    maxp = build_module(ArchSpec((1, 4, 4), 2, (MaxPool(3, stride=2, padding="same"), Dense(2))))
    avgp = build_module(ArchSpec((1, 4, 4), 2, (AvgPool(3, stride=2, padding="same"), Dense(2))))
    assert isinstance(maxp[0], nn.MaxPool2d) and isinstance(avgp[0], nn.AvgPool2d)
    ones = torch.ones(1, 1, 4, 4)
    # Averaging only real pixels keeps a constant image constant, even at the padded border.
    assert torch.allclose(avgp[0](ones), torch.ones(1, 1, 2, 2))


def test_impossible_spec_is_rejected_with_arch_error() -> None:
    spec = ArchSpec((1, 4, 4), 10, (Conv2D(5, 8), Dense(10)))
    with pytest.raises(ArchError, match="kernel 5"):
        build_module(spec)
    with pytest.raises(ArchError, match="output layer"):
        build_module(ArchSpec((1, 4, 4), 10, (Dense(7),)))


def test_initialisation_is_fresh_and_seeded() -> None:
    spec = ArchSpec((1, 8, 8), 4, (Conv2D(3, 4), Dense(4)))
    torch.manual_seed(1)
    a = build_module(spec)
    torch.manual_seed(1)
    b = build_module(spec)
    torch.manual_seed(2)
    c = build_module(spec)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)
        assert pa.abs().sum() > 0


def test_optimised_module_computes_the_same_function() -> None:
    specs = [*_rich_specs()[:5], *sample_architectures(6, (1, 12, 12), 10, seed=5)]
    for spec in specs:
        torch.manual_seed(0)
        stock = build_module(spec).eval()
        fast, channels_last = optimise(copy.deepcopy(stock), spec, CPU)
        fast.eval()
        x = torch.rand(4, *spec.input_shape)
        with torch.no_grad():
            y_fast = fast(to_channels_last(x) if channels_last else x)
            assert torch.allclose(stock(x), y_fast, atol=1e-5), spec.describe()
        has_spatial = any(isinstance(layer, (Conv2D, MaxPool, AvgPool)) for layer in spec.layers)
        assert channels_last == has_spatial
        assert not any(type(m) is nn.Dropout for m in fast.modules())


def test_optimise_flattens_channels_last_without_copies_at_the_boundary() -> None:
    spec = ArchSpec((1, 12, 12), 10, (Conv2D(3, 8), Activation("relu"), Dropout(0.5), Dense(10)))
    torch.manual_seed(0)
    stock = build_module(spec)
    fast, channels_last = optimise(copy.deepcopy(stock), spec, CPU)
    assert channels_last
    assert [type(m) for m in fast[:3]] == [nn.Conv2d, nn.ReLU, FastDropout]
    assert isinstance(fast[3][0], FlattenChannelsLast)
    assert module_param_count(fast) == param_count(spec)
    # The dense weights are the stock ones, columns reordered (C, H, W) → (H, W, C).
    w_stock, w_fast = stock[3][1].weight, fast[3][1].weight
    assert torch.equal(w_fast, w_stock.view(10, 8, 10, 10).permute(0, 2, 3, 1).reshape(10, -1))
    # Forward and backward run without leaving channels_last before the boundary.
    x = to_channels_last(torch.rand(4, 1, 12, 12))
    hidden = fast[:3](x)
    assert hidden.is_contiguous(memory_format=torch.channels_last)
    flat = fast[3][0](hidden)
    assert flat.data_ptr() == hidden.data_ptr()  # a view, not a copy


def test_optimise_converts_layout_before_an_explicit_flatten() -> None:
    spec = ArchSpec((1, 12, 12), 10, (Conv2D(3, 8), Flatten(), BatchNorm(), Dense(10)))
    fast, channels_last = optimise(build_module(spec), spec, CPU)
    assert channels_last
    assert [type(m) for m in fast[:3]] == [nn.Conv2d, ToStandardLayout, nn.Flatten]
    x = to_channels_last(torch.rand(4, 1, 12, 12)).requires_grad_()
    fast(x).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("rate", [0.125, 0.375, 0.5, 0.875, 0.3])
def test_fast_dropout_statistics_and_gradient(rate: float) -> None:
    torch.manual_seed(0)
    drop = FastDropout(rate)
    x = torch.ones(64, 16, 20, 20, requires_grad=True)
    y = drop(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - rate) < 0.01
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - rate)), rtol=1e-4)
    y.sum().backward()
    assert x.grad is not None
    assert torch.equal(x.grad, y.detach())  # gradient is the same scaled mask
    z = drop(to_channels_last(torch.ones(8, 16, 10, 10)))
    assert abs((z == 0).float().mean().item() - rate) < 0.03
    drop.eval()
    assert torch.equal(drop(x), x)


def test_fast_dropout_extreme_rates_stay_finite() -> None:
    x = torch.ones(1000)
    assert torch.equal(FastDropout(0.0)(x), x)
    nearly_all = FastDropout(0.99999)(x)
    assert torch.isfinite(nearly_all).all()
    assert (nearly_all == 0).float().mean() > 0.99
