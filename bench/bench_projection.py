"""Benchmark: 2-D projections and stable layouts (remap.analysis projection half).

Builds a realistic, non-Euclidean distance matrix without the OTMANN module (L1 distances
between points in a 10-D latent space with clusters of unequal size and spread), then prints,
side by side:

1. fit time, trustworthiness and normalised stress of UMAP, our MDS (classical + SMACOF) and
   scikit-learn's MDS (baseline, N ≤ 1000) for 1,000 and 2,000 models;
2. place_new of 10 models into a 1,000-model layout vs a full refit (time, old-point
   movement, neighbour recall of the new models);
3. refit + Procrustes after the set grew (movement of old points);
4. memory for 2,000 models: two distance matrices + layouts (tracemalloc) and peak RSS.

Targets: UMAP projection of 1,000 models (warm) ≤ 3 s; place_new 10→1,000 ≤ 200 ms with mean
movement ≤ 1 % of the extent; 2,000 models (matrices + layouts) < 200 MB.

    .venv/bin/python bench/bench_projection.py            # 1,000 and 2,000 models
    .venv/bin/python bench/bench_projection.py --quick    # 300 and 600 models
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from remap.analysis.layout import Layout, fit_layout, place_new, refit
from remap.analysis.projection import project
from remap.analysis.quality import normalized_stress, trustworthiness_of
from remap.analysis.warmup import UmapWarmup

T = TypeVar("T")


def latent_points(n: int, seed: int, dim: int = 10, clusters: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(clusters, dim))
    weights = rng.dirichlet(np.full(clusters, 1.5))
    spread = rng.uniform(0.5, 2.0, size=clusters)
    label = rng.choice(clusters, size=n, p=weights)
    return centres[label] + rng.normal(size=(n, dim)) * spread[label, None]


def l1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import cdist

    out: np.ndarray = cdist(a, b, metric="cityblock")
    return out


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def timed_cpu(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Value, wall seconds and CPU seconds of this process (all threads)."""
    cpu = time.process_time()
    value, wall = timed(fn)
    return value, wall, time.process_time() - cpu


def rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def neighbour_recall(coords: np.ndarray, true_d: np.ndarray, rows: np.ndarray, k: int) -> float:
    """Mean fraction of each row's k nearest models (input space) among its k nearest on the map."""
    hits = 0.0
    for i in rows:
        truth = np.argsort(np.where(np.arange(len(true_d)) == i, np.inf, true_d[i]))[:k]
        dz = np.linalg.norm(coords - coords[i], axis=1)
        dz[i] = np.inf
        shown = np.argsort(dz)[:k]
        hits += len(set(truth.tolist()) & set(shown.tolist())) / k
    return hits / len(rows)


def sklearn_mds(d: np.ndarray) -> np.ndarray:
    from sklearn.manifold import MDS

    mds = MDS(n_components=2, metric="precomputed", init="classical_mds", n_init=1, random_state=0)
    out: np.ndarray = mds.fit_transform(d)
    return out


def section_fits(sizes: list[int], warm: UmapWarmup, seed: int) -> None:
    print("\n1. Fit all models (wall and CPU seconds; trust = trustworthiness k=10;")
    print("   stress = Kruskal stress-1 after best scaling)")
    print(
        f"{'N':>6} {'method':<18} {'wall s':>8} {'cpu s':>7} {'× UMAP':>8} "
        f"{'trust':>7} {'stress':>7}"
    )
    for n in sizes:
        d = l1(*(2 * [latent_points(n, seed)]))
        rows: list[tuple[str, float, float, np.ndarray | None]] = []
        res, t_umap, c_umap = timed_cpu(lambda d=d: project(d, "umap", warmup=warm, seed=seed))
        assert res.method_used == "umap", res.note
        rows.append(("UMAP", t_umap, c_umap, res.coords))
        res, t, c = timed_cpu(lambda d=d: project(d, "mds", seed=seed))
        rows.append(("MDS (SMACOF)", t, c, res.coords))
        if n <= 1000:
            coords, t, c = timed_cpu(lambda d=d: sklearn_mds(d))
            rows.append(("sklearn MDS (base)", t, c, coords))
        else:
            rows.append(("sklearn MDS (base)", 0.0, 0.0, None))
        for name, secs, cpu, coords in rows:
            if coords is None:
                print(f"{n:>6} {name:<18} {'skipped (slow)':>24}")
                continue
            trust = trustworthiness_of(coords, d, n_neighbors=10)
            stress = normalized_stress(coords, d)
            print(
                f"{n:>6} {name:<18} {secs:>8.2f} {cpu:>7.2f} {secs / t_umap:>8.2f} "
                f"{trust:>7.3f} {stress:>7.3f}"
            )


