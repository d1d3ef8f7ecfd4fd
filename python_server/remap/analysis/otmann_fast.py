"""The fast all-pairs OTMANN engine: the same distances as
:mod:`remap.analysis.otmann_reference` (to ~1e-12 relative), orders of magnitude faster.

Why it can be fast. Matching mass from node i to node j instead of sending both to the
dummy changes the cost by ``c_ij − 2p`` (p = non-assignment penalty), so an optimal plan
only uses pairs with ``c_ij < 2p``; every other pair, and in particular every label pair
with an infinite mismatch, can be deleted. What remains is "maximise Σ x_ij (2p − c_ij)
subject to row sums ≤ m_i and column sums ≤ m'_j": the dummy absorbs whatever is left,
so it imposes no coupling, and the problem splits exactly into independent sub-problems,
one per component of the "finitely comparable labels" graph (conv sizes, pooling,
activations, dense, dropout, batch norm, and the singletons ip, softmax, op). Each is tiny:
1×1 ones have a closed form, the rest are solved by successive shortest paths with
Dijkstra on reduced costs. On a chain all path types coincide, so the structural cost is
an L1 distance between per-node vectors of per-group path lengths.

Per-model data (labels, masses, path lengths, components) is packed once; the pair loop is
one numba function (``nogil``, on-disk cache) run on row blocks in threads. Jobs too small
to repay a first compilation run the same function as plain Python (see ``warm_up``).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from numba.extending import register_jitable
from numpy.typing import NDArray

from remap.analysis.otmann import GROUPS, OtmannGraph, OtmannParams, graphs
from remap.arch.spec import ArchSpec

# Jobs with fewer pairs than this use the pure-Python kernel while the compiled one is not
# loaded yet (loading from the cache costs well under a second; compiling a few seconds).
PY_PAIRS_LIMIT = 400
# Jobs with fewer pairs than this run in the calling thread.
THREAD_PAIRS_LIMIT = 20_000
_STOP_TOL = 1e-12


@register_jitable  # type: ignore[misc]
def _transport(
    cost: Any, sa: Any, sb: Any, n1: int, n2: int, pen: float, flow: Any, fs: Any, iscr: Any
) -> float:
    """Min-cost partial transport of one component: rows ``sa``, columns ``sb``, cost
    ``cost`` (entries ≥ 2·pen are absent), unmatched mass at ``pen``. ``flow`` (n×n),
    ``fs`` (6×n floats) and ``iscr`` (4×n ints) are scratch."""
    two = 2.0 * pen
    inf = math.inf
    rem_a, rem_b, pot_r, pot_c, dist_r, dist_c = fs[0], fs[1], fs[2], fs[3], fs[4], fs[5]
    prev_r, prev_c, done_r, done_c = iscr[0], iscr[1], iscr[2], iscr[3]
    for u in range(n1):
        rem_a[u] = sa[u]
        pot_r[u] = 0.0
        for v in range(n2):
            flow[u, v] = 0.0
    for v in range(n2):
        rem_b[v] = sb[v]
        low = 0.0
        for u in range(n1):
            if cost[u, v] < two and cost[u, v] - two < low:
                low = cost[u, v] - two
        pot_c[v] = low
    for _ in range(4 * (n1 + n2) * (n1 + n2) + 16):
        for u in range(n1):
            dist_r[u] = 0.0 if rem_a[u] > 0.0 else inf
            prev_r[u] = -1
            done_r[u] = 0
        for v in range(n2):
            dist_c[v] = inf
            prev_c[v] = -1
            done_c[v] = 0
        while True:  # dense Dijkstra over rows and columns
            best, node, is_row = inf, -1, True
            for u in range(n1):
                if done_r[u] == 0 and dist_r[u] < best:
                    best, node, is_row = dist_r[u], u, True
            for v in range(n2):
                if done_c[v] == 0 and dist_c[v] < best:
                    best, node, is_row = dist_c[v], v, False
            if node < 0:
                break
            if is_row:
                done_r[node] = 1
                for v in range(n2):
                    c = cost[node, v]
                    if done_c[v] != 0 or c >= two:
                        continue
                    nd = best + (c - two) + pot_r[node] - pot_c[v]
                    if nd < dist_c[v]:
                        dist_c[v] = nd
                        prev_c[v] = node
            else:
                done_c[node] = 1
                for u in range(n1):
                    if done_r[u] != 0 or rem_a[u] > 0.0 or flow[u, node] <= 0.0:
                        continue
                    nd = best - (cost[u, node] - two) + pot_c[node] - pot_r[u]
                    if nd < dist_r[u]:
                        dist_r[u] = nd
                        prev_r[u] = node
        sink, sink_cost, reach = -1, -_STOP_TOL, 0.0
        for v in range(n2):
            if done_c[v] != 0:
                reach = max(reach, dist_c[v])
                if rem_b[v] > 0.0 and dist_c[v] + pot_c[v] < sink_cost:
                    sink, sink_cost = v, dist_c[v] + pot_c[v]
        if sink < 0:
            break
        for u in range(n1):
            if done_r[u] != 0:
                reach = max(reach, dist_r[u])
        for u in range(n1):
            pot_r[u] += dist_r[u] if done_r[u] != 0 else reach
        for v in range(n2):
            pot_c[v] += dist_c[v] if done_c[v] != 0 else reach
        delta, v = rem_b[sink], sink
        while True:
            u = prev_c[v]
            back = prev_r[u]
            if back < 0:
                delta = min(delta, rem_a[u])
                break
            delta = min(delta, flow[u, back])
            v = back
        rem_b[sink] -= delta
        v = sink
        while True:
            u = prev_c[v]
            flow[u, v] += delta
            back = prev_r[u]
            if back < 0:
                rem_a[u] -= delta
                break
            flow[u, back] -= delta
            v = back
    total = 0.0
    for u in range(n1):
        total += pen * rem_a[u]
        for v in range(n2):
            if flow[u, v] > 0.0:
                total += flow[u, v] * cost[u, v]
    for v in range(n2):
        total += pen * rem_b[v]
    return total


@register_jitable  # type: ignore[misc]
def _one_to_many(cost: Any, mass: float, others: Any, n: int, by_row: bool, pen: float) -> float:
    """Exact solution when one side has a single node: fill its mass into the cheapest
    usable partners first (each unit matched to partner j gains 2·pen − c_j)."""
    two = 2.0 * pen
    total = 0.0
    left = mass
    used = 0
    for k in range(n):
        total += pen * others[k]
    while left > 0.0 and used < n:
        best, pick = two, -1
        for k in range(n):
            c = cost[0, k] if by_row else cost[k, 0]
            if c < best and others[k] > 0.0:
                best, pick = c, k
        if pick < 0:
            break
        amount = min(left, others[pick])
        total += amount * best - pen * amount
        left -= amount
        used += 1
        if amount == others[pick]:
            cost_mark = math.inf
            if by_row:
                cost[0, pick] = cost_mark
            else:
                cost[pick, 0] = cost_mark
    return total + pen * left


@register_jitable  # type: ignore[misc]
def _pair_impl(
    lc: Any,
    pen: float,
    sscale: float,
    a: tuple[Any, ...],
    b: tuple[Any, ...],
    i: int,
    j: int,
    normalise: bool,
    cost: Any,
    flow: Any,
    fs: Any,
    iscr: Any,
) -> float:
    """The distance between model ``i`` of A and model ``j`` of B (packed models:
    (comp_ptr, label, mass, ip, op, comp_mass, total, key)); the rest is scratch."""
    a_ptr, a_lab, a_mass, a_ip, a_op, a_cm, a_tot, a_key = a
    b_ptr, b_lab, b_mass, b_ip, b_op, b_cm, b_tot, b_key = b
    if a_key[i] == b_key[j]:
        return 0.0
    ncomp = a_cm.shape[1]
    ngroups = a_ip.shape[1]
    two = 2.0 * pen
    total = 0.0
    for c in range(ncomp):
        s1, e1, s2, e2 = a_ptr[i, c], a_ptr[i, c + 1], b_ptr[j, c], b_ptr[j, c + 1]
        if e1 == s1 or e2 == s2:
            total += pen * (a_cm[i, c] + b_cm[j, c])
            continue
        n1, n2 = e1 - s1, e2 - s2
        for u in range(n1):
            x = s1 + u
            for v in range(n2):
                y = s2 + v
                lab = lc[a_lab[x], b_lab[y]]
                if lab >= two:
                    cost[u, v] = math.inf
                    continue
                struct = 0.0
                for g in range(ngroups):
                    struct += abs(a_ip[x, g] - b_ip[y, g]) + abs(a_op[x, g] - b_op[y, g])
                cost[u, v] = lab + sscale * struct
        if n1 == 1 and n2 == 1:
            m1, m2, cc = a_mass[s1], b_mass[s2], cost[0, 0]
            if cc < two:
                total += cc * min(m1, m2) + pen * abs(m1 - m2)
            else:
                total += pen * (m1 + m2)
        elif n1 == 1:
            total += _one_to_many(cost, a_mass[s1], b_mass[s2:e2], n2, True, pen)
        elif n2 == 1:
            total += _one_to_many(cost, b_mass[s2], a_mass[s1:e1], n1, False, pen)
        else:
            total += _transport(cost, a_mass[s1:e1], b_mass[s2:e2], n1, n2, pen, flow, fs, iscr)
    return total / (a_tot[i] + b_tot[j]) if normalise else total


@register_jitable  # type: ignore[misc]
def _max_nodes(ptr: Any) -> int:
    """The largest number of nodes one model has in one component."""
    maxn = 1
    for i in range(ptr.shape[0]):
        for c in range(ptr.shape[1] - 1):
            maxn = max(maxn, ptr[i, c + 1] - ptr[i, c])
    return maxn


def _kernel_impl(
    lc: Any,
    pen: float,
    sscale: float,
    a: tuple[Any, ...],
    b: tuple[Any, ...],
    row_start: int,
    row_end: int,
    symmetric: bool,
    normalise: bool,
    out: Any,
) -> None:
    """Distances for rows ``row_start:row_end`` of A against B (upper triangle only when
    ``symmetric``). ``a``/``b`` are packed models: (comp_ptr, label, mass, ip, op,
    comp_mass, total, key)."""
    maxn = max(_max_nodes(a[0]), _max_nodes(b[0]))
    cost = np.empty((maxn, maxn))
    flow = np.empty((maxn, maxn))
    fs = np.empty((6, maxn))
    iscr = np.empty((4, maxn), np.int64)
    for i in range(row_start, row_end):
        for j in range(i + 1 if symmetric else 0, b[6].shape[0]):
            out[i, j] = _pair_impl(lc, pen, sscale, a, b, i, j, normalise, cost, flow, fs, iscr)


def _list_impl(
    lc: Any,
    pen: float,
    sscale: float,
    a: tuple[Any, ...],
    b: tuple[Any, ...],
    ia: Any,
    ib: Any,
    start: int,
    end: int,
    normalise: bool,
    out: Any,
) -> None:
    """Distances of the listed pairs ``start:end``: ``out[p]`` = d(A[ia[p]], B[ib[p]])."""
    maxn = max(_max_nodes(a[0]), _max_nodes(b[0]))
    cost = np.empty((maxn, maxn))
    flow = np.empty((maxn, maxn))
    fs = np.empty((6, maxn))
    iscr = np.empty((4, maxn), np.int64)
    for p in range(start, end):
        out[p] = _pair_impl(lc, pen, sscale, a, b, ia[p], ib[p], normalise, cost, flow, fs, iscr)


_kernel_jit = njit(nogil=True, cache=True)(_kernel_impl)
_list_jit = njit(nogil=True, cache=True)(_list_impl)


@dataclass(frozen=True)
class PackedModels:
    """Per-model data for the kernel; build with :func:`pack` (shared label index)."""

    comp_ptr: NDArray[np.int64]
    label: NDArray[np.int64]
    mass: NDArray[np.float64]
    from_ip: NDArray[np.float64]
    to_op: NDArray[np.float64]
    comp_mass: NDArray[np.float64]
    total: NDArray[np.float64]
    key: NDArray[np.int64]

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.comp_ptr,
            self.label,
            self.mass,
            self.from_ip,
            self.to_op,
            self.comp_mass,
            self.total,
            self.key,
        )


@dataclass(frozen=True)
class _Vocabulary:
    label_costs: NDArray[np.float64]  # scaled by label_coeff, inf when never matched
    index: dict[str, int]
    component: NDArray[np.int64]  # label index → component
    n_components: int
    groups: NDArray[np.int64]  # indices of groups with a non-zero path length somewhere


def _vocabulary(all_graphs: Sequence[OtmannGraph], params: OtmannParams) -> _Vocabulary:
    labels = sorted({lab for g in all_graphs for lab in g.labels})
    index = {lab: k for k, lab in enumerate(labels)}
    raw = np.array([[params.label_cost(x, y) for y in labels] for x in labels], dtype=float)
    costs = np.full(raw.shape, math.inf)
    costs[np.isfinite(raw)] = params.label_coeff * raw[np.isfinite(raw)]
    usable = costs < 2.0 * params.non_assignment_penalty
    parent = list(range(len(labels)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for x, y in zip(*np.nonzero(usable), strict=True):
        parent[find(int(x))] = find(int(y))
    roots = sorted({find(k) for k in range(len(labels))})
    component = np.array([roots.index(find(k)) for k in range(len(labels))], dtype=np.int64)
    active = [
        g
        for g in range(len(GROUPS))
        if any(gr.dist_from_ip[g].any() or gr.dist_to_op[g].any() for gr in all_graphs)
    ]
    return _Vocabulary(costs, index, component, len(roots), np.array(active, dtype=np.int64))


def _pack(
    gs: Sequence[OtmannGraph], vocab: _Vocabulary, keys: dict[tuple[object, ...], int]
) -> PackedModels:
    """Concatenate the models' nodes, each model's sorted by component (stable)."""
    n_models, n_comp = len(gs), vocab.n_components
    lengths = np.array([len(g.labels) for g in gs], dtype=np.int64)
    model = np.repeat(np.arange(n_models, dtype=np.int64), lengths)
    label = np.array([vocab.index[x] for g in gs for x in g.labels], dtype=np.int64)
    comp = vocab.component[label]
    order = np.lexsort((comp, model))
    cell = model * n_comp + comp
    counts = np.bincount(cell, minlength=n_models * n_comp).reshape(n_models, n_comp)
    masses = np.concatenate([g.masses for g in gs])
    cmass = np.bincount(cell, weights=masses, minlength=n_models * n_comp)
    ptr = np.zeros((n_models, n_comp + 1), dtype=np.int64)
    ptr[:, 0] = np.cumsum(lengths) - lengths
    ptr[:, 1:] = ptr[:, :1] + np.cumsum(counts, axis=1)
    sel = vocab.groups
    from_ip = np.concatenate([g.dist_from_ip[sel] for g in gs], axis=1)[:, order].T
    to_op = np.concatenate([g.dist_to_op[sel] for g in gs], axis=1)[:, order].T
    key = np.array([keys.setdefault(g.key, len(keys)) for g in gs], dtype=np.int64)
    return PackedModels(
        ptr,
        label[order],
        masses[order],
        np.ascontiguousarray(from_ip),
        np.ascontiguousarray(to_op),
        np.asarray(cmass, dtype=np.float64).reshape(n_models, n_comp),
        np.array([g.total_mass for g in gs]),
        key,
    )


def _compiled() -> bool:
    return bool(_kernel_jit.signatures)


def _run(
    ga: Sequence[OtmannGraph],
    gb: Sequence[OtmannGraph] | None,
    params: OtmannParams,
    workers: int | None,
    engine: str = "auto",
) -> NDArray[np.float64]:
    """``engine``: ``auto`` (plain Python for small jobs while the kernel is not loaded),
    ``python`` or ``compiled``."""
    symmetric = gb is None
    n_a, n_b = len(ga), len(ga) if gb is None else len(gb)
    out = np.zeros((n_a, n_b))
    pairs = n_a * (n_a - 1) // 2 if symmetric else n_a * n_b
    if pairs == 0:
        return out
    vocab = _vocabulary(list(ga) if gb is None else [*ga, *gb], params)
    keys: dict[tuple[object, ...], int] = {}
    a = _pack(ga, vocab, keys)
    b = a if gb is None else _pack(gb, vocab, keys)
    pen = params.non_assignment_penalty
    sscale = params.structural_coeff * 0.5 / len(GROUPS)
    args = (vocab.label_costs, pen, sscale, a.as_tuple(), b.as_tuple())
    if engine == "python" or (engine == "auto" and pairs < PY_PAIRS_LIMIT and not _compiled()):
        _kernel_impl(*args, 0, n_a, symmetric, params.normalise, out)
    else:
        blocks = _row_blocks(n_a, n_b, symmetric, _workers(workers, pairs))
        if len(blocks) == 1:
            _kernel_jit(*args, 0, n_a, symmetric, params.normalise, out)
        else:
            _kernel_jit(*args, 0, 0, symmetric, params.normalise, out)  # compile/load once
            with ThreadPoolExecutor(max_workers=_workers(workers, pairs)) as pool:
                jobs = [
                    pool.submit(_kernel_jit, *args, r0, r1, symmetric, params.normalise, out)
                    for r0, r1 in blocks
                ]
                for job in jobs:
                    job.result()
    if symmetric:
        out = np.triu(out, 1)
        out = out + out.T
    return out


def _workers(workers: int | None, pairs: int) -> int:
    if pairs < THREAD_PAIRS_LIMIT:
        return 1
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(1, int(workers))


def _row_blocks(n_a: int, n_b: int, symmetric: bool, workers: int) -> list[tuple[int, int]]:
    """Row ranges with about equal numbers of pairs (4 per worker for load balance)."""
    if workers <= 1:
        return [(0, n_a)]
    per_row = np.array([n_b - i - 1 if symmetric else n_b for i in range(n_a)], dtype=float)
    cum = np.cumsum(per_row)
    n_blocks = min(n_a, 4 * workers)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n_blocks) / n_blocks)
    edges = sorted({0, n_a, *(int(c) + 1 for c in cuts)})
    return [(r0, r1) for r0, r1 in itertools.pairwise(edges) if r1 > r0]


class PackedSet:
    """Models packed once (one vocabulary) for many queries of chosen pairs: the rows of a
    few landmarks against all models, or each new model against its own candidates. Any
    subset is a view of the same packed arrays (pointers are absolute), so a query costs its
    pairs only. ``pairs`` runs in ``workers`` threads (the kernel releases the GIL)."""

    def __init__(self, gs: Sequence[OtmannGraph], params: OtmannParams) -> None:
        self.params = params
        self.n = len(gs)
        vocab = _vocabulary(list(gs), params) if gs else None
        self._packed = _pack(gs, vocab, {}) if vocab is not None else None
        self._lc = vocab.label_costs if vocab is not None else np.zeros((0, 0))

    def pairs(
        self,
        ia: NDArray[np.int64] | Sequence[int],
        ib: NDArray[np.int64] | Sequence[int],
        workers: int | None = None,
        engine: str = "auto",
    ) -> NDArray[np.float64]:
        """``out[p]`` = distance between models ``ia[p]`` and ``ib[p]`` of the set."""
        a_idx = np.ascontiguousarray(ia, dtype=np.int64).reshape(-1)
        b_idx = np.ascontiguousarray(ib, dtype=np.int64).reshape(-1)
        if a_idx.shape != b_idx.shape:
            raise ValueError(f"pairs: {a_idx.size} first models but {b_idx.size} second ones")
        out = np.zeros(a_idx.size)
        if a_idx.size == 0 or self._packed is None:
            return out
        if min(a_idx.min(), b_idx.min()) < 0 or max(a_idx.max(), b_idx.max()) >= self.n:
            raise IndexError(f"pairs: model index outside 0…{self.n - 1}")
        pk = self._packed.as_tuple()
        p = self.params
        sscale = p.structural_coeff * 0.5 / len(GROUPS)
        args = (self._lc, p.non_assignment_penalty, sscale, pk, pk, a_idx, b_idx)
        total = int(a_idx.size)
        if engine == "python" or (
            engine == "auto" and total < PY_PAIRS_LIMIT and not _list_compiled()
        ):
            _list_impl(*args, 0, total, p.normalise, out)
            return out
        n_threads = _workers(workers, total)
        if n_threads <= 1:
            _list_jit(*args, 0, total, p.normalise, out)
            return out
        _list_jit(*args, 0, 0, p.normalise, out)  # compile/load once
        cuts = np.linspace(0, total, 4 * n_threads + 1).astype(np.int64)
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            jobs = [
                pool.submit(_list_jit, *args, int(s0), int(s1), p.normalise, out)
                for s0, s1 in itertools.pairwise(cuts)
                if s1 > s0
            ]
            for job in jobs:
                job.result()
        return out

    def rows(
        self, rows: Sequence[int], cols: Sequence[int] | None = None, workers: int | None = None
    ) -> NDArray[np.float64]:
        """len(rows) × len(cols) distances (all models as columns by default)."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.arange(self.n, dtype=np.int64) if cols is None else np.asarray(cols, np.int64)
        ia, ib = np.repeat(r, c.size), np.tile(c, r.size)
        return self.pairs(ia, ib, workers).reshape(r.size, c.size)


