"""Guided search (the suggestion engine) vs random search vs regularized evolution, each with
the same budget of trainings, the same training configuration and the same data split,
through ``remap.service.discovery.explore`` (the real queue and worker processes).

Data sets: the bundled digits, and a harder synthetic set made offline with
``remap.data.make_synthetic_split`` (20 classes of blurred-stroke prototypes, 28×28) and then
made hard on purpose: every image is shifted by up to ±``SHIFT`` pixels (so translation
tolerance — convolutions and pooling — matters), gets extra Gaussian noise and a random
distractor stroke copied from another class's prototype. Each set is split once: a test
part no strategy ever sees, and the rest (training + validation) that the workspace uses.
Selection uses validation accuracy only; the chosen model's accuracy on the test part is
reported beside it. Training: at most ``--epochs`` epochs with early stopping (a cap that
not every model hits), Adam as in the product.

Prints, per data set and strategy (mean ± spread over seeds): best validation accuracy at
budgets 10/20/40/60 (or the quick budgets), the budget needed to reach random search's best
at the full budget, the accuracy–size front's hypervolume, and the chosen model's test
accuracy; writes a PNG of best-so-far curves. ``--quick``: tiny budget, 1 seed, small data.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python_server"))

from remap.data import make_synthetic_split
from remap.data.registry import load_split
from remap.service import Workspace
from remap.service import discovery as disc

STRATEGIES = ("random", "guided", "evolution")
SHIFT = 5


def hard_set(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The harder synthetic set (see the module docstring): (N, 28, 28) in [0, 1], labels."""
    classes = 20
    split = make_synthetic_split(n, classes * 2, (1, 28, 28), classes, seed=seed)
    x, y = split.train_x[:, 0].copy(), split.train_y.copy()
    protos = np.stack([split.train_x[y == k][0, 0] for k in range(classes)])
    rng = np.random.default_rng(seed + 1)
    for i in range(len(x)):
        other = int(rng.integers(classes))
        x[i] = np.maximum(x[i], 0.6 * np.roll(protos[other], tuple(rng.integers(-8, 9, 2)), (0, 1)))
        x[i] = np.roll(x[i], tuple(rng.integers(-SHIFT, SHIFT + 1, 2)), (0, 1))
    x += rng.normal(0.0, 0.25, size=x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0), y


def digits_set() -> tuple[np.ndarray, np.ndarray]:
    split = load_split("digits", holdout=0.2, seed=0)
    x = np.concatenate([split.train_x, split.test_x])[:, 0]
    return x, np.concatenate([split.train_y, split.test_y])


def split_off_test(
    x: np.ndarray, y: np.ndarray, folder: Path, name: str, test_fraction: float = 0.2
) -> tuple[Path, np.ndarray, np.ndarray]:
    """Write the training+validation part as ``name.npz``; return it and the test part."""
    order = np.random.default_rng(123).permutation(len(y))
    cut = int(len(y) * test_fraction)
    test, rest = order[:cut], order[cut:]
    path = folder / f"{name}.npz"
    np.savez(path, x=x[rest], y=y[rest])
    return path, x[test][:, None].astype(np.float32), y[test]


def hypervolume(points: list[tuple[float, int]], max_params: int) -> float:
    """Area dominated by the (accuracy ↑, log-size ↓) front, reference (0, max size):
    size is normalised as log10(params) / log10(max_params)."""
    norm = sorted(
        (
            (acc, 1.0 - min(1.0, math.log10(max(p, 10)) / math.log10(max_params)))
            for acc, p in points
        ),
        key=lambda t: -t[0],
    )
    area, best_small = 0.0, 0.0
    for acc, small in norm:  # by accuracy, descending: add the new slab of smallness
        if small > best_small:
            area += acc * (small - best_small)
            best_small = small
    return area


def run_one(data: Path, strategy: str, seed: int, budget: int, args: argparse.Namespace,
            folder: Path) -> dict[str, Any]:  # fmt: skip
    root = folder / f"{data.stem}-{strategy}-{seed}"
    root.mkdir()
    overrides = {"dataset": str(data), "epochs": args.epochs, "max_params": args.max_params,
                 "seed": seed, "holdout": 0.25, "gc_weights": "off", "threads": 1}  # fmt: skip
    start = time.monotonic()
    with Workspace.open(root, None, overrides) as ws:
        state = disc.explore(
            ws, budget, strategy, seed, workers=1, population=args.population,
            sample_size=args.sample_size,
        )  # fmt: skip
        params = {m.id: m.params or 0 for m in ws.store.list_models()}
        curve, best = [], 0.0
        for _, acc in state.history:
            best = max(best, acc or 0.0)
            curve.append(best)
        chosen = state.best
        test_acc = None
        if chosen is not None:
            from remap.train.weights import load_weights, predict

            run = ws.store.latest_run(chosen[0], ws.split().fingerprint)
            file = ws.store.weights_file(run) if run is not None else None
            if file is not None:
                preds = predict(ws.store.get_model(chosen[0]).spec, load_weights(file), args.test_x)
                test_acc = float((preds == args.test_y).mean())
        points = [(a, params[m]) for m, a in state.history if a is not None]
        hv = {b: hypervolume(points[:b], args.max_params) for b in args.budgets}
    return {"curve": curve, "test": test_acc, "hv": hv, "seconds": time.monotonic() - start}


