"""Sampling, ablation, variation and hand-crafted edits, with their change logs."""

from __future__ import annotations

import random

import pytest

from remap.arch import (
    ArchError,
    ArchSpec,
    Conv2D,
    Dense,
    Dropout,
    MaxPool,
    SpecFormatError,
)
from remap.arch.ablation import ablate
from remap.arch.handcraft import apply_edits
from remap.arch.sampling import TransitionModel, sample_architectures
from remap.arch.shapes import validate
from remap.arch.variation import vary

SHAPE = (1, 28, 28)
PARENT = ArchSpec(
    SHAPE,
    10,
    (Conv2D(3, 16), MaxPool(2), Conv2D(3, 32), Dropout(0.25), Dense(64), Dense(10)),
)


def test_sampling_is_seeded_valid_distinct_and_within_budget() -> None:
    first = sample_architectures(40, SHAPE, 10, seed=7, max_params=200_000)
    again = sample_architectures(40, SHAPE, 10, seed=7, max_params=200_000)
    other = sample_architectures(40, SHAPE, 10, seed=8, max_params=200_000)
    assert first == again and first != other
    assert len({spec.content_hash for spec in first}) == 40
    for spec in first:
        assert validate(spec, max_params=200_000).params <= 200_000
        seen_dense = False
        for layer in spec.layers:
            if seen_dense:
                assert layer.type in ("dense", "activation", "dropout")
            seen_dense = seen_dense or layer.type == "dense"


def test_sampling_follows_a_user_transition_table() -> None:
    table = TransitionModel.from_dict(
        {
            "transitions": {"start": {"conv2d": 1}, "conv2d": {"end": 1}},
            "options": {"conv_kernels": [3], "conv_filters": [8, 16]},
        }
    )
    specs = sample_architectures(2, SHAPE, 10, seed=0, model=table)
    assert {spec.layers[0] for spec in specs} == {Conv2D(3, 8), Conv2D(3, 16)}
    assert all(len(spec.layers) == 2 for spec in specs)
    with pytest.raises(SpecFormatError, match=r"transitions\.conv2d\.lstm"):
        TransitionModel.from_dict({"transitions": {"start": {"conv2d": 1}, "conv2d": {"lstm": 1}}})
    with pytest.raises(ArchError, match="found only 2 of 3"):
        sample_architectures(3, SHAPE, 10, seed=0, model=table, max_attempts=200)


def test_ablation_removes_each_hidden_layer_and_repairs_later_layers() -> None:
    children = ablate(PARENT, max_params=None)
    assert [child.removed_index for child in children] == [0, 1, 2, 3, 4]
    assert all(child.spec is not None for child in children)
    first = children[0]
    assert first.changes[0] == "Removed Conv2D 3×3/16 at index 0"
    # Repair notes name the child's layers: Conv2D 32 moved up to index 1.
    assert "Repaired Conv2D 3×3/32 at index 1: input channels 16 → 1" in first.changes[1]
    pool = children[1]
    assert pool.changes[0] == "Removed MaxPool 2 at index 1"
    assert any("Repaired Dense 64 at index 3: features 3872 → 18432" in c for c in pool.changes)
    assert len(ablate(PARENT, [3])) == 1
    # Without the pool, Dense 64 holds 1.18M weights: ablation is not sampling, so no
    # budget applies unless the caller passes one.
    assert ablate(PARENT, [1])[0].spec is not None
    over = ablate(PARENT, [1], max_params=1_000_000)[0]
    assert over.spec is None and over.error is not None and "over the budget" in over.error
    with pytest.raises(ArchError, match="output layer is never removed"):
        ablate(PARENT, [5])


def test_ablation_reports_impossible_children_instead_of_dropping_them() -> None:
    parent = ArchSpec((1, 8, 8), 10, (MaxPool(2), Conv2D(5, 4), Dense(10)))
    child = ablate(parent, [0])[0]
    assert child.spec is not None  # 8×8 still fits a 5×5 kernel
    tight = ArchSpec((1, 12, 12), 10, (Conv2D(5, 4), Dense(10000), Dense(10)))
    over = ablate(tight, [0], max_params=1_500_000)[0]
    assert over.spec is None and over.error is not None and "over the budget" in over.error


