"""Experiments on an existing model are not blocked by the sampling budget, variation
requests never fail over a (layer, change) pair that cannot apply, the model details say
which pairs can apply, and change lists use indices that replay on the parent."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch import ArchSpec, BatchNorm, Conv2D, Dense, MaxPool
from remap.arch.ablation import ablate
from remap.arch.handcraft import apply_edits
from remap.arch.layers import Layer
from remap.arch.variation import applicable_changes, vary
from remap.service import ServiceError, experiments, specs, views

# 6·6·8 = 288 features into Dense 64: ~19k parameters, within the 20k budget of the tiny
# workspace; without the pool (ablation of layer 1) Dense 64 holds ~51k.
PARENT = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(64), Dense(4)))


def _add_parent(ws: experiments.Workspace) -> int:
    return experiments.add_spec(ws, PARENT, name="parent", train=False).created[0]


def test_ablation_makes_every_child_even_over_the_sampling_budget(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:  # max_params = 20_000
        parent_id = _add_parent(ws)
        result = experiments.run_ablation(ws, parent_id, [0, 1], train=False)
        assert len(result.created) == 2 and result.skipped == []
        over = [ws.store.get_model(i) for i in result.created]
        assert max(m.params or 0 for m in over) > ws.settings.max_params


def test_editing_and_adding_a_model_ignore_the_sampling_budget(tmp_path: Path) -> None:
    big = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), Dense(128), Dense(4)))
    with tiny_workspace(tmp_path) as ws:
        added = experiments.add_spec(ws, big, name="big", train=False)  # ~103k parameters
        assert len(added.created) == 1
        parent_id = _add_parent(ws)
        crafted = experiments.run_handcrafted(
            ws, parent_id, [{"op": "set", "index": 2, "field": "units", "value": 256}], False
        )
        assert (ws.store.get_model(crafted.created[0]).params or 0) > 20_000


def test_the_hard_limit_is_named_in_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(specs, "MODEL_PARAM_LIMIT", 30_000)
    with tiny_workspace(tmp_path) as ws:
        parent_id = _add_parent(ws)
        result = experiments.run_ablation(ws, parent_id, [0, 1], train=False)
        assert len(result.created) == 1
        (note,) = result.skipped
        assert note.startswith("Removed MaxPool 2 at index 1: the child has ")
        assert "over REMAP's limit of 30,000" in note and "sampling budget" in note
        big = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), Dense(128), Dense(4)))
        with pytest.raises(ServiceError, match="over REMAP's limit"):
            experiments.add_spec(ws, big, train=False)


def test_variation_leaves_out_pairs_that_cannot_apply_and_says_so(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        parent_id = _add_parent(ws)
        # What the webview sent before: every toggle of every layer, output layer included.
        enabled = [(i, k) for i in range(4) for k in ("insert", "replace", "reparameterise")]
        result = experiments.run_variation(ws, parent_id, 3, 2, enabled, seed=1, train=False)
        assert len(result.created) == 3
        notes = [s for s in result.skipped if s.endswith("left out")]
        assert any(n.startswith("layer 3 (Dense 4): change 'replace'") for n in notes)
        assert any(n.startswith("layer 3 (Dense 4): change 'reparameterise'") for n in notes)
        with pytest.raises(ServiceError, match="none of the enabled"):
            experiments.run_variation(ws, parent_id, 2, 1, [(3, "remove"), (9, "insert")])


def test_model_details_offer_only_the_changes_that_can_apply(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        parent_id = _add_parent(ws)
        layers = views.model_details(ws, parent_id)["layers"]
        offered = [layer["changes"] for layer in layers]
        assert offered[-1] == ["insert"]  # the output layer: only an insertion before it
        assert offered[0] == ["insert", "remove", "replace", "reparameterise"]
        pairs = [(i, k) for i, kinds in enumerate(offered) for k in kinds]
        result = experiments.run_variation(ws, parent_id, 2, 1, pairs, seed=2, train=False)
        assert not any("left out" in s for s in result.skipped)
    norm = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), BatchNorm(), Dense(4)))
    assert "reparameterise" not in applicable_changes(norm, 1)


def _replay(parent: tuple[Layer, ...], log: tuple[str, ...], child: ArchSpec) -> None:
    """Every repair note names a layer of the child at the index it gives."""
    for note in log:
        if note.startswith("Repaired "):
            described, index = note[len("Repaired ") :].split(":")[0].rsplit(" at index ", 1)
            assert child.layers[int(index)].describe() == described, note


def test_change_lists_use_indices_consistent_with_the_child() -> None:
    parent = ArchSpec((1, 28, 28), 10, (Conv2D(3, 16), MaxPool(2), Dense(10)))
    crafted = apply_edits(
        parent, [{"op": "insert", "index": 2, "layer": {"type": "dense", "units": 256}}]
    )
    assert crafted.changes == (
        "Inserted Dense 256 before index 2",
        "Repaired Dense 10 at index 3: features 2704 → 256 (weights re-initialised)",
    )
    _replay(parent.layers, crafted.changes, crafted.spec)
    for child in ablate(parent):
        assert child.spec is not None
        _replay(parent.layers, child.changes, child.spec)
    for child in vary(parent, n=10, max_changes=3, seed=3, max_params=None):
        assert child.spec is not None
        _replay(parent.layers, child.changes, child.spec)


def test_variation_change_lists_replay_top_to_bottom() -> None:
    """Entries read in parent order; each index names the model after the entries above."""
    parent = ArchSpec(
        (1, 28, 28), 10, (Conv2D(3, 16), MaxPool(2), Conv2D(3, 32), Dense(64), Dense(10))
    )
    checked = 0
    for seed in range(30):
        (child,) = vary(parent, n=1, max_changes=3, seed=seed, max_params=None)
        assert child.spec is not None
        layers = [layer.describe() for layer in parent.layers]
        for entry in child.changes:
            words = entry.split(" ")
            if entry.startswith("Removed "):
                index = int(words[-1])
                assert layers.pop(index) == entry[len("Removed ") :].rsplit(" at index", 1)[0]
            elif entry.startswith("Inserted "):
                layers.insert(int(words[-1]), entry[len("Inserted ") :].rsplit(" before", 1)[0])
            elif entry.startswith("Replaced "):
                head, new = entry[len("Replaced ") :].split(" with ")
                old, index = head.rsplit(" at index ", 1)
                assert layers[int(index)] == old
                layers[int(index)] = new
            elif entry.startswith("Changed "):
                int(words[4])  # a hyper-parameter change keeps the layer in place
        changed = [e for e in child.changes if e.startswith("Changed ")]
        if not changed:
            assert layers == [layer.describe() for layer in child.spec.layers]
            checked += 1
    assert checked >= 10
