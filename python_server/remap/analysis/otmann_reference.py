"""The straightforward OTMANN implementation: per pair, build the full cost matrix (label
mismatch + structural cost over the twelve path kinds, plus the dummy row and column) with
numpy and solve the transport problem with POT's ``ot.emd``, as the original did.

It is the oracle for :mod:`remap.analysis.otmann_fast` in tests and the baseline of
``bench/bench_otmann.py``. POT is a development extra, imported only when a distance is
computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from remap.analysis.otmann import (
    GROUPS,
    PATH_TYPES,
    OtmannGraph,
    OtmannParams,
    graphs,
    spec_to_graph,
)
from remap.arch.spec import ArchSpec

# Stand-in for an infinite label mismatch. Any cost above 2 × the non-assignment penalty
# is never used by an optimal plan (sending both masses to the dummy is cheaper), so the
# exact value does not matter as long as it keeps the simplex well conditioned.
LARGE_COST = 1.0e6


def _ot() -> Any:
    try:
        import ot
    except ImportError as exc:  # pragma: no cover - POT is a dev extra
        raise RuntimeError(
            "the reference OTMANN solver needs POT (pip install 'remap[dev]')"
        ) from exc
    return ot


@lru_cache(maxsize=16)
def _label_costs(params: OtmannParams) -> dict[tuple[str, str], float]:
    """A memo of ``params.label_cost`` (filled lazily) shared by every pair."""
    return {}


def label_cost_matrix(g1: OtmannGraph, g2: OtmannGraph, params: OtmannParams) -> NDArray[Any]:
    """Mismatch costs between every node of g1 and g2 (infinite pairs → ``LARGE_COST``)."""
    memo = _label_costs(params)
    raw = np.empty((len(g1.labels), len(g2.labels)))
    for i, a in enumerate(g1.labels):
        for j, b in enumerate(g2.labels):
            cost = memo.get((a, b))
            if cost is None:
                cost = memo[(a, b)] = params.label_cost(a, b)
            raw[i, j] = cost
    finite = np.isfinite(raw)
    out = np.full(raw.shape, LARGE_COST)
    out[finite] = params.label_coeff * raw[finite]
    return out


def structural_cost_matrix(g1: OtmannGraph, g2: OtmannGraph) -> NDArray[Any]:
    """½ (mean over path kinds of |δ_ip(i) − δ_ip(j)| + the same for δ_op), where the path
    kinds are groups × path types (each path type has the same length on a chain)."""
    kinds = len(GROUPS) * len(PATH_TYPES)
    from_ip = np.zeros((len(g1.labels), len(g2.labels)))
    to_op = np.zeros_like(from_ip)
    for g in range(len(GROUPS)):
        for _path_type in PATH_TYPES:
            from_ip += np.abs(g1.dist_from_ip[g][:, None] - g2.dist_from_ip[g][None, :])
            to_op += np.abs(g1.dist_to_op[g][:, None] - g2.dist_to_op[g][None, :])
    return 0.5 * (from_ip / kinds + to_op / kinds)


def transport_problem(
    g1: OtmannGraph, g2: OtmannGraph, params: OtmannParams
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(supplies, demands, cost) with the dummy row and column appended."""
    n1, n2 = len(g1.labels), len(g2.labels)
    cost = np.full((n1 + 1, n2 + 1), params.non_assignment_penalty)
    cost[:n1, :n2] = label_cost_matrix(
        g1, g2, params
    ) + params.structural_coeff * structural_cost_matrix(g1, g2)
    cost[n1, n2] = 0.0
    supplies = np.concatenate([g1.masses, [g2.total_mass]])
    demands = np.concatenate([g2.masses, [g1.total_mass]])
    return supplies, demands, cost


def otmann_graph_distance(g1: OtmannGraph, g2: OtmannGraph, params: OtmannParams) -> float:
    """The OTMANN distance of two chains, solved exactly by POT's network simplex."""
    ot = _ot()
    supplies, demands, cost = transport_problem(g1, g2, params)
    plan = ot.emd(supplies, demands, cost, numItermax=1_000_000)
    value = float(np.sum(plan * cost))
    if params.normalise:
        value /= g1.total_mass + g2.total_mass
    return value


def otmann_distance_reference(a: ArchSpec, b: ArchSpec, params: OtmannParams) -> float:
    return otmann_graph_distance(spec_to_graph(a, params), spec_to_graph(b, params), params)


def otmann_pairs_reference(
    specs_a: Sequence[ArchSpec], specs_b: Sequence[ArchSpec], params: OtmannParams
) -> NDArray[np.float64]:
    """The len(a) × len(b) matrix, one ``ot.emd`` per entry."""
    ga, gb = graphs(specs_a, params), graphs(specs_b, params)
    out = np.empty((len(ga), len(gb)))
    for i, g1 in enumerate(ga):
        for j, g2 in enumerate(gb):
            out[i, j] = otmann_graph_distance(g1, g2, params)
    return out


def otmann_matrix_reference(specs: Sequence[ArchSpec], params: OtmannParams) -> NDArray[np.float64]:
    """The symmetric N × N matrix: each unordered pair solved once, zero diagonal."""
    gs = graphs(specs, params)
    out = np.zeros((len(gs), len(gs)))
    for i in range(len(gs)):
        for j in range(i + 1, len(gs)):
            out[i, j] = out[j, i] = otmann_graph_distance(gs[i], gs[j], params)
    return out
