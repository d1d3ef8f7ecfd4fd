"""OTMANN definition: the original's matrix, graph conversion, parameters and presets."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from remap.analysis.otmann import GROUPS, OtmannParams, spec_to_graph
from remap.analysis.otmann_fast import otmann_matrix, otmann_pairs
from remap.analysis.otmann_reference import (
    otmann_distance_reference,
    otmann_matrix_reference,
    transport_problem,
)
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
from remap.arch.spec import ArchSpec


@pytest.fixture(scope="module")
def reference(reference_dir: Path) -> tuple[list[ArchSpec], np.ndarray]:
    models = load_model_set(reference_dir / "models.json")
    matrix = np.loadtxt(reference_dir / "otmann_distances.csv", delimiter=",", usecols=range(100))
    return [m.spec for m in models.models], matrix


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float((np.abs(got - want) / np.where(want > 0, want, 1.0)).max())


def test_fast_reproduces_the_original_matrix(reference: tuple[list[ArchSpec], np.ndarray]) -> None:
    specs, want = reference
    got = otmann_matrix(specs, OtmannParams.remap())
    assert got.shape == (100, 100)
    assert _rel_err(got, want) <= 1e-9
    assert np.array_equal(got, got.T)
    assert np.all(np.diag(got) == 0.0)


def test_reference_solver_reproduces_the_original_matrix(
    reference: tuple[list[ArchSpec], np.ndarray],
) -> None:
    specs, want = reference
    got = otmann_matrix_reference(specs[:40], OtmannParams.remap())
    assert _rel_err(got, want[:40, :40]) <= 1e-9


def test_default_params_differ_from_the_original(
    reference: tuple[list[ArchSpec], np.ndarray],
) -> None:
    specs, want = reference
    got = otmann_matrix(specs[:30], OtmannParams.default())
    assert _rel_err(got, want[:30, :30]) > 1e-3  # max/avg pool and the pool/fc groups count


def test_pairs_match_the_matrix(reference: tuple[list[ArchSpec], np.ndarray]) -> None:
    specs, want = reference
    got = otmann_pairs(specs[:7], specs[50:61], OtmannParams.remap())
    assert got.shape == (7, 11)
    assert _rel_err(got, want[:7, 50:61]) <= 1e-9


def test_chain_labels_units_and_masses() -> None:
    spec = ArchSpec(
        (1, 28, 28),
        10,
        (Conv2D(3, 16), MaxPool(2), Activation("relu"), Dropout(0.25), Dense(64), Dense(10)),
    )
    g = spec_to_graph(spec, OtmannParams.remap())
    assert g.labels == (
        "ip",
        "conv3",
        "pool2",
        "relu",
        "dropout",
        "dense",
        "dense",
        "softmax",
        "op",
    )
    assert g.units == (1, 16, 16, 16, 16, 64, 10, 10, 10)
    processing = [16, 16, 256, 256, 16 * 64, 64 * 10]
    io = max(0.1 * sum(processing), 100.0)
    assert g.masses.tolist() == [io, *processing, io, io]
    # Paths from ip count every edge ("all") or only edges leaving convs ("conv").
    assert g.dist_from_ip[GROUPS.index("all")].tolist() == list(range(9))
    assert g.dist_to_op[GROUPS.index("all")].tolist() == list(range(8, -1, -1))
    assert g.dist_from_ip[GROUPS.index("conv")].tolist() == [0, 0] + [1] * 7
    assert g.dist_to_op[GROUPS.index("conv")].tolist() == [1, 1] + [0] * 7
    assert not g.dist_from_ip[GROUPS.index("pool")].any()  # empty in the original
    full = spec_to_graph(spec, OtmannParams.default())
    assert full.labels[2] == "maxpool2"
    assert full.dist_to_op[GROUPS.index("pool")].tolist() == [1, 1, 1] + [0] * 6
    assert full.dist_to_op[GROUPS.index("fc")].tolist() == [2] * 6 + [1, 0, 0]


def test_io_mass_has_a_floor_of_100() -> None:
    g = spec_to_graph(ArchSpec((1, 8, 8), 2, (Dense(2),)), OtmannParams.remap())
    assert g.masses.tolist() == [100.0, 2.0, 100.0, 100.0]


def test_new_vocabulary_in_the_chain() -> None:
    spec = ArchSpec(
        (3, 32, 32),
        10,
        (
            Conv2D(3, 8, stride=2, padding="same"),
            BatchNorm(),
            Activation("gelu"),
            GlobalAvgPool(),
            Flatten(),
            Dense(10),
        ),
    )
    g = spec_to_graph(spec, OtmannParams.default())
    assert g.labels == (
        "ip",
        "conv3",
        "batchnorm",
        "gelu",
        "globalavgpool",
        "dense",
        "softmax",
        "op",
    )
    assert g.masses[1:6].tolist() == [3 * 8, 64, 64, 8, 80]
    assert spec_to_graph(spec, OtmannParams.remap()).masses[1] == 8  # 1 input unit


def test_conv_after_dense_takes_one_channel_in_the_default() -> None:
    spec = ArchSpec((1, 28, 28), 10, (Dense(64), Conv2D(3, 16), Dense(10)))
    assert spec_to_graph(spec, OtmannParams.default()).masses[2] == 16
    assert spec_to_graph(spec, OtmannParams.remap()).masses[2] == 64 * 16


def test_flatten_is_a_pass_through() -> None:
    base = (Conv2D(3, 16), MaxPool(2))
    a = ArchSpec((1, 28, 28), 10, (*base, Dense(10)))
    b = ArchSpec((1, 28, 28), 10, (*base, Flatten(), Dense(10)))
    for params in (OtmannParams.default(), OtmannParams.remap()):
        assert otmann_matrix([a, b], params)[0, 1] == 0.0
        assert otmann_distance_reference(a, b, params) == pytest.approx(0.0, abs=1e-9)


def test_default_distinguishes_max_from_avg_pooling_and_remap_does_not() -> None:
    a = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), MaxPool(2), Dense(10)))
    b = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), AvgPool(2), Dense(10)))
    c = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), AvgPool(5), Dense(10)))
    remap = otmann_matrix([a, b, c], OtmannParams.remap())
    default = otmann_matrix([a, b, c], OtmannParams.default())
    assert remap[0, 1] == 0.0
    assert default[0, 1] > 0.0
    # A pool's mass is 16: max vs avg of the same size costs 0.15 per unit of mass.
    assert default[0, 1] == pytest.approx(0.15 * 16)
    assert default[0, 1] < default[1, 2] < default[0, 2]
    for params in (OtmannParams.remap(), OtmannParams.default()):
        got = otmann_matrix([a, b, c], params)
        want = otmann_matrix_reference([a, b, c], params)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-9)


def test_label_costs_reproduce_the_original_table() -> None:
    p = OtmannParams.remap()
    assert p.label_cost("conv1", "conv3") == 0.2
    assert p.label_cost("conv3", "conv5") == 0.2
    assert p.label_cost("conv5", "conv1") == 0.3
    assert p.label_cost("pool2", "pool3") == 0.2
    assert p.label_cost("pool3", "pool5") == 0.2
    assert p.label_cost("pool2", "pool5") == 0.3
    assert p.label_cost("relu", "tanh") == 0.25
    assert p.label_cost("sigmoid", "tanh") == 0.1
    assert p.label_cost("relu", "sigmoid") == 0.25
    for a, b in [("conv3", "pool3"), ("dense", "dropout"), ("ip", "op"), ("relu", "dense")]:
        assert math.isinf(p.label_cost(a, b))
    assert p.label_cost("dense", "dense") == 0.0


def test_default_label_costs_form_a_metric() -> None:
    p = OtmannParams.default()
    assert p.label_cost("maxpool2", "avgpool2") == pytest.approx(0.15)
    assert p.label_cost("maxpool2", "avgpool5") == pytest.approx(0.45)
    assert p.label_cost("leaky_relu", "relu") == 0.05
    assert p.label_cost("gelu", "relu") == 0.1
    assert p.label_cost("globalavgpool", "avgpool3") == 0.3
    labels = [
        *(f"conv{k}" for k in (1, 2, 3, 5, 7)),
        *(f"{kind}{s}" for kind in ("maxpool", "avgpool") for s in (2, 3, 4, 5)),
        "globalavgpool",
        *("relu", "tanh", "sigmoid", "gelu", "leaky_relu"),
    ]
    for a, b, c in itertools.permutations(labels, 3):
        ab, bc, ac = p.label_cost(a, b), p.label_cost(b, c), p.label_cost(a, c)
        assert ab == p.label_cost(b, a)
        assert ac <= ab + bc + 1e-12, (a, b, c)


def test_transport_problem_layout() -> None:
    a = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), Dense(10)))
    b = ArchSpec((1, 28, 28), 10, (Dense(10),))
    p = OtmannParams.remap()
    ga, gb = spec_to_graph(a, p), spec_to_graph(b, p)
    supplies, demands, cost = transport_problem(ga, gb, p)
    assert supplies.tolist() == [*ga.masses.tolist(), gb.total_mass]
    assert demands.tolist() == [*gb.masses.tolist(), ga.total_mass]
    assert cost.shape == (6, 5)
    assert np.all(cost[-1, :-1] == 1.0) and np.all(cost[:-1, -1] == 1.0) and cost[-1, -1] == 0
    # ip–ip: a's ip has one more edge ('all') and one more conv edge ('conv') to op, for
    # each of the 3 path types, averaged over the 12 path kinds, halved.
    assert cost[0, 0] == pytest.approx(0.5 * (3 * 1 + 3 * 1) / 12)


def test_normalise_divides_by_total_mass() -> None:
    a = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), Dense(10)))
    b = ArchSpec((1, 28, 28), 10, (Conv2D(5, 32), Activation("tanh"), Dense(10)))
    raw = OtmannParams.default()
    norm = OtmannParams(normalise=True)
    total = spec_to_graph(a, raw).total_mass + spec_to_graph(b, raw).total_mass
    d_raw = otmann_matrix([a, b], raw)[0, 1]
    assert otmann_matrix([a, b], norm)[0, 1] == pytest.approx(d_raw / total, rel=1e-12)
    assert otmann_distance_reference(a, b, norm) == pytest.approx(d_raw / total, rel=1e-9)


@pytest.mark.parametrize(
    "field, value",
    [
        ("non_assignment_penalty", 0.0),
        ("structural_coeff", -1.0),
        ("label_coeff", math.nan),
        ("io_mass_min", 0.0),
        ("label_mismatch", (("relu", "tanh", -0.1),)),
    ],
)
def test_bad_params_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        OtmannParams(**{field: value})  # type: ignore[arg-type]


def test_presets_are_hashable_and_distinct() -> None:
    assert OtmannParams.remap() == OtmannParams.remap()
    assert OtmannParams.remap() != OtmannParams.default()
    assert len({OtmannParams.remap(), OtmannParams.default()}) == 2
