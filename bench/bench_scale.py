"""Benchmark: training throughput as the hardware grows, through the real executors.

Part 1 — scaling (default): the same queue of demo-sized models (sampled for digits, at most
200k parameters) trained through local 1 worker, local 2 workers and Ray with a local
2-CPU instance, each from a fresh workspace with the same sampled models (same seed), one
torch thread per worker or task. Prints models/min (wall time from start to an empty queue,
start-up included, and steady state between the first and the last finished model) and the
efficiency against ideal linear scaling of local 1 worker.

Part 2 — base-set projection: the original 100-model base-set protocol (100 sampled models,
at most 10 epochs, early stopping) on a Quick, Draw!-shaped synthetic set (160,000 ×
1×28×28, 10 classes; 128,000 train / 32,000 held-out). A few of the 100 models (spread over
the FLOP range) are timed for one epoch on a slice of the training set; seconds per sample
are fitted against FLOPs per sample (least squares, a + b·flops) and summed over all 100
models × 10 epochs (early stopping only shortens it: an upper bound). The projection per
hardware divides that by the parallel workers times the efficiency measured in part 1.

GPU modes (run by ``bench/gpu_check.sh``; ``--tiny`` shrinks everything for a CPU check):
``--gpu-sweep OUT`` models/min at workers_per_gpu 1, 2, 4, 8 × bf16 on/off; ``--base-set
OUT`` the 100-model protocol for real; ``--compile-probe OUT`` eager vs torch.compile / CUDA
graphs and batch 256 vs 1024 on one model. Each writes JSON into OUT.

    .venv/bin/python bench/bench_scale.py              # 24 models × 2 epochs, 4 timed models
    .venv/bin/python bench/bench_scale.py --quick      # 24 models × 1 epoch, 2 timed models
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from remap.arch.sampling import sample_architectures
from remap.arch.shapes import analyse
from remap.arch.spec import ArchSpec
from remap.data.synthetic import make_synthetic_split
from remap.jobs.executors import ExecutorPlan
from remap.service import Workspace, experiments, queue

QUICKDRAW_TRAIN, QUICKDRAW_TEST = 128_000, 32_000  # 160,000 images, holdout 0.2
BASE_SET_MODELS = 100
DEMO_MAX_PARAMS = 200_000


# -- shared --------------------------------------------------------------------------------
def load_average() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def write_quickdraw_like(folder: Path, n_train: int, n_test: int) -> Path:
    """The Quick, Draw!-shaped synthetic set as an .npz (x: N×28×28 float32, y: labels)."""
    split = make_synthetic_split(n_train, n_test, input_shape=(1, 28, 28), num_classes=10)
    path = folder / f"quickdraw_synthetic_{n_train + n_test}.npz"
    np.savez(
        path,
        x=np.concatenate([split.train_x, split.test_x])[:, 0],
        y=np.concatenate([split.train_y, split.test_y]),
    )
    return path


def fresh_workspace(root: Path, settings: dict[str, Any], models: int, seed: int) -> Path:
    """A new workspace under ``root`` with ``models`` sampled models queued."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    with Workspace.open(root, None, settings) as ws:
        experiments.sample(ws, models, seed, None, True)
    return root


def run_queue(root: Path, plan: ExecutorPlan, timeout: float | None = None) -> dict[str, Any]:
    """Run the queue through ``plan``; wall time, models/min and the per-job timeline."""
    with Workspace.open(root, None, {}) as ws:
        started = time.time()
        summary = queue.run_until_idle(ws, plan=plan, timeout=timeout)
        wall = time.time() - started
        jobs = [j for j in ws.store.list_jobs({"done"}) if j.finished_at is not None]
        finishes = sorted(float(j.finished_at or 0) for j in jobs)
        runs = [ws.store.latest_run(j.model_id) for j in jobs]
        accs = [r.val_acc for r in runs if r is not None and r.val_acc is not None]
        epochs = [len(r.epochs) for r in runs if r is not None]
    done = len(finishes)
    steady = (
        (done - 1) / (finishes[-1] - finishes[0]) * 60
        if done > 1 and finishes[-1] > finishes[0]
        else float("nan")
    )
    return {
        "executor": plan.kind,
        "workers": plan.workers,
        "done": done,
        "failed": summary.failed,
        "wall_s": wall,
        "first_done_s": (finishes[0] - started) if finishes else float("nan"),
        "models_per_min": done / wall * 60 if wall > 0 else float("nan"),
        "steady_models_per_min": steady,
        "mean_val_acc": statistics.fmean(accs) if accs else float("nan"),
        "mean_epochs": statistics.fmean(epochs) if epochs else float("nan"),
    }