def test_variation_children_are_valid_distinct_and_logged() -> None:
    children = vary(PARENT, n=10, max_changes=3, seed=1)
    specs = [child.spec for child in children]
    assert all(spec is not None for spec in specs) and len(children) == 10
    hashes = {spec.content_hash for spec in specs if spec is not None}
    assert len(hashes) == 10 and PARENT.content_hash not in hashes
    for child in children:
        real = [c for c in child.changes if not c.startswith("Repaired")]
        assert 1 <= len(real) <= 3
        # Each index names the model after the entries above it: undo the shifts.
        indices, shift = [], 0
        for c in real:
            if " before index " in c:
                indices.append(int(c.split(" before index ")[-1]) - shift)
                shift += 1
            else:
                indices.append(int(c.split(" at index ")[-1].split()[0]) - shift)
                shift -= c.startswith("Removed ")
        assert len(indices) == len(set(indices)), "a layer is changed at most once"
    assert vary(PARENT, n=4, seed=5) == vary(PARENT, n=4, seed=5)


def test_variation_respects_enabled_pairs_and_existing_models() -> None:
    children = vary(PARENT, n=3, max_changes=1, enabled=[(2, "reparameterise")], seed=0)
    for child in children:
        assert child.spec is not None
        assert child.changes[0].startswith(
            ("Changed kernel_size at index 2", "Changed filters at index 2")
        )
    # Only filters 16/64 and kernels 1/5 give new models within the budget (128 filters is
    # over it): asking for more children reports the missing ones instead of dropping them.
    many = vary(
        PARENT,
        n=8,
        max_changes=1,
        enabled=[(2, "reparameterise")],
        seed=0,
        attempts_per_child=50,
    )
    assert sum(child.spec is not None for child in many) == 4
    assert all("no new valid model" in (child.error or "") for child in many if child.spec is None)
    with pytest.raises(ArchError, match="cannot apply"):
        vary(PARENT, enabled=[(5, "remove")])
    with pytest.raises(ArchError, match="1–20"):
        vary(PARENT, n=21)
    with pytest.raises(ArchError, match="1–5"):
        vary(PARENT, max_changes=0)


def test_handcrafted_edits_apply_in_order_with_change_log() -> None:
    result = apply_edits(
        PARENT,
        [
            {"op": "set", "index": 2, "field": "filters", "value": 16},
            {
                "op": "insert",
                "index": 3,
                "layer": {"type": "activation", "function": "relu"},
            },
            {"op": "remove", "index": 4},
            {"op": "move", "from": 3, "to": 2},
        ],
    )
    assert result.changes[:4] == (
        "Changed filters at index 2 from 32 to 16",
        "Inserted Activation relu before index 3",
        "Removed Dropout 0.25 at index 4",
        "Moved Activation relu from index 3 to 2",
    )
    assert [layer.type for layer in result.spec.layers] == [
        "conv2d",
        "maxpool",
        "activation",
        "conv2d",
        "dense",
        "dense",
    ]
    assert any(c.startswith("Repaired Dense 64 at index 4") for c in result.changes)
    assert result.spec.layers[4] == Dense(64)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            {"op": "remove", "index": 5},
            "edits[0].index: the output layer is never removed",
        ),
        ({"op": "set", "index": 0, "field": "units", "value": 3}, "edits[0].field"),
        (
            {"op": "set", "index": 0, "field": "filters", "value": -3},
            "edits[0].value.filters",
        ),
        (
            {"op": "insert", "index": 9, "layer": {"type": "dense", "units": 3}},
            "out of range",
        ),
        ({"op": "insert", "index": 0, "layer": {"type": "rnn"}}, "edits[0].layer.type"),
        ({"op": "explode"}, "edits[0].op"),
    ],
)
def test_bad_edits_name_the_edit_and_field(edit: dict, needle: str) -> None:
    with pytest.raises(SpecFormatError) as info:
        apply_edits(PARENT, [edit])
    assert needle in str(info.value)


def test_an_edit_that_makes_the_model_impossible_names_the_layer() -> None:
    with pytest.raises(ArchError, match=r"layer 2 \(Conv2D 31×31/32\)"):
        apply_edits(PARENT, [{"op": "set", "index": 2, "field": "kernel_size", "value": 31}])


def test_variation_on_random_parents_never_breaks() -> None:
    rng = random.Random(0)
    for parent in sample_architectures(15, SHAPE, 10, seed=3, max_params=300_000):
        for child in vary(
            parent,
            n=3,
            max_changes=rng.randint(1, 5),
            seed=rng.randint(0, 99),
            max_params=300_000,
        ):
            if child.spec is not None:
                validate(child.spec, max_params=300_000)
            else:
                assert child.error
