"""Benchmark: children that start from their parent's weights (``inherit_weights``) against
the same children from a fresh initialisation, on the demo's data (bundled digits) and
demo-sized models (sampled, ≤ 200k parameters), with the same seeds.

    .venv/bin/python bench/bench_inherit.py            # 4 parents, 24 children
    .venv/bin/python bench/bench_inherit.py --quick    # 3 parents, 20 children, shorter runs

Each parent is trained as the demo trains it (≤ 10 epochs, early stopping); its children
(every ablation, then variations of up to 3 changes) are trained for the parent's epoch
count without early stopping, as REMAP trains children — once from the inherited weights
(every layer whose type, hyper-parameters and input/output shapes did not change) and once
fresh, alternating which goes first. Reported per mode: how many children reach the parent's
accuracy − 1 pp, the epochs and seconds they take to get there (median over those that
reach it), accuracy after the first epoch and at the end (mean).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

import torch

from remap.arch.ablation import ablate
from remap.arch.sampling import sample_architectures
from remap.arch.spec import ArchSpec
from remap.arch.variation import vary
from remap.data.registry import load_split
from remap.jobs.onejob import inherited_tensors
from remap.train import TrainConfig, train_model
from remap.train.metrics import TrainResult


@dataclass
class Outcome:
    epochs_to_target: int | None
    seconds_to_target: float | None
    first_acc: float
    final_acc: float
    seconds: float


def outcome(result: TrainResult, target: float) -> Outcome:
    elapsed = 0.0
    reached: tuple[int, float] | None = None
    for m in result.epochs:
        elapsed += m.seconds
        if reached is None and m.val_acc >= target:
            reached = (m.epoch, elapsed)
    return Outcome(
        reached[0] if reached else None,
        reached[1] if reached else None,
        result.epochs[0].val_acc,
        result.val_acc,
        elapsed,
    )


def children_of(parent: ArchSpec, count: int, seed: int) -> list[ArchSpec]:
    specs = [c.spec for c in ablate(parent, max_params=200_000) if c.spec is not None]
    if len(specs) < count:
        drawn = vary(parent, count - len(specs), 3, seed=seed, max_params=200_000)
        specs += [c.spec for c in drawn if c.spec is not None]
    return specs[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parents", type=int)
    parser.add_argument("--children", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="parents' epoch cap (default 10, quick 6)")
    args = parser.parse_args()
    n_parents = args.parents or (3 if args.quick else 4)
    n_children = args.children or (20 if args.quick else 24)
    max_epochs = args.epochs or (6 if args.quick else 10)
    torch.set_num_threads(args.threads)
    print(f"load average {os.getloadavg()[0]:.1f}; torch threads {args.threads}", flush=True)
    bench_start = time.perf_counter()
    split = load_split("digits", 0.2, 0)
    parents = sample_architectures(
        n_parents, split.input_shape, split.num_classes, seed=0, max_params=200_000
    )
    per_parent = -(-n_children // n_parents)
    results: dict[str, list[Outcome]] = {"inherit": [], "fresh": []}
    inherited_counts: list[int] = []
    order = 0
    for p_index, parent in enumerate(parents):
        config = TrainConfig(epochs=max_epochs, device="cpu", seed=0)
        trained = train_model(parent, split, config)
        assert trained.weights is not None
        target = trained.val_acc - 0.01
        epochs = len(trained.epochs)
        print(
            f"parent {p_index}: {parent.describe()[:70]} acc {trained.val_acc:.3f} ({epochs} ep, "
            f"{sum(m.seconds for m in trained.epochs):.1f} s)",
            flush=True,
        )
        child_config = TrainConfig(epochs=epochs, early_stopping=False, device="cpu", seed=0)
        for child in children_of(parent, per_parent, seed=p_index):
            if sum(len(v) for v in results.values()) >= 2 * n_children:
                break
            init, layers = inherited_tensors(parent, child, trained.weights)
            inherited_counts.append(len(layers))
            runs: dict[str, Outcome] = {}
            modes = ["inherit", "fresh"] if order % 2 == 0 else ["fresh", "inherit"]
            order += 1
            for mode in modes:
                start = time.perf_counter()
                result = train_model(
                    child, split, child_config, init_weights=init if mode == "inherit" else None
                )
                runs[mode] = outcome(result, target)
                runs[mode].seconds = time.perf_counter() - start
            for mode, o in runs.items():
                results[mode].append(o)
            i, f = runs["inherit"], runs["fresh"]
            print(
                f"  child {len(results['inherit'])} ({len(layers)} inherited layers): epochs to "
                f"target {i.epochs_to_target}/{f.epochs_to_target}, seconds to target "
                f"{secs(i.seconds_to_target)}/{secs(f.seconds_to_target)}, epoch-1 acc "
                f"{i.first_acc:.3f}/{f.first_acc:.3f}, final {i.final_acc:.3f}/{f.final_acc:.3f}, "
                f"run {i.seconds:.1f}/{f.seconds:.1f} s (inherit/fresh); load "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
    print(f"\n{len(results['inherit'])} children, {n_parents} parents; "
          f"children with ≥1 inherited layer: {sum(1 for c in inherited_counts if c)}; "
          f"{time.perf_counter() - bench_start:.0f} s; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    summarise("all children", results)
    some = [k for k, c in enumerate(inherited_counts) if c]
    summarise(
        "children that inherit ≥ 1 layer", {m: [o[k] for k in some] for m, o in results.items()}
    )


def ep(o: Outcome) -> int:
    return o.epochs_to_target or 0


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def summarise(title: str, results: dict[str, list[Outcome]]) -> None:
    print(f"{title}:")
    if not results["inherit"]:
        return
    for mode, outs in results.items():
        reached = [o for o in outs if o.epochs_to_target is not None]
        med_epochs = (
            statistics.median(o.epochs_to_target or 0 for o in reached) if reached else None
        )
        med_secs = (
            statistics.median(o.seconds_to_target or 0.0 for o in reached) if reached else None
        )
        print(
            f"{mode:>7}: reach parent−1pp {len(reached)}/{len(outs)}; median epochs "
            f"{med_epochs}, median seconds {secs(med_secs)}; "
            f"mean acc after epoch 1 {statistics.mean(o.first_acc for o in outs):.3f}, "
            f"final {statistics.mean(o.final_acc for o in outs):.3f}",
            flush=True,
        )
    both = [
        (i, f)
        for i, f in zip(results["inherit"], results["fresh"], strict=True)
        if i.seconds_to_target is not None and f.seconds_to_target is not None
    ]
    if both:
        print(
            f"  children that reach it both ways ({len(both)}): median seconds "
            f"{statistics.median(i.seconds_to_target or 0.0 for i, _ in both):.1f} vs "
            f"{statistics.median(f.seconds_to_target or 0.0 for _, f in both):.1f}, median epochs "
            f"{statistics.median(i.epochs_to_target or 0 for i, _ in both)} vs "
            f"{statistics.median(f.epochs_to_target or 0 for _, f in both)}; better/worse "
            f"(epochs) {sum(1 for i, f in both if ep(i) < ep(f))}/"
            f"{sum(1 for i, f in both if ep(i) > ep(f))}",
            flush=True,
        )


if __name__ == "__main__":
    main()