# -- part 1: local 1, local 2, Ray 2 -------------------------------------------------------
def scaling(models: int, epochs: int, work: Path, seed: int) -> list[dict[str, Any]]:
    settings = {"dataset": "digits", "epochs": epochs, "max_params": DEMO_MAX_PARAMS}
    settings["threads"] = 1
    plans = [
        ("local, 1 worker", ExecutorPlan("local", 1, device="cpu", threads=1)),
        ("local, 2 workers", ExecutorPlan("local", 2, device="cpu", threads=1)),
        ("Ray local, 2 CPUs", ExecutorPlan("ray", 2, device="cpu", threads=1, cpus=2)),
    ]
    rows = []
    for name, plan in plans:
        root = fresh_workspace(
            work / name.split(",")[0] / str(plan.workers), settings, models, seed
        )
        print(f"  {name}: training {models} models …", flush=True)
        row = run_queue(root, plan)
        row["name"] = name
        rows.append(row)
    base = rows[0]["models_per_min"]
    base_steady = rows[0]["steady_models_per_min"]
    for row in rows:
        n = row["workers"]
        row["efficiency"] = row["models_per_min"] / (base * n)
        row["steady_efficiency"] = row["steady_models_per_min"] / (base_steady * n)
    return rows


# -- part 2: the base-set projection -------------------------------------------------------
def flops_per_sample(spec: ArchSpec) -> int:
    return sum(info.flops for info in analyse(spec).layers)


def base_set_specs(seed: int, max_params: int) -> list[ArchSpec]:
    return sample_architectures(BASE_SET_MODELS, (1, 28, 28), 10, seed, max_params)