def section_updates(n: int, warm: UmapWarmup, seed: int) -> None:
    k = 10
    pts = latent_points(n + n // 2, seed + 1)
    d_all = l1(pts, pts)
    ids = [f"m{i}" for i in range(n + n // 2)]
    d = d_all[: n + k, : n + k]
    new_rows = np.arange(n, n + k)
    print(f"\n2. Add {k} models to a {n}-model layout: place_new vs full refits (baselines)")
    print("   refit/warm starts from the shown layout, refit/cold from scratch; both Procrustes-")
    print("   aligned. recall@10 = new models' true 10 nearest among their 10 nearest on the map")
    head = (
        f"{'method':<6} {'update':<11} {'ms':>9} {'× place':>8} {'mean move':>10} {'max move':>9}"
    )
    print(f"{head} {'recall@10':>10} {'trust':>6}")
    for method in ("umap", "mds"):
        base = fit_layout(ids[:n], d[:n, :n], method, warmup=warm, seed=seed)
        grown, rep = place_new(base, d[n:, :n], d[n:, n:], ids[n : n + k])
        rows = [("place_new", grown, rep)]
        for label, warm_start in (("refit/warm", True), ("refit/cold", False)):
            full, rep_full = refit(base, d, ids=ids[: n + k], warmup=warm, warm_start=warm_start)
            rows.append((label, full, rep_full))
        for name, layout, report in rows:
            recall = neighbour_recall(layout.coords, d, new_rows, 10)
            trust = trustworthiness_of(layout.coords, d, n_neighbors=10)
            print(
                f"{method:<6} {name:<11} {1000 * report.seconds:>9.1f} "
                f"{report.seconds / rep.seconds:>8.1f} {100 * report.mean_move_frac:>9.2f}% "
                f"{100 * report.max_move_frac:>8.2f}% {recall:>10.2f} {trust:>6.3f}"
            )
    total = n + n // 2
    print(f"\n3. Refit + Procrustes after growth {n} → {total} (+50%, should_refit fires)")
    print(f"{'method':<6} {'start':<6} {'s':>7} {'mean move':>10} {'max move':>9} {'trust':>6}")
    for method in ("umap", "mds"):
        base = fit_layout(ids[:n], d_all[:n, :n], method, warmup=warm, seed=seed)
        for label, warm_start in (("warm", True), ("cold", False)):
            full, rep = refit(base, d_all, ids=ids, warmup=warm, warm_start=warm_start)
            trust = trustworthiness_of(full.coords, d_all, n_neighbors=10)
            print(
                f"{method:<6} {label:<6} {rep.seconds:>7.2f} {100 * rep.mean_move_frac:>9.2f}% "
                f"{100 * rep.max_move_frac:>8.2f}% {trust:>6.3f}"
            )


def section_memory(n: int, warm: UmapWarmup, seed: int) -> None:
    print(f"\n4. Memory for {n} models (target < 200 MB for matrices + layouts)")
    rss_before = rss_mb()
    tracemalloc.start()
    pts = latent_points(n, seed + 2)
    arch = l1(pts, pts)  # stands in for the OTMANN matrix
    rng = np.random.default_rng(seed)
    pred = np.abs(arch / arch.max() + rng.normal(scale=0.02, size=arch.shape))
    pred = 0.5 * (pred + pred.T)
    np.fill_diagonal(pred, 0.0)  # stands in for the prediction-disagreement matrix
    ids = [f"m{i}" for i in range(n)]
    layouts: list[Layout] = []
    peaks: dict[str, float] = {}
    for name, matrix, method in (
        ("arch/umap", arch, "umap"),
        ("arch/mds", arch, "mds"),
        ("pred/umap", pred, "umap"),
        ("pred/mds", pred, "mds"),
    ):
        tracemalloc.reset_peak()
        layouts.append(fit_layout(ids, matrix, method, warmup=warm, seed=seed))
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
    held = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    print(f"  held after fits (2 matrices + 4 layouts): {held:8.1f} MB (tracemalloc)")
    for name, peak in peaks.items():
        print(f"  peak while fitting {name:<10}          {peak:8.1f} MB (tracemalloc, numpy)")
    print(f"  process peak RSS: {rss_mb():.0f} MB (was {rss_before:.0f} MB before this section;")
    print("  RSS includes python, numba/LLVM and the earlier sections)")
    del arch, pred, layouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300/600 models instead of 1k/2k")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [300, 600] if args.quick else [1000, 2000]
    print(f"bench_projection: sizes {sizes}, seed {args.seed}")
    warm = UmapWarmup().start()
    _, t_warm = timed(lambda: warm.wait(600))
    if not warm.ready:
        print(f"UMAP warm-up failed: {warm.error}")
        return 1
    print(f"UMAP warm-up (import + numba compile, background thread): {t_warm:.1f} s")
    section_fits(sizes, warm, args.seed)
    section_updates(sizes[0], warm, args.seed)
    section_memory(sizes[-1], warm, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
