"""Benchmark: all-pairs OTMANN with the fast engine vs the straightforward per-pair POT
implementation, side by side in one run.

For the 100 reference models and for sampled model sets (1,000 and 2,000 by default,
original vocabulary) it times the full fast matrix (one thread and ``--workers`` threads,
and the pair-list engine the maps use, packing included, on the same pairs)
and the reference solver on a random subset of pairs (graphs converted beforehand, which
favours the baseline), then prints pairs/s, the speed-up, the largest relative difference
on the compared pairs, the matrix size and the peak RSS.

    .venv/bin/python bench/bench_otmann.py            # full run (about a minute)
    .venv/bin/python bench/bench_otmann.py --quick    # smoke run (a few seconds)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

from remap.analysis import otmann_fast
from remap.analysis.otmann import OtmannParams, graphs
from remap.analysis.otmann_reference import otmann_graph_distance
from remap.arch.layers import Activation, AvgPool, Conv2D, Dense, Dropout, Layer, MaxPool
from remap.arch.original import load_model_set
from remap.arch.spec import ArchSpec

REFERENCE = Path(__file__).resolve().parents[1] / "tests/data/remap-quickdraw/models.json"


def sample_specs(n: int, seed: int) -> list[ArchSpec]:
    """Valid models of the original space (the project's sampler, or a tiny fallback)."""
    try:
        from remap.arch.sampling import sample_architectures
    except ImportError:
        return _fallback_specs(n, seed)
    return sample_architectures(n, (1, 28, 28), 10, seed=seed)


def _fallback_specs(n: int, seed: int) -> list[ArchSpec]:
    from remap.arch.shapes import validate

    rng = random.Random(seed)
    out: list[ArchSpec] = []
    while len(out) < n:
        layers: list[Layer] = []
        dense = False
        for _ in range(rng.randint(0, 10)):
            kind = rng.choice(["dense", "act", "drop"] + ([] if dense else ["conv", "pool"] * 2))
            if kind == "conv":
                layers.append(Conv2D(rng.choice([1, 3, 5]), rng.choice([16, 32, 64, 128])))
            elif kind == "pool":
                layers.append(rng.choice([MaxPool, AvgPool])(rng.choice([2, 3, 5])))
            elif kind == "dense":
                layers.append(Dense(rng.choice([16, 64, 128, 256])))
                dense = True
            elif kind == "act":
                layers.append(Activation(rng.choice(["relu", "tanh", "sigmoid"])))
            else:
                layers.append(Dropout(rng.randint(1, 7) / 8))
        spec = ArchSpec((1, 28, 28), 10, (*layers, Dense(10)))
        try:
            validate(spec)
        except ValueError:
            continue
        out.append(spec)
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_set(
    name: str, specs: list[ArchSpec], params: OtmannParams, ref_pairs: int, workers: int
) -> None:
    n = len(specs)
    total_pairs = n * (n - 1) // 2
    t0 = time.perf_counter()
    single = otmann_fast.otmann_matrix(specs, params, workers=1)
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    threaded = otmann_fast.otmann_matrix(specs, params, workers=workers)
    t_threaded = time.perf_counter() - t0
    assert np.array_equal(single, threaded)
    gs_all = graphs(specs, params)
    t0 = time.perf_counter()
    packed = otmann_fast.PackedSet(gs_all, params)  # the pair-list engine maps use
    ia, ib = np.triu_indices(n, 1)
    listed = packed.pairs(ia, ib, workers=workers)
    t_list = time.perf_counter() - t0
    assert np.allclose(listed, single[ia, ib], rtol=1e-9, atol=1e-12)

    gs = graphs(specs, params)
    rng = np.random.default_rng(0)
    if ref_pairs >= total_pairs:
        chosen = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        chosen = []
        while len(chosen) < ref_pairs:
            i, j = (int(v) for v in rng.integers(0, n, 2))
            if i != j:
                chosen.append((i, j))
    t0 = time.perf_counter()
    ref = [otmann_graph_distance(gs[i], gs[j], params) for i, j in chosen]
    t_ref = time.perf_counter() - t0
    fast = np.array([single[i, j] for i, j in chosen])
    want = np.array(ref)
    err = float((np.abs(fast - want) / np.maximum(np.abs(want), 1.0)).max())

    fast1 = total_pairs / t_single
    fastw = total_pairs / t_threaded
    fastl = total_pairs / t_list
    slow = len(chosen) / t_ref
    print(
        f"{name:<22} {n:>5} {total_pairs:>9,} {fast1:>12,.0f} {fastw:>12,.0f} {fastl:>12,.0f} "
        f"{slow:>10,.0f} {fast1 / slow:>8.0f}x {fastw / slow:>8.0f}x {err:>9.1e} "
        f"{single.nbytes / 2**20:>8.1f} {peak_rss_mb():>8.0f}"
    )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sets, fewer pairs")
    parser.add_argument("--sizes", default=None, help="sampled set sizes, e.g. 1000,2000")
    parser.add_argument("--ref-pairs", type=int, default=None, help="pairs for the baseline")
    parser.add_argument("--params", choices=("remap", "default", "both"), default="both")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="threads")
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or ("300" if args.quick else "1000,2000")).split(",")]
    ref_pairs = args.ref_pairs or (300 if args.quick else 2000)

    t0 = time.perf_counter()
    import ot  # noqa: F401  (POT's import is slow; keep it out of the timings)

    t_pot = time.perf_counter() - t0
    t0 = time.perf_counter()
    otmann_fast.warm_up()
    t_warm = time.perf_counter() - t0
    print(f"setup: POT import {t_pot:.1f} s, fast kernel load/compile {t_warm:.1f} s")
    print(f"CPUs usable: {len(os.sched_getaffinity(0))}, fast threads: {args.workers}")
    sets = [("reference-100", [m.spec for m in load_model_set(REFERENCE).models])]
    sets += [(f"sampled-{n}", sample_specs(n, seed=n)) for n in sizes]
    presets = ["remap", "default"] if args.params == "both" else [args.params]
    header = (
        f"{'set':<22} {'N':>5} {'pairs':>9} {'fast 1thr/s':>12} {'fast Wthr/s':>12} "
        f"{'list Wthr/s':>12} "
        f"{'POT/s':>10} {'ratio1':>9} {'ratioW':>9} {'max rel':>9} {'mat MB':>8} {'RSS MB':>8}"
    )
    for preset in presets:
        params = OtmannParams.remap() if preset == "remap" else OtmannParams.default()
        print(f"\nparams: {preset}   (baseline: {ref_pairs} random pairs per set)")
        print(header)
        for name, specs in sets:
            bench_set(name, specs, params, ref_pairs, args.workers)


if __name__ == "__main__":
    main()
