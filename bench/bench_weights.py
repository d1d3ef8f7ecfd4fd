"""Benchmark: what keeping trained weights costs, on the demo's data (bundled digits) and
demo-sized models (sampled, ≤ 200k parameters).

    .venv/bin/python bench/bench_weights.py storage [--models 1000]
    .venv/bin/python bench/bench_weights.py overhead [--models 8] [--quick]

``storage`` writes the weights files of N sampled demo-sized models (freshly initialised
state dicts: a file's size does not depend on the values) exactly as workers write them, and
reports the bytes on disk (file sizes and allocated blocks) and the time per file.

``overhead`` trains each model twice, side by side with the same seed, alternating which
goes first: plain ``train_model`` against the worker's path with everything weights add
(a checkpoint written atomically after every epoch, the weights file written atomically,
the model rebuilt from that file and re-scored on the held-out split), after an uncounted
warm-up run. Times are the process's CPU seconds (with ``--threads 1`` the least disturbed
by other load on a shared machine). Reports the totals and the ratio (target ≤ 1.05).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from remap.arch.sampling import sample_architectures
from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.data.registry import load_split
from remap.train import TrainConfig, train_model
from remap.train.modules import build_module
from remap.train.weights import export_state, load_weights, predict, save_checkpoint, save_weights


def storage(n: int) -> None:
    split = load_split("digits", 0.2, 0)
    specs = sample_architectures(
        n, split.input_shape, split.num_classes, seed=0, max_params=200_000
    )
    with tempfile.TemporaryDirectory(prefix="remap-bench-") as tmp:
        sizes, blocks, seconds = [], 0, 0.0
        for i, spec in enumerate(specs):
            torch.manual_seed(i)
            state = export_state(build_module(spec), spec)
            start = time.perf_counter()
            path = Path(tmp) / f"run-{i}.safetensors"
            sizes.append(save_weights(path, state, {"format": "pt"}))
            seconds += time.perf_counter() - start
            blocks += os.stat(path).st_blocks * 512
    total = sum(sizes)
    print(f"{n} demo-sized models (≤ 200k parameters, digits 1×28×28, 10 classes)")
    print(f"  weights files: {total / 1e6:.1f} MB ({blocks / 1e6:.1f} MB allocated on disk)")
    print(
        f"  per model: mean {statistics.mean(sizes) / 1e3:.0f} KB, median "
        f"{statistics.median(sizes) / 1e3:.0f} KB, max {max(sizes) / 1e3:.0f} KB; "
        f"{1000 * seconds / n:.1f} ms to write each (atomic, fsynced)"
    )


def _plain(spec: ArchSpec, split: Split, config: TrainConfig, folder: Path) -> float:
    start = time.process_time()
    train_model(spec, split, config)
    return time.process_time() - start


def _kept(spec: ArchSpec, split: Split, config: TrainConfig, folder: Path) -> float:
    """What a worker adds: checkpoints, the weights file, the re-evaluation from the file."""
    start = time.process_time()
    ckpt = folder / "job.ckpt"
    result = train_model(spec, split, config, on_checkpoint=lambda s: save_checkpoint(ckpt, s))
    assert result.weights is not None
    file = folder / "run.safetensors"
    save_weights(file, result.weights, {"format": "pt"})
    predict(spec, load_weights(file), split.test_x)
    ckpt.unlink(missing_ok=True)
    return time.process_time() - start


def overhead(n: int, epochs: int) -> None:
    split = load_split("digits", 0.2, 0)
    specs = sample_architectures(
        n, split.input_shape, split.num_classes, seed=1, max_params=200_000
    )
    config = TrainConfig(epochs=epochs, early_stopping=False, device="cpu", seed=0)
    plain_total = kept_total = 0.0
    with tempfile.TemporaryDirectory(prefix="remap-bench-") as tmp:
        folder = Path(tmp)
        _kept(specs[0], split, config.replace(epochs=1), folder)  # warm-up, not counted
        for i, spec in enumerate(specs):
            order = [_plain, _kept] if i % 2 == 0 else [_kept, _plain]
            times = {fn.__name__.strip("_"): fn(spec, split, config, folder) for fn in order}
            plain_total += times["plain"]
            kept_total += times["kept"]
            print(
                f"  model {i} ({spec.describe()[:50]}): plain {times['plain']:.2f} s, "
                f"with weights {times['kept']:.2f} s (CPU)"
            )
    print(
        f"{n} models × {epochs} epochs: plain {plain_total:.1f} s, with weights and "
        f"checkpoints {kept_total:.1f} s: ratio {kept_total / plain_total:.3f} (target ≤ 1.05)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("storage", "overhead"))
    parser.add_argument("--models", type=int)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int, help="overhead: epochs per model (default 10)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average {os.getloadavg()[0]:.1f}; torch threads {args.threads}")
    if args.mode == "storage":
        storage(args.models or (200 if args.quick else 1000))
    else:
        overhead(args.models or (4 if args.quick else 8), args.epochs or (4 if args.quick else 10))


if __name__ == "__main__":
    main()
