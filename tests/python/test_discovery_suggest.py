"""The suggestion engine on a known tiny lineage (no training: the accuracies are given):
deterministic for a seed, every suggestion names a real model and a change that makes a
valid child, a change that helped in most children is carried to a similar model, losing
lineages get no more children, and a young workspace is told to sample."""

from __future__ import annotations

import itertools
from typing import Any

from remap.arch import ArchSpec, Conv2D, Dense, Dropout, MaxPool
from remap.arch.ablation import ablate
from remap.arch.handcraft import apply_edits
from remap.arch.shapes import param_count, validate
from remap.arch.variation import vary
from remap.discovery.suggest import (
    KnownModel,
    Suggestion,
    change_signature,
    losing_parents,
    pareto_front,
    suggest,
)

SHAPE = (1, 12, 12)


def spec(*layers: Any) -> ArchSpec:
    return ArchSpec(SHAPE, 4, (*layers, Dense(4)))


def known(
    model_id: int, s: ArchSpec, acc: float | None, parent: KnownModel | None = None
) -> KnownModel:
    changes: tuple[str, ...] = ()
    if parent is not None:
        crafted = [c for c in ablate(parent.spec) if c.spec == s]
        changes = crafted[0].changes if crafted else ("Changed something",)
    return KnownModel(
        model_id, s, parent.id if parent else None, "ablation" if parent else "sampled",
        changes, param_count(s), s.content_hash, acc=acc, seconds=2.0 if acc else None,
        epochs=2 if acc else None,
    )  # fmt: skip


def workspace_models() -> list[KnownModel]:
    """Four parents with Dropout whose Dropout-less children mostly did better, a fifth
    similar model that never tried it, and a small model on the front."""
    models: list[KnownModel] = []
    next_id = 1
    for i, (p_acc, c_acc) in enumerate([(0.60, 0.70), (0.55, 0.62), (0.50, 0.58), (0.65, 0.60)]):
        parent = known(next_id, spec(Conv2D(3, 4 + i), Dropout(0.5), Dense(16)), p_acc)
        child = known(next_id + 1, spec(Conv2D(3, 4 + i), Dense(16)), c_acc, parent)
        models += [parent, child]
        next_id += 2
    models.append(known(next_id, spec(Conv2D(3, 12), MaxPool(2), Dropout(0.3), Dense(16)), 0.66))
    models.append(known(next_id + 1, spec(Dense(8)), 0.40))
    return models


def check_valid(models: list[KnownModel], s: Suggestion) -> None:
    """The suggestion's change applied to its parent gives a valid, new child."""
    by_id = {m.id: m for m in models}
    hashes = {m.content_hash for m in models}
    assert s.kind in ("ablate", "vary", "sample", "craft") and s.reason
    assert s.cost.epochs >= 1
    if s.kind == "sample":
        assert s.parent is None and s.changes[0]["op"] == "sample"
        return
    assert s.parent in by_id
    parent = by_id[s.parent].spec
    if s.kind == "ablate":
        (child,) = ablate(parent, [s.changes[0]["index"]])
        assert child.spec is not None
        made = child.spec
    elif s.kind == "vary":
        change = s.changes[0]
        (varied,) = vary(parent, 1, change["maxChanges"], seed=change["seed"],
                         existing=hashes, max_params=None)  # fmt: skip
        assert varied.spec is not None and varied.changes == s.preview
        made = varied.spec
    else:
        made = apply_edits(parent, list(s.changes)).spec
    validate(made, None)
    assert made.content_hash not in hashes and s.cost.params == param_count(made)


def test_suggestions_are_deterministic_and_valid() -> None:
    models = workspace_models()
    first = suggest(models, n=8, seed=7)
    again = suggest(models, n=8, seed=7)
    assert [s.to_dict() for s in first] == [s.to_dict() for s in again]
    assert len(first) == 8 and len({s.key for s in first}) == 8
    assert {s.kind for s in first} >= {"ablate", "vary", "craft"}
    for s in first:
        check_valid(models, s)
    # seconds from past runs: 2 s per run of params × 2 epochs
    assert all(s.cost.seconds is not None and s.cost.seconds > 0 for s in first)


def test_a_change_that_helped_is_carried_to_a_similar_model() -> None:
    models = workspace_models()
    crafts = [s for s in suggest(models, n=20, seed=0) if s.kind == "craft"]
    assert crafts, "removing Dropout helped in 3 of 4 children: expected a craft suggestion"
    top = crafts[0]
    assert top.parent == 9 and top.changes == ({"op": "remove", "index": 2},)
    assert "removing Dropout raised accuracy in 3 of 4 children" in top.reason
    assert "model #9" in top.reason
    assert suggest(models, n=1, seed=0)[0].kind == "craft"  # the best-supported advice first


