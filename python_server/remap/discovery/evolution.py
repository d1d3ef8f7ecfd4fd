"""Regularized evolution (Real et al., AAAI 2019) as a pure state machine: a population of
at most ``population`` members; while it is not full the next step samples a new model;
once full, ``sample_size`` members are drawn at random, the fittest of them is the parent
of the next child (tournament selection), and adding a child removes the **oldest**
member (aging), not the worst. Mutation (the product's variation) and training happen in
the caller; this class only decides, and round-trips through JSON for resuming."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Member:
    model_id: int
    fitness: float


class RegularizedEvolution:
    def __init__(self, population: int = 10, sample_size: int = 3, seed: int = 0) -> None:
        if population < 1 or not 1 <= sample_size <= population:
            raise ValueError(
                f"expected population ≥ 1 and 1 ≤ sample size ≤ population, got "
                f"{population} and {sample_size}"
            )
        self.population_size = population
        self.sample_size = sample_size
        self.members: deque[Member] = deque()
        self._rng = random.Random(seed)

    @property
    def full(self) -> bool:
        return len(self.members) >= self.population_size

    def choose_parent(self) -> int | None:
        """None while the population is filling (sample a new model); otherwise the id of
        the fittest of ``sample_size`` members drawn without replacement (ties: the
        younger member, which keeps the search moving)."""
        if not self.full:
            return None
        drawn = self._rng.sample(range(len(self.members)), self.sample_size)
        best = max(drawn, key=lambda i: (self.members[i].fitness, i))
        return self.members[best].model_id

    def add(self, model_id: int, fitness: float) -> Member | None:
        """Add a trained model (a failed one with fitness 0); returns the member that aged
        out, if any."""
        self.members.append(Member(model_id, fitness))
        if len(self.members) > self.population_size:
            return self.members.popleft()
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "population": self.population_size,
            "sampleSize": self.sample_size,
            "members": [[m.model_id, m.fitness] for m in self.members],
            "rng": _encode_state(self._rng.getstate()),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegularizedEvolution:
        evo = cls(int(data["population"]), int(data["sampleSize"]))
        evo.members.extend(Member(int(i), float(f)) for i, f in data["members"])
        evo._rng.setstate(_decode_state(data["rng"]))
        return evo


def _encode_state(state: Any) -> list[Any]:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _decode_state(data: list[Any]) -> Any:
    version, internal, gauss = data
    return (int(version), tuple(int(x) for x in internal), gauss)