def _list_compiled() -> bool:
    return bool(_list_jit.signatures)


def otmann_matrix(
    specs: Sequence[ArchSpec],
    params: OtmannParams | None = None,
    workers: int | None = None,
) -> NDArray[np.float64]:
    """The symmetric N × N OTMANN matrix (zero diagonal) of ``specs`` in their order.
    ``workers``: threads for large jobs (default: the usable CPU count)."""
    params = params or OtmannParams.default()
    return _run(graphs(specs, params), None, params, workers)


def otmann_pairs(
    specs_a: Sequence[ArchSpec],
    specs_b: Sequence[ArchSpec],
    params: OtmannParams | None = None,
    workers: int | None = None,
) -> NDArray[np.float64]:
    """The len(a) × len(b) matrix of distances between two lists (e.g. new × old models)."""
    params = params or OtmannParams.default()
    return _run(graphs(specs_a, params), graphs(specs_b, params), params, workers)


def otmann_graph_matrix(
    gs: Sequence[OtmannGraph], params: OtmannParams, workers: int | None = None
) -> NDArray[np.float64]:
    """:func:`otmann_matrix` on already converted graphs."""
    return _run(gs, None, params, workers)


def otmann_graph_pairs(
    ga: Sequence[OtmannGraph],
    gb: Sequence[OtmannGraph],
    params: OtmannParams,
    workers: int | None = None,
) -> NDArray[np.float64]:
    """:func:`otmann_pairs` on already converted graphs."""
    return _run(ga, gb, params, workers)


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) the kernel so that later small jobs
    run compiled. Safe to call more than once; a server may call it in the background."""
    from remap.arch.layers import Activation, Conv2D, Dense, MaxPool

    a = ArchSpec((1, 8, 8), 2, (Conv2D(3, 4), Conv2D(1, 4), MaxPool(2), Dense(2)))
    b = ArchSpec((1, 8, 8), 2, (Conv2D(3, 8), Activation("relu"), Conv2D(3, 4), Dense(2)))
    pair = graphs([a, b], OtmannParams.default())
    _run(pair, None, OtmannParams.default(), 1, "compiled")
    PackedSet(pair, OtmannParams.default()).pairs([0], [1], workers=1, engine="compiled")