def test_dismissed_suggestions_stay_hidden() -> None:
    models = workspace_models()
    top = suggest(models, n=3, seed=1)
    rest = suggest(models, n=3, seed=1, dismissed={top[0].key})
    assert top[0].key not in {s.key for s in rest} and rest[0].key == top[1].key


def test_losing_lineages_get_no_more_children_the_best_one_only_much_later() -> None:
    best = known(1, spec(Conv2D(3, 8), Dense(16)), 0.9)
    other = known(2, spec(Conv2D(3, 6), Dense(8)), 0.8)
    kids = [known(i, spec(Conv2D(3, 8), Dense(16 + i)), 0.5, best) for i in range(3, 6)]
    other_kids = [known(i, spec(Conv2D(3, 6), Dense(8 + i)), 0.5, other) for i in range(6, 9)]
    models = [best, other, *kids, *other_kids]
    assert losing_parents(models) == {2}  # three losses in a row: model 2 gets no more
    shown = suggest(models, n=10, seed=0)
    assert all(s.parent != 2 for s in shown)
    # most children of the best model lose to it: three losses do not end its lineage
    assert any(s.parent == 1 for s in shown)
    assert losing_parents(models[:4]) == set()  # one loss is not a streak
    more = [known(i, spec(Conv2D(3, 8), Dense(16 + i)), 0.5, best) for i in range(9, 15)]
    assert losing_parents([*models, *more]) == {1, 2}  # nine in a row end it too
    won = known(15, spec(Conv2D(3, 8), Dense(40)), 0.95, best)  # a child that beat it
    assert losing_parents([*models, *more, won]) == {2}


def test_the_front_is_refined_from_its_accurate_end() -> None:
    # A lone Dense layer is on the accuracy–size front by being smallest; at near-chance
    # accuracy it must not get the attention the best model gets.
    best = known(1, spec(Conv2D(3, 8), MaxPool(2), Dense(16)), 0.80)
    tiny = known(2, spec(), 0.26)
    models = [best, tiny, *(known(i, spec(Conv2D(3, 4 + i), Dense(8)), 0.3) for i in range(3, 8))]
    ranked = [s for s in suggest(models, n=10, seed=0) if s.kind in ("ablate", "vary")]
    by_parent = [s.parent for s in ranked]
    assert 1 in by_parent and 2 in by_parent
    assert by_parent.index(1) < by_parent.index(2)
    assert max(s.score for s in ranked if s.parent == 2) < 0.5


def test_a_search_that_stopped_improving_is_told_to_sample() -> None:
    best = known(1, spec(Conv2D(3, 8), MaxPool(2), Dense(16)), 0.80)
    models = [best, *(known(i, spec(Conv2D(3, 2 + i), Dense(8)), 0.5, best) for i in range(2, 8))]
    assert suggest(models, n=1, seed=0)[0].kind != "sample"  # six trainings: refine still
    models += [known(i, spec(Conv2D(5, 2 + i), Dense(8)), 0.5) for i in range(8, 10)]
    top = suggest(models, n=1, seed=0)[0]
    assert top.kind == "sample"
    assert "the best model (#1, 80.0%) has not been beaten in 8 trainings" in top.reason


def test_a_young_workspace_is_told_to_sample() -> None:
    models = [known(1, spec(Conv2D(3, 8), Dense(16)), 0.5)]
    top = suggest(models, n=1, seed=0)[0]
    assert top.kind == "sample" and "only 1 trained model" in top.reason
    assert suggest([], n=2, seed=0)[0].kind == "sample"


def test_pareto_front_and_change_signature() -> None:
    models = workspace_models()
    front = pareto_front(models)
    assert next(m.id for m in front) == 2  # 0.70, the best
    assert all(a.params > b.params for a, b in itertools.pairwise(front))
    assert front[-1].id == 10  # the smallest model is on the front
    parent = models[0].spec
    assert change_signature(parent, models[1].changes) == ("remove", "Dropout")
    assert change_signature(parent, ("Changed filters at index 0 from 4 to 8",)) == (
        "set", "Conv2D", "filters", "up",
    )  # fmt: skip
    assert change_signature(parent, ("a", "b")) is None


def test_an_ablation_that_grows_the_model_says_adds_not_negative_saves() -> None:
    # a lone MaxPool: removing it grows the Dense output layer's input (and parameters)
    pooled = known(1, spec(MaxPool(2)), 0.9)
    others = [known(i, spec(Conv2D(3, 2 + i), Dense(8)), 0.3 + 0.05 * i) for i in range(2, 7)]
    found = suggest([pooled, *others], n=20, seed=0, default_epochs=2)
    ablations = [s for s in found if s.kind == "ablate" and s.parent == 1]
    assert ablations, [s.reason for s in found]
    assert "adds" in ablations[0].reason and "saves -" not in ablations[0].reason
    assert all("saves -" not in s.reason for s in found)
