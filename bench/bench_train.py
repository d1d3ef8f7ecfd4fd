"""Benchmark: REMAP's trainer (``remap.train.train_model``) against a baseline written the way
the original REMAP trained (a DataLoader over a TensorDataset with shuffle, per-batch
``.to(device)``, ``.item()`` per batch for running loss/accuracy, evaluation through a
DataLoader), side by side on the same sampled architectures and the same synthetic data,
with the same fixed number of epochs (early stopping off, so both do equal work).

    .venv/bin/python bench/bench_train.py            # 20k train / 4k held-out, 8 models
    .venv/bin/python bench/bench_train.py --quick    # a smaller run
    .venv/bin/python bench/bench_train.py --quick --threads 1 --repeats 2

On a shared machine other processes distort wall-clock times (two-thread OpenMP teams
suffer most when the cores are oversubscribed): the header prints the load average, the
summary adds CPU time, and ``--repeats`` keeps each side's fastest run per model.

Each model is trained by both, alternating which goes first, so load from other processes
hits both alike. Prints per-model times, models/hour for both, the ratio and mean accuracy.

Where the baseline loses time on the CPU (torch.profiler, 2-core Xeon): its DataLoader
(per-sample indexing and collation) costs ~0.1-0.2 s per 20k-sample epoch and ``.item()``
syncs are nearly free on a CPU, so the loop overheads matter mostly for small models. The
bulk is compute layout: NCHW max pooling is ~9× slower than NHWC, NCHW convolutions pay
oneDNN reorders, and ``nn.Dropout`` draws one Mersenne-Twister number per element
(~40 ns/element). The trainer stages data once, slices a seeded permutation, syncs once per
epoch, evaluates in large batches under inference_mode, and on the CPU trains a
channels_last copy of the model with a cheaper dropout mask and foreach Adam
(``remap/train/speed.py``) — the same layers, initial weights and work per batch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from remap.arch.sampling import sample_architectures
from remap.arch.shapes import param_count
from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.data.synthetic import make_synthetic_split
from remap.train import TrainConfig, choose_device, describe_device, train_model
from remap.train.modules import build_module


def baseline_train(
    spec: ArchSpec, split: Split, epochs: int, device: torch.device, seed: int
) -> float:
    """The original-style loop; returns the final held-out accuracy."""
    torch.manual_seed(seed)
    model = build_module(spec).to(device)
    train = TensorDataset(torch.from_numpy(split.train_x), torch.from_numpy(split.train_y))
    test = TensorDataset(torch.from_numpy(split.test_x), torch.from_numpy(split.test_y))
    loader = DataLoader(train, batch_size=256, shuffle=True)
    test_loader = DataLoader(test, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.75)
    val_acc = 0.0
    for _epoch in range(epochs):
        model.train()
        running_loss, correct, seen = 0.0, 0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * yb.size(0)
            correct += (out.argmax(1) == yb).sum().item()
            seen += yb.size(0)
        scheduler.step()
        model.eval()
        val_loss, val_correct, val_seen = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in test_loader:
                xb, yb = xb.to(device), yb.to(device)
                out = model(xb)
                val_loss += F.cross_entropy(out, yb).item() * yb.size(0)
                val_correct += (out.argmax(1) == yb).sum().item()
                val_seen += yb.size(0)
        val_acc = val_correct / val_seen
    return val_acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer models")
    parser.add_argument("--models", type=int, help="number of sampled architectures")
    parser.add_argument("--train", type=int, help="training samples")
    parser.add_argument("--test", type=int, help="held-out samples")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-params", type=int, default=250_000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="runs per model, fastest kept")
    args = parser.parse_args()
    n_models = args.models or (4 if args.quick else 8)
    n_train = args.train or (5_000 if args.quick else 20_000)
    n_test = args.test or (1_000 if args.quick else 4_000)
    if args.threads:
        torch.set_num_threads(args.threads)

    device = choose_device(args.device)
    split = make_synthetic_split(n_train, n_test, (1, 28, 28), 10, seed=args.seed)
    specs = sample_architectures(n_models, (1, 28, 28), 10, args.seed, max_params=args.max_params)
    config = TrainConfig(
        epochs=args.epochs, early_stopping=False, seed=args.seed, device=args.device
    )
    print(
        f"device {describe_device(device)}; {n_models} models ≤ {args.max_params:,} params; "
        f"{n_train} train / {n_test} held-out 1×28×28, 10 classes; {args.epochs} epochs each; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    # Warm-up (lazy backend initialisation) so neither side pays it in the timings.
    warm = make_synthetic_split(512, 256, (1, 28, 28), 10, seed=1)
    train_model(specs[0], warm, config.replace(epochs=1))
    baseline_train(specs[0], warm, 1, device, args.seed)

    # Per model and side: the fastest of `repeats` runs (wall clock) and its CPU time; the
    # sides alternate so that load from other processes hits both alike.
    rows: list[tuple[ArchSpec, dict[str, tuple[float, float, float]]]] = []
    print(
        f"{'#':>2} {'params':>9} {'baseline s':>10} {'remap s':>8} {'ratio':>6}  "
        f"{'base acc':>8} {'remap acc':>9}  architecture"
    )
    for i, spec in enumerate(specs):
        runs: dict[str, tuple[float, float, float]] = {}
        for r in range(args.repeats):
            order = ("base", "ours") if (i + r) % 2 == 0 else ("ours", "base")
            for who in order:
                wall, cpu = time.perf_counter(), time.process_time()
                if who == "ours":
                    acc = train_model(spec, split, config).val_acc
                else:
                    acc = baseline_train(spec, split, args.epochs, device, args.seed)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if who not in runs or wall < runs[who][0]:
                    runs[who] = (wall, cpu, acc)
        rows.append((spec, runs))
        b, o = runs["base"], runs["ours"]
        print(
            f"{i:>2} {param_count(spec):>9,} {b[0]:>10.2f} {o[0]:>8.2f} {b[0] / o[0]:>6.2f}  "
            f"{b[2]:>8.3f} {o[2]:>9.3f}  {spec.describe()}",
            flush=True,
        )

    print(f"\n{'':<10} {'models/hour':>12} {'wall s':>8} {'CPU s':>8} {'mean acc':>9}")
    rates = {}
    for who, label in (("base", "baseline"), ("ours", "remap")):
        wall = sum(runs[who][0] for _, runs in rows)
        cpu = sum(runs[who][1] for _, runs in rows)
        acc = statistics.mean(runs[who][2] for _, runs in rows)
        rates[who] = 3600 * n_models / wall
        print(f"{label:<10} {rates[who]:>12.1f} {wall:>8.1f} {cpu:>8.1f} {acc:>9.3f}")
    print(f"speed-up (remap / baseline models per hour): {rates['ours'] / rates['base']:.2f}×")


if __name__ == "__main__":
    main()
