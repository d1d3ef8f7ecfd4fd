"""Guided search (the suggestion engine) vs random search vs regularized evolution, each with
the same budget of trainings, the same training configuration and the same data split,
through ``remap.service.discovery.explore`` (the real queue and worker processes).

Data sets: the harder synthetic set first, then the bundled digits (``--sets``). The hard
set is made offline from the product's own source, ``remap.data.make_synthetic_split``:
10 classes of blurred-stroke prototypes on a small 16×16 canvas (cheap to train), and then
every image is rolled (with wrap-around) by up to ±4 pixels in each direction — a quarter of
the side, so translation tolerance (convolutions with pooling) decides, which few sampled
architectures have — plus Gaussian noise σ 0.15, clipped to [0, 1]; 3,000 images. Calibration
(24 random models of the sampler, 8 epochs, 5,000 images): accuracies 10–42 %, one model
well above the rest, so the expected best of k random models keeps climbing from k = 20 to
k = 60 (38.1 → 41.0 %) — in expectation: one seed's random search may still stop climbing
before 20 (seed 1 did; README). The digits' best is found within a few samples. (An earlier version
with a distractor stroke and noise 0.25–0.3 was too hard to learn in a few epochs: everything
at 10–28 %, best-of-k flat after 20.) Each set is split once: a test part (20 %) no strategy
ever sees, and the rest that the workspace splits into training and validation (25 %).
Selection uses validation accuracy only; the chosen model's accuracy on the test part is
reported beside it.

Training, the same for every strategy: at most ``--epochs`` (6) epochs with the product's
early stopping (patience 3, so few models stop before the cap), Adam as in the product,
models ≤ ``--max-params`` (50k), one torch thread per training, one worker. Children made by
guided search and evolution start from their parent's weights (the product's default
``inherit_weights``), as they would for a user.

Prints, per data set and strategy (mean ± half-range over seeds): best validation accuracy at
budgets 10/20/40/60 (or the quick budgets), the budget needed to reach random search's best
at the full budget (same seed), the accuracy–size front's hypervolume at 10, 20 and 60, and
the chosen model's test accuracy; writes a PNG of best-so-far curves. Every finished
(set, strategy, seed) is appended as one JSON line to ``--out`` as it ends, so a run cut
short still gives figures, and runs split over processes (``--seed-list``) are merged with
``--report FILE...``. ``--quick``: tiny budget, 1 seed, small data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
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
HARD_SIZE = 16
HARD_CLASSES = 10
SHIFT = 4
HARD_NOISE = 0.15


def hard_set(
    n: int, size: int = HARD_SIZE, shift: int = SHIFT, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The harder synthetic set (see the module docstring): (N, size, size) in [0, 1], labels."""
    split = make_synthetic_split(n, HARD_CLASSES, (1, size, size), HARD_CLASSES, seed=seed)
    x, y = split.train_x[:, 0].copy(), split.train_y.copy()
    rng = np.random.default_rng(seed + 1)
    shifts = rng.integers(-shift, shift + 1, size=(len(x), 2))
    for i, (dy, dx) in enumerate(shifts):
        x[i] = np.roll(x[i], (int(dy), int(dx)), (0, 1))
    x += rng.normal(0.0, HARD_NOISE, size=x.shape).astype(np.float32)
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
                 "seed": seed, "holdout": 0.25, "gc_weights": "off", "threads": 1,
                 "inherit_weights": not args.no_inherit}  # fmt: skip
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
    parser.add_argument("--seed-list", help="only these seeds, e.g. 0,2,4 (to split a run)")
    parser.add_argument("--sets", default="hard,digits", help="data sets, comma-separated")
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--max-params", type=int, default=50_000)
    parser.add_argument("--hard-n", type=int, default=3000)
    parser.add_argument("--png", default="bench/discovery.png")
    parser.add_argument("--out", default="bench/results/discovery.jsonl",
                        help="one JSON line per (set, strategy, seed), appended")  # fmt: skip
    parser.add_argument("--report", nargs="+", metavar="JSONL",
                        help="only print the table and write the PNG from these files")  # fmt: skip
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--no-inherit", action="store_true",
                        help="children start fresh; results named SET-noinherit")  # fmt: skip
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
    if args.report:
        lines = [json.loads(t) for f in args.report for t in Path(f).read_text().splitlines() if t]
        report(collect(lines), args)
        return
    seeds = [int(v) for v in args.seed_list.split(",")] if args.seed_list else range(args.seeds)
    lines = []
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    print(f"torch threads 1 per training; load {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        makers = {"digits": digits_set, "hard": lambda: hard_set(args.hard_n)}
        for name in args.sets.split(","):
            x, y = makers[name]()
            data, args.test_x, args.test_y = split_off_test(x, y, folder, name)
            for seed in seeds:  # seeds outermost: a run cut short still has whole seeds
                for strategy in args.strategies.split(","):
                    r = run_one(data, strategy, seed, args.budget, args, folder)
                    label = f"{name}-noinherit" if args.no_inherit else name
                    r.update(set=label, strategy=strategy, seed=seed, load=os.getloadavg()[0])
                    print(f"{label} {strategy} seed {seed}: best {r['curve'][-1]:.3f} "
                          f"test {r['test']} in {r['seconds']:.0f}s, load {r['load']:.1f}",
                          flush=True)  # fmt: skip
                    with open(args.out, "a") as out:
                        out.write(json.dumps(r) + "\n")
                    lines.append(r)
    report(collect(lines), args)


def collect(lines: list[dict[str, Any]]) -> dict[str, dict[str, dict[int, dict[str, Any]]]]:
    """set → strategy → seed → run (JSON turns the budgets of ``hv`` into strings)."""
    results: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    for r in lines:
        r["hv"] = {int(k): v for k, v in r["hv"].items()}
        results.setdefault(r["set"], {}).setdefault(r["strategy"], {})[int(r["seed"])] = r
    return results


def report(
    results: dict[str, dict[str, dict[int, dict[str, Any]]]], args: argparse.Namespace
) -> None:
    b = args.budgets
    print(f"\nbudget {args.budget} trainings, ≤ {args.epochs} epochs, "
          f"≤ {args.max_params:,} params{' (QUICK)' if args.quick else ''}")  # fmt: skip
    head = " | ".join([f"best@{x}" for x in b] + ["budget to random's best@" + str(b[-1]),
                      f"HV@{b[0]}", f"HV@{min(20, b[-1])}", f"HV@{b[-1]}",
                      "test acc (chosen)"])  # fmt: skip
    print(f"| set | strategy | seeds | {head} |")
    print("|" + " --- |" * (len(b) + 8))
    mid = min(20, b[-1])
    for name, by_strategy in results.items():
        randoms = by_strategy.get("random") or results.get(name.split("-")[0], {}).get("random", {})
        target = {seed: r["curve"][-1] for seed, r in randoms.items()}
        for strategy in STRATEGIES:
            runs = list(by_strategy.get(strategy, {}).values())
            if not runs:
                continue
            cells = [str(len(runs))] + [fmt([r["curve"][x - 1] for r in runs]) for x in b]
            needed = []
            for r in runs:
                goal = target.get(r["seed"])
                if goal is not None:
                    hit = next((i + 1 for i, v in enumerate(r["curve"]) if v >= goal), None)
                    needed.append(hit)
            reached = [n for n in needed if n is not None]
            cells.append(
                f"{statistics.fmean(reached):.1f} (range {min(reached)}–{max(reached)}; "
                f"{len(reached)}/{len(needed)} reach it)"
                if reached else f"not reached (0/{len(needed)})"
            )  # fmt: skip
            cells += [fmt([r["hv"][x] for r in runs], False) for x in (b[0], mid, b[-1])]
            cells.append(fmt([r["test"] for r in runs if r["test"] is not None]))
            print(f"| {name} | {strategy} | " + " | ".join(cells) + " |")
    plot(results, args)


def plot(
    results: dict[str, dict[str, dict[int, dict[str, Any]]]], args: argparse.Namespace
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, (name, by_strategy) in zip(axes[0], results.items(), strict=True):
        for strategy, by_seed in by_strategy.items():
            curves = np.array([r["curve"] for r in by_seed.values()])
            xs = np.arange(1, curves.shape[1] + 1)
            colour = {"random": "C0", "guided": "C1", "evolution": "C2"}.get(strategy)
            ax.plot(xs, curves.mean(0), label=strategy, color=colour)
            ax.fill_between(xs, curves.min(0), curves.max(0), alpha=0.15, color=colour)
        ax.set_title(f"{name}{' (quick)' if args.quick else ''}")
        ax.set_xlabel("trainings")
        ax.set_ylabel("best validation accuracy so far")
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
