"""Regularized evolution's population logic (pure): it samples until the population is
full, picks the fittest of a random tournament, and ages out the oldest member — not the
worst — when a child is added; its state survives a JSON round trip."""

from __future__ import annotations

import json

import pytest

from remap.discovery.evolution import RegularizedEvolution


def filled(population: int = 4, sample: int = 2, seed: int = 0) -> RegularizedEvolution:
    evo = RegularizedEvolution(population, sample, seed)
    for model_id, fitness in enumerate([0.9, 0.1, 0.5, 0.3], start=1):
        assert evo.choose_parent() is None  # still filling: sample a new model
        assert evo.add(model_id, fitness) is None
    return evo


def test_aging_removes_the_oldest_not_the_worst() -> None:
    evo = filled()
    assert evo.full
    removed = evo.add(5, 0.0)
    assert removed is not None and removed.model_id == 1 and removed.fitness == 0.9
    assert [m.model_id for m in evo.members] == [2, 3, 4, 5]
    assert evo.add(6, 0.2) is not None and [m.model_id for m in evo.members] == [3, 4, 5, 6]


def test_tournament_picks_the_fittest_of_the_sample() -> None:
    evo = filled(sample=4)  # the whole population: always the best
    assert {evo.choose_parent() for _ in range(20)} == {1}
    evo = filled(sample=1, seed=3)  # one drawn at random: every member is chosen sometimes
    assert {evo.choose_parent() for _ in range(200)} == {1, 2, 3, 4}
    evo = filled(sample=2, seed=5)  # two drawn: the worst (model 2) can never win
    picks = [evo.choose_parent() for _ in range(300)]
    assert 2 not in picks and picks.count(1) > picks.count(4)


def test_state_round_trips_through_json() -> None:
    evo = filled(seed=11)
    copy = RegularizedEvolution.from_dict(json.loads(json.dumps(evo.to_dict())))
    assert [evo.choose_parent() for _ in range(10)] == [copy.choose_parent() for _ in range(10)]
    assert list(copy.members) == list(evo.members)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="sample size"):
        RegularizedEvolution(3, 4)