def time_one_epoch(spec: ArchSpec, n_sub: int) -> float:
    """Seconds per training sample for one epoch (plus its evaluation) on ``n_sub`` samples
    (one thread, early stopping off)."""
    from remap.train import TrainConfig, train_model

    split = make_synthetic_split(n_sub, max(n_sub // 4, 1), (1, 28, 28), 10)
    config = TrainConfig(epochs=1, early_stopping=False, device="cpu", threads=1)
    result = train_model(spec, split, config)
    return result.epochs[0].seconds / n_sub


def projection(
    timed: int, n_sub: int, seed: int, max_params: int, efficiency: float
) -> dict[str, Any]:
    specs = base_set_specs(seed, max_params)
    flops = np.array([flops_per_sample(s) for s in specs], dtype=np.float64)
    order = np.argsort(flops)
    picks = [int(order[round(q * (len(specs) - 1))]) for q in np.linspace(0.1, 0.9, timed)]
    measured = []
    for i in picks:
        per_sample = time_one_epoch(specs[i], n_sub)
        measured.append((flops[i], per_sample))
        print(
            f"  model {i:>3}: {flops[i] / 1e6:8.2f} MFLOP/sample  {per_sample * 1e6:8.1f} µs/sample"
        )
    x = np.array([m[0] for m in measured])
    y = np.array([m[1] for m in measured])
    if len(measured) >= 2 and np.ptp(x) > 0:
        b, a = np.polyfit(x, y, 1)
        a, b = max(float(a), 0.0), max(float(b), 0.0)
    else:
        a, b = float(y.mean()), 0.0
    per_epoch = (a + b * flops) * (QUICKDRAW_TRAIN + QUICKDRAW_TEST / 4)  # eval ≈ ¼ a step
    serial_s = float(per_epoch.sum()) * 10  # ≤ 10 epochs each: an upper bound
    return {
        "timed_models": len(measured),
        "subset_samples": n_sub,
        "fit_us_per_sample": {"a": a * 1e6, "b_per_mflop": b * 1e12},
        "mean_mflop_per_sample": float(flops.mean() / 1e6),
        "serial_cpu_thread_h": serial_s / 3600,
        "this_cpu_2_workers_h": serial_s / (2 * efficiency) / 3600,
        "cpu_16_cores_h": serial_s / (16 * efficiency) / 3600,
    }


# -- part 3: store writes (docs/scaling.md) -----------------------------------------------
def store_writes(jobs: int, folder: Path, held_out: int = QUICKDRAW_TEST) -> dict[str, Any]:
    """Commits per second of each write a driver makes per job, one writer, on ``folder``'s
    disk (WAL, synchronous=FULL as the store runs): claim_job, start_run, heartbeat,
    add_epoch (×10 per job) and finish_job with a ``held_out``-sized prediction blob."""
    from remap.store import Store
    from remap.train import TrainConfig
    from remap.train.metrics import EpochMetrics, TrainResult

    spec = base_set_specs(0, DEMO_MAX_PARAMS)[0]
    rates: dict[str, float] = {}
    with Store.open(folder / "writes.db") as store:
        model, _ = store.add_model(spec, origin="sampled")
        config = TrainConfig()
        t = time.perf_counter()
        ids = [store.enqueue(model, config, {"source": "digits"}) for _ in range(jobs)]
        rates["enqueue"] = jobs / (time.perf_counter() - t)

        def timed(name: str, calls: int, fn: Callable[[int], Any]) -> list[Any]:
            start = time.perf_counter()
            out = [fn(i) for i in range(calls)]
            rates[name] = calls / (time.perf_counter() - start)
            return out

        timed("claim_job", jobs, lambda i: store.claim_job(f"w{i}", 3600.0))
        runs = timed("start_run", jobs, lambda i: store.start_run(ids[i], f"w{i}", "qd", "f"))
        timed("heartbeat", jobs, lambda i: store.heartbeat(ids[i], f"w{i}", 3600.0))
        epoch = EpochMetrics(1, 1.0, 0.5, 1.0, 0.5, 1e-3, 1.0)
        timed(
            "add_epoch",
            jobs * 10,
            lambda i: store.add_epoch(
                runs[i % jobs], epoch.__class__(**{**epoch.to_dict(), "epoch": i // jobs + 1})
            ),
        )
        result = TrainResult(
            epochs=(epoch,),
            train_acc=0.5,
            val_acc=0.5,
            val_loss=1.0,
            per_class_acc=(0.5,) * 10,
            confusion=np.zeros((10, 10), dtype=np.int64),
            predictions=np.zeros(held_out, dtype=np.int16),
            params=1,
            seconds=1.0,
            device="cpu",
            stopped_early=False,
        )
        timed("finish_job", jobs, lambda i: store.finish_job(ids[i], f"w{i}", runs[i], result))
    size = (folder / "writes.db").stat().st_size
    per_job = 1 + 1 + 10 + 1  # claim, start_run, 10 epochs, finish (heartbeats: lease/3)
    mean_s = (
        sum(n / rates[k] for k, n in (("claim_job", 1), ("start_run", 1), ("add_epoch", 10)))
        + 1 / rates["finish_job"]
    )
    return {
        "jobs": jobs,
        "commits_per_s": {k: round(v, 1) for k, v in rates.items()},
        "writes_per_job": per_job,
        "jobs_per_s_one_writer": round(1 / mean_s, 1),
        "db_bytes_per_job": size // jobs,
    }


# -- GPU modes (bench/gpu_check.sh) ---------------------------------------------------------
def gpu_sweep(out: Path, tiny: bool, seed: int) -> list[dict[str, Any]]:
    from remap.jobs.placement import cuda_device_count

    gpus = cuda_device_count()
    device = "cuda" if gpus else "cpu"
    n_train, n_test = (2_000, 500) if tiny else (32_000, 8_000)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    data = write_quickdraw_like(work, n_train, n_test)
    rows = []
    for bf16 in (True, False):
        for wpg in (1, 2) if tiny else (1, 2, 4, 8):
            workers = wpg * max(gpus, 1)
            models = 2 * workers if tiny else max(16, 3 * workers)
            settings = {
                "dataset": str(data),
                "epochs": 1,
                "max_params": DEMO_MAX_PARAMS,
                "device": device,
                "bf16": bf16,
                "threads": 2,  # GPU workers need few CPU threads; 8 × all cores would thrash
            }
            root = fresh_workspace(work / f"sweep-{wpg}-{int(bf16)}", settings, models, seed)
            plan = ExecutorPlan("local", workers, wpg, device=device, threads=1)
            row = run_queue(root, plan, timeout=None if tiny else 25)
            row.update(workers_per_gpu=wpg, bf16=bf16, gpus=gpus, models=models)
            rows.append(row)
            print(json.dumps(row), flush=True)
            # Written after every row: a sweep cut short by its time limit keeps what it has.
            (out / "gpu_sweep.json").write_text(json.dumps(rows, indent=1))
            shutil.rmtree(root, ignore_errors=True)
    return rows


def base_set(out: Path, tiny: bool, seed: int, workers_per_gpu: str) -> dict[str, Any]:
    from remap.jobs.placement import cuda_device_count

    gpus = cuda_device_count()
    device = "cuda" if gpus else "cpu"
    n_train, n_test = (2_000, 500) if tiny else (QUICKDRAW_TRAIN, QUICKDRAW_TEST)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    data = write_quickdraw_like(work, n_train, n_test)
    models = 4 if tiny else BASE_SET_MODELS
    settings = {
        "dataset": str(data),
        "epochs": 2 if tiny else 10,
        "device": device,
        "workers_per_gpu": workers_per_gpu,
        "threads": 2,
    }
    root = fresh_workspace(work / "base-set", settings, models, seed)
    with Workspace.open(root, None, {}) as ws:
        plan = queue.executor_plan(ws)
    row = run_queue(root, plan, timeout=None if tiny else 290)
    row.update(models=models, gpus=gpus, workers_per_gpu=plan.workers_per_gpu, device=device)
    (out / "base_set.json").write_text(json.dumps(row, indent=1))
    print(json.dumps(row), flush=True)
    return row


def compile_probe(out: Path, tiny: bool, seed: int) -> list[dict[str, Any]]:
    """Eager vs ``torch.compile`` (default and ``reduce-overhead``, i.e. CUDA graphs) and
    batch 256 vs 1024, on one demo-sized model: the first epoch (compile included) and the
    steady epoch time. REMAP trains every architecture once for ≤ 10 short epochs, so a
    compile only pays when (first − steady) is repaid within those epochs."""
    import torch
    import torch.nn.functional as F

    from remap.train.modules import build_module

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n = 2_000 if tiny else 32_000
    split = make_synthetic_split(n, 64, (1, 28, 28), 10)
    x = torch.from_numpy(split.train_x).to(device)
    y = torch.from_numpy(split.train_y).long().to(device)
    spec = sample_architectures(1, (1, 28, 28), 10, seed, DEMO_MAX_PARAMS)[0]
    rows = []
    variants = [("eager", None, 256), ("eager", None, 1024), ("compile", "default", 256)]
    variants.append(("compile", "reduce-overhead", 256))
    for name, mode, batch in variants:
        torch.manual_seed(seed)
        model = build_module(spec).to(device)
        step_model = torch.compile(model, mode=mode) if mode else model
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        times = []
        try:
            for _epoch in range(2 if tiny else 3):
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                for b in range(0, n - batch + 1, batch):  # full batches: static shapes
                    with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
                        loss = F.cross_entropy(step_model(x[b : b + batch]), y[b : b + batch])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - start)
            row = {"variant": name, "mode": mode, "batch": batch, "first_epoch_s": times[0]}
            row["steady_epoch_s"] = min(times[1:])
        except Exception as exc:  # a compile failure is a result too
            row = {"variant": name, "mode": mode, "batch": batch, "error": str(exc)[:300]}
        rows.append(row)
        print(json.dumps(row), flush=True)
        (out / "compile_probe.json").write_text(json.dumps(rows, indent=1))  # kept if cut short
    return rows


# -- report ----------------------------------------------------------------------------------
def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, Callable[[Any], str]]]
) -> str:
    head = " | ".join(title for title, _, _ in columns)
    lines = [head, " | ".join("---" for _ in columns)]
    for row in rows:
        lines.append(" | ".join(fmt(row[key]) for _, key, fmt in columns))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch per model, 2 timed models")
    parser.add_argument("--models", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--gpu-sweep", type=Path, metavar="OUT")
    parser.add_argument("--base-set", type=Path, metavar="OUT")
    parser.add_argument("--compile-probe", type=Path, metavar="OUT")
    parser.add_argument("--store-writes", type=int, metavar="JOBS", help="only part 3")
    parser.add_argument("--workers-per-gpu", default="8", help="for --base-set: N or auto")
    parser.add_argument("--tiny", action="store_true", help="GPU modes at toy size (CPU check)")
    args = parser.parse_args(argv)

    if args.gpu_sweep or args.base_set or args.compile_probe:
        if args.compile_probe:
            args.compile_probe.mkdir(parents=True, exist_ok=True)
            compile_probe(args.compile_probe, args.tiny, args.seed)
        if args.gpu_sweep:
            gpu_sweep(args.gpu_sweep, args.tiny, args.seed)
        if args.base_set:
            base_set(args.base_set, args.tiny, args.seed, args.workers_per_gpu)
        return 0

    print(f"bench_scale · load average {load_average()} · {os.cpu_count()} CPUs", flush=True)
    if args.store_writes:
        with tempfile.TemporaryDirectory(prefix="remap-bench-store-", dir=".") as tmp:
            print(json.dumps(store_writes(args.store_writes, Path(tmp)), indent=1))
        return 0
    efficiency = 1.0
    with tempfile.TemporaryDirectory(prefix="remap-bench-scale-") as tmp:
        if not args.skip_scaling:
            epochs = 1 if args.quick else 2
            print(f"part 1: {args.models} demo-sized models × {epochs} epoch(s) on digits")
            rows = scaling(args.models, epochs, Path(tmp), args.seed)
            f1 = lambda v: f"{v:.1f}"  # noqa: E731
            pct = lambda v: f"{v * 100:.0f} %"  # noqa: E731
            print(
                table(
                    rows,
                    [
                        ("executor", "name", str),
                        ("done", "done", str),
                        ("wall s", "wall_s", f1),
                        ("first done s", "first_done_s", f1),
                        ("models/min", "models_per_min", f1),
                        ("efficiency", "efficiency", pct),
                        ("steady models/min", "steady_models_per_min", f1),
                        ("steady efficiency", "steady_efficiency", pct),
                    ],
                )
            )
            efficiency = float(rows[1]["steady_efficiency"])
            if not np.isfinite(efficiency) or efficiency <= 0:
                efficiency = 1.0
    timed, n_sub = (2, 2_000) if args.quick else (4, 8_000)
    print(
        f"part 2: base-set projection, {timed} of {BASE_SET_MODELS} models timed for one epoch "
        f"on {n_sub:,} samples (1 thread); efficiency {efficiency * 100:.0f} % from part 1"
    )
    result = projection(timed, n_sub, args.seed, 1_000_000, efficiency)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
