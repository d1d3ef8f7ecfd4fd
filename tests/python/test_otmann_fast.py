"""The fast OTMANN engine against the POT reference on random models, and the distance's
properties (symmetry, zero self-distance, triangle inequality)."""

from __future__ import annotations

import numpy as np
import pytest

from remap.analysis import otmann_fast
from remap.analysis.otmann import OtmannParams, graphs
from remap.analysis.otmann_fast import otmann_matrix, otmann_pairs
from remap.analysis.otmann_reference import otmann_pairs_reference
from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
)
from remap.arch.spec import ArchSpec

PARAMS = {
    "remap": OtmannParams.remap(),
    "default": OtmannParams.default(),
    "low-penalty": OtmannParams(non_assignment_penalty=0.3, structural_coeff=2.0),
    "high-penalty": OtmannParams(non_assignment_penalty=4.0, label_coeff=0.5, normalise=True),
    "no-labels": OtmannParams(non_assignment_penalty=2.5, label_coeff=0.0),
}


def random_spec(rng: np.random.Generator, rich: bool, channels: int = 1) -> ArchSpec:
    """A random sequential model (the distance does not need it to be shape-valid); ``rich``
    adds strides, same padding, batch norm, global pooling, flatten, gelu and leaky ReLU."""
    layers: list[Layer] = []
    after_dense = False
    acts = ["relu", "tanh", "sigmoid", *(["gelu", "leaky_relu"] if rich else [])]
    for _ in range(int(rng.integers(0, 14))):
        kinds = ["dense", "activation", "dropout"]
        if not after_dense:
            kinds += ["conv", "conv", "maxpool", "avgpool"]
        if rich:
            kinds += ["batchnorm", "conv", "maxpool", "gap", "flatten"]
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "dense":
            layers.append(Dense(int(rng.choice([16, 64, 128, 256]))))
            after_dense = True
        elif kind == "activation":
            layers.append(Activation(acts[int(rng.integers(len(acts)))]))  # type: ignore[arg-type]
        elif kind == "dropout":
            layers.append(Dropout(int(rng.integers(1, 8)) / 8))
        elif kind == "conv":
            k = int(rng.choice([1, 3, 5, *([2, 7] if rich else [])]))
            filters = int(rng.choice([16, 32, 64, 128]))
            if rich:
                pad = "same" if rng.random() < 0.5 else "valid"
                layers.append(Conv2D(k, filters, int(rng.integers(1, 3)), pad))  # type: ignore[arg-type]
            else:
                layers.append(Conv2D(k, filters))
        elif kind in ("maxpool", "avgpool"):
            cls = MaxPool if kind == "maxpool" else AvgPool
            layers.append(cls(int(rng.choice([2, 3, 5, *([4] if rich else [])]))))
        elif kind == "batchnorm":
            layers.append(BatchNorm())
        elif kind == "gap":
            layers.append(GlobalAvgPool())
        else:
            layers.append(Flatten())
    layers.append(Dense(10))
    return ArchSpec((channels, 28, 28), 10, tuple(layers))


def sampled_specs(n: int, seed: int) -> list[ArchSpec]:
    """Valid models of the original space: the project's sampler when present."""
    try:
        from remap.arch.sampling import sample_architectures
    except ImportError:  # pragma: no cover - the sampler is another module's job
        rng = np.random.default_rng(seed)
        return [random_spec(rng, rich=False) for _ in range(n)]
    return sample_architectures(n, (1, 28, 28), 10, seed=seed)


def _assert_close(got: np.ndarray, want: np.ndarray) -> None:
    scale = np.maximum(np.abs(want), 1.0)  # relative, absolute near 0
    assert float((np.abs(got - want) / scale).max()) <= 1e-9


@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("rich", [False, True])
def test_fast_equals_reference_on_random_pairs(name: str, rich: bool) -> None:
    rng = np.random.default_rng(2 * list(PARAMS).index(name) + int(rich))
    params = PARAMS[name]
    channels = 3 if rich else 1
    a = [random_spec(rng, rich, channels) for _ in range(12)]
    b = [random_spec(rng, rich, channels) for _ in range(10)]
    b[0] = a[0]  # an identical pair: exactly 0
    got = otmann_pairs(a, b, params)
    _assert_close(got, otmann_pairs_reference(a, b, params))
    assert got[0, 0] == 0.0


def test_fast_equals_reference_on_sampled_models() -> None:
    specs = sampled_specs(40, seed=3)
    for params in (OtmannParams.remap(), OtmannParams.default()):
        got = otmann_pairs(specs[:20], specs[20:], params)
        _assert_close(got, otmann_pairs_reference(specs[:20], specs[20:], params))


def test_python_and_compiled_kernels_agree() -> None:
    rng = np.random.default_rng(7)
    specs = [random_spec(rng, rich=True, channels=3) for _ in range(25)]
    params = OtmannParams.default()
    gs = graphs(specs, params)
    py = otmann_fast._run(gs, None, params, 1, engine="python")
    jit = otmann_fast._run(gs, None, params, 1, engine="compiled")
    _assert_close(py, jit)
    assert np.any(py > 0)


def test_threads_give_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = sampled_specs(120, seed=5)
    single = otmann_matrix(specs, OtmannParams.remap(), workers=1)
    monkeypatch.setattr(otmann_fast, "THREAD_PAIRS_LIMIT", 10)
    assert otmann_fast._row_blocks(120, 120, True, 3)[-1][1] == 120
    threaded = otmann_matrix(specs, OtmannParams.remap(), workers=3)
    assert np.array_equal(single, threaded)


@pytest.mark.parametrize("name", ["remap", "default", "low-penalty"])
def test_symmetry_self_distance_and_triangle_inequality(name: str) -> None:
    rng = np.random.default_rng(11)
    specs = sampled_specs(40, seed=11) + [random_spec(rng, rich=True) for _ in range(30)]
    d = otmann_matrix(specs, PARAMS[name])
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)
    assert np.all(d[~np.eye(len(d), dtype=bool)] >= 0)
    # d(a, c) <= d(a, b) + d(b, c) for every triple.
    slack = d[:, :, None] + d[None, :, :] - d[:, None, :]
    assert slack.min() >= -1e-9 * d.max()


def test_pairs_and_matrix_agree_and_edge_cases() -> None:
    specs = sampled_specs(15, seed=2)
    params = OtmannParams.default()
    full = otmann_matrix(specs, params)
    assert np.array_equal(otmann_pairs(specs[:4], specs, params), full[:4])
    assert otmann_matrix([], params).shape == (0, 0)
    assert otmann_matrix(specs[:1], params).tolist() == [[0.0]]
    assert otmann_pairs([], specs, params).shape == (0, 15)
    # A duplicated model is at distance exactly 0 from its twin.
    twin = otmann_matrix([specs[0], specs[1], specs[0]], params)
    assert twin[0, 2] == 0.0 and twin[0, 1] == twin[2, 1] > 0