def fmt(values: list[float], pct: bool = True) -> str:
    if not values:
        return "—"
    scale = 100 if pct else 1
    mean = statistics.fmean(values) * scale
    spread = (max(values) - min(values)) * scale / 2
    return f"{mean:.1f}±{spread:.1f}" if pct else f"{mean:.2f}±{spread:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--max-params", type=int, default=200_000)
    parser.add_argument("--hard-n", type=int, default=6000)
    parser.add_argument("--png", default="bench/discovery.png")
    parser.add_argument("--population", type=int, default=10, help="evolution's population")
    parser.add_argument("--sample-size", type=int, default=3, help="evolution's tournament")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.budget, args.epochs, args.max_params, args.hard_n = 1, 8, 2, 30_000, 1500
        args.population, args.sample_size = 4, 2  # else evolution only fills its population
    budgets = [b for b in (10, 20, 40, 60) if b <= args.budget] or [args.budget]
    if args.quick:
        budgets = [2, 4, args.budget]
    args.budgets = budgets
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sets = {"digits": digits_set(), "hard": hard_set(args.hard_n)}
        for name, (x, y) in sets.items():
            data, args.test_x, args.test_y = split_off_test(x, y, folder, name)
            results[name] = {}
            for strategy in STRATEGIES:
                runs = []
                for seed in range(args.seeds):
                    r = run_one(data, strategy, seed, args.budget, args, folder)
                    print(f"{name} {strategy} seed {seed}: best {r['curve'][-1]:.3f} "
                          f"test {r['test']} in {r['seconds']:.0f}s", flush=True)  # fmt: skip
                    runs.append(r)
                results[name][strategy] = runs
    report(results, args)


def report(results: dict[str, dict[str, list[dict[str, Any]]]], args: argparse.Namespace) -> None:
    b = args.budgets
    print(f"\nbudget {args.budget} trainings, {args.seeds} seed(s), ≤ {args.epochs} epochs, "
          f"≤ {args.max_params:,} params{' (QUICK)' if args.quick else ''}")  # fmt: skip
    head = " | ".join([f"best@{x}" for x in b] + ["budget to random's best", f"HV@{b[0]}",
                      f"HV@{b[-1]}", "test acc (chosen)"])  # fmt: skip
    print(f"| set | strategy | {head} |")
    print("|" + " --- |" * (len(b) + 6))
    for name, by_strategy in results.items():
        target = [r["curve"][-1] for r in by_strategy["random"]]
        for strategy, runs in by_strategy.items():
            cells = [fmt([r["curve"][x - 1] for r in runs]) for x in b]
            needed = []
            for r, goal in zip(runs, target, strict=True):
                hit = next((i + 1 for i, v in enumerate(r["curve"]) if v >= goal), None)
                needed.append(hit)
            reached = [n for n in needed if n is not None]
            cells.append(
                f"{statistics.fmean(reached):.1f} ({len(reached)}/{len(needed)} reached)"
                if reached else f"not reached (0/{len(needed)})"
            )  # fmt: skip
            cells += [
                fmt([r["hv"][b[0]] for r in runs], False),
                fmt([r["hv"][b[-1]] for r in runs], False),
            ]
            cells.append(fmt([r["test"] for r in runs if r["test"] is not None]))
            print(f"| {name} | {strategy} | " + " | ".join(cells) + " |")
    plot(results, args)


def plot(results: dict[str, dict[str, list[dict[str, Any]]]], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, (name, by_strategy) in zip(axes[0], results.items(), strict=True):
        for strategy, runs in by_strategy.items():
            curves = np.array([r["curve"] for r in runs])
            xs = np.arange(1, curves.shape[1] + 1)
            ax.plot(xs, curves.mean(0), label=strategy)
            ax.fill_between(xs, curves.min(0), curves.max(0), alpha=0.15)
        ax.set_title(f"{name}{' (quick)' if args.quick else ''}")
        ax.set_xlabel("trainings")
        ax.set_ylabel("best validation accuracy so far")
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
