"""Benchmark: the model maps and the model list at 10,000 models (issue 13), each phase in
a fresh process (as a server start would be) so its time and peak memory are its own.

A workspace of N sampled models, each with a fake finished run (random held-out
predictions on a small synthetic set, so the prediction map has N points too), is built
straight into the store. Then:

- ``first``: the first architecture and prediction maps of a store that has no distances
  yet, with the UMAP warm-up running in the background as in the server. Above 2 million
  missing distances the architecture map is answered at once from landmarks (landmark MDS,
  marked approximate) while a background job computes all N(N−1)/2 OTMANN distances (float32
  row blocks) and fits the exact UMAP layout that replaces it; the requests after the
  warm-up, the time until the exact layouts are ready and the landmark layout's
  trustworthiness against the exact distances are reported too (target: first map ≤ 30 s,
  RSS ≤ 2 GB);
- ``warm``: the same maps from a new process (target ≤ 2 s);
- ``add``: +100 models (with runs) placed on both maps, twice (in a fresh process whose
  UMAP warm-up has run, as in a server that has been up a while, then
  again): both maps from their landmark and candidate-neighbour distances, their full
  rows completed in the background after the answer (target ≤ 1 s, old points move 0);
- ``lists``: ``remap/listModels`` rows and per-class accuracy for recolouring, old way
  (full records: every spec parsed, every run's blobs and epochs read; one ``getModel`` per
  model, timed on a sample and scaled to N) vs new (light queries, one answer), cold and
  warm (targets: list ≤ 300 ms, recolour ≤ 200 ms at 10,000 models).

    .venv/bin/python bench/bench_map_scale.py               # 10,000 models (~10–20 min here)
    .venv/bin/python bench/bench_map_scale.py --models 2000 # quicker
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ADD = 100


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_data(path: Path) -> Path:
    from remap.data import make_synthetic_split

    split = make_synthetic_split(400, 100, (1, 16, 16), 10, seed=0)
    np.savez(
        path, x_train=split.train_x, y_train=split.train_y, x_test=split.test_x, y_test=split.test_y
    )
    return path


def add_models(root: Path, data: Path, n: int, seed: int) -> list[int]:
    """``n`` new sampled models with fake finished runs (the store without fsync: a bench)."""
    from remap.arch.sampling import sample_architectures
    from remap.arch.shapes import param_count
    from remap.data.registry import load_split
    from remap.store import Store
    from remap.train.config import TrainConfig
    from remap.train.metrics import EpochMetrics, TrainResult, confusion_matrix

    split = load_split(str(data), holdout=0.2, seed=0)
    ref = {"source": str(data), "holdout": 0.2, "seed": 0}
    rng = np.random.default_rng(seed)
    truth = split.test_y.astype(np.int64)
    k = split.num_classes
    ids = []
    with Store.open(root / ".remap" / "remap.db") as store:
        store._connection().execute("PRAGMA synchronous = OFF")
        known = frozenset(m.content_hash for m in store.model_summaries())
        specs = sample_architectures(
            n, split.input_shape, k, seed=seed, exclude=known, max_attempts=50 * n
        )
        for spec in specs:
            model_id, _ = store.add_model(spec, origin="sampled")
            ids.append(model_id)
            job = store.enqueue(model_id, TrainConfig(epochs=1), ref)
            store.claim_job("bench", 60.0)
            run = store.start_run(job, "bench", split.name, split.fingerprint)
            skill = rng.random()
            guess = rng.integers(0, k, len(truth))
            predictions = np.where(rng.random(len(truth)) < skill, truth, guess)
            acc = float((predictions == truth).mean())
            per_class = [float((predictions[truth == c] == c).mean()) for c in range(k)]
            result = TrainResult(
                (EpochMetrics(1, 1.0, acc, 1.0, acc, 1e-3, 0.1),),
                acc,
                acc,
                1.0,
                tuple(per_class),
                confusion_matrix(truth, predictions, k),
                predictions.astype(np.int16),
                param_count(spec),
                0.1,
                "cpu",
                False,
            )
            store.finish_job(job, "bench", run, result)
    return ids


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _note(result: dict[str, Any]) -> str:
    return f"{result['method']}; {result['note'] or 'exact'}"


def phase_first(root: Path, data: Path) -> dict[str, Any]:
    from remap.analysis.quality import sample_points, trustworthiness_of
    from remap.analysis.warmup import UmapWarmup
    from remap.service import Workspace, map_background
    from remap.service.maps import get_map, otmann_rows

    warmup = UmapWarmup().start()  # as the server does at start
    out: dict[str, Any] = {}
    shown: dict[str, dict[str, Any]] = {}
    with Workspace.open(root, overrides={"dataset": str(data), "projection": "umap"}) as ws:
        for view in ("architecture", "prediction"):
            seconds, result = timed(lambda v=view: get_map(ws, v, warmup=warmup))
            shown[view] = result
            out[f"first {view} ({_note(result)})"] = seconds
            out[f"rss after first {view} MB"] = rss_mb()
        start = time.perf_counter()
        waited, _ = timed(lambda: warmup.wait(900))
        out["UMAP warm-up still to wait after the first maps"] = waited
        for view in ("architecture", "prediction"):
            seconds, result = timed(lambda v=view: get_map(ws, v, warmup=warmup))
            out[f"request after warm-up, {view} ({_note(result)})"] = seconds
        map_background.wait_idle()
        out["exact layouts ready in the background (after the first maps)"] = (
            time.perf_counter() - start + out["UMAP warm-up still to wait after the first maps"]
        )
        for view in ("architecture", "prediction"):
            seconds, result = timed(lambda v=view: get_map(ws, v, warmup=warmup))
            trust = result["trustworthiness"]
            out[f"exact {view} ({_note(result)}, trust {trust:.3f})"] = seconds
        map_background.wait_idle()
        matrix = otmann_rows(ws)  # complete now: only a sample of it is expanded
        first = {p["id"]: (p["x"], p["y"]) for p in shown["architecture"]["points"]}
        ids = [i for i in matrix.ids if i in first]
        pick = sample_points(len(ids))
        rows = list(range(len(ids))) if pick is None else pick.tolist()
        coords = np.array([first[ids[r]] for r in rows])
        sample = matrix.square([matrix.position(ids[r]) for r in rows])
        trust = trustworthiness_of(coords, sample)
        out[f"trustworthiness of the first (landmark) architecture layout: {trust:.3f}"] = 0.0
    out["peak RSS MB"] = rss_mb()
    return out


def phase_warm(root: Path, data: Path) -> dict[str, Any]:
    from remap.analysis.warmup import UmapWarmup
    from remap.service import Workspace
    from remap.service.maps import get_map

    warmup = UmapWarmup(runner=lambda: None).start()
    warmup.wait(10)  # UMAP counts as ready: the cached UMAP layouts are current
    out: dict[str, Any] = {}
    with Workspace.open(root, overrides={"dataset": str(data)}) as ws:
        for view in ("architecture", "prediction", "accuracy"):
            seconds, result = timed(lambda v=view: get_map(ws, v, warmup=warmup))
            out[f"warm {view} ({len(result['points'])} points)"] = seconds
    out["peak RSS MB"] = rss_mb()
    return out


def phase_add(root: Path, data: Path) -> dict[str, Any]:
    from remap.analysis.warmup import UmapWarmup
    from remap.service import Workspace, map_background
    from remap.service.maps import get_map

    warmup = UmapWarmup().start()  # as in the server, which has been up for a while
    warmup.wait(900)
    out: dict[str, Any] = {}
    with Workspace.open(root, overrides={"dataset": str(data)}) as ws:
        shown = {view: get_map(ws, view, warmup=warmup) for view in ("architecture", "prediction")}
        for attempt, label in ((1, "fresh process"), (2, "second time")):
            add_models(root, data, ADD, seed=1000 + attempt)
            for view in ("architecture", "prediction"):
                seconds, result = timed(lambda v=view: get_map(ws, v, warmup=warmup))
                off = off_the_map(shown[view], result)
                shown[view] = result
                move = result["movement"] or {}
                kind, moved = move.get("kind"), move.get("max", float("nan"))
                frac = move.get("fraction", 0.0)
                extent = move.get("mean", 0.0) / frac if frac else 0.0
                share = 100 * moved / extent if extent else 0.0
                how = f"{kind}, old points moved max {share:.1f}% of extent, {off} new off the map"
                out[f"+{ADD} {view}, {label} ({how})"] = seconds
            seconds, _ = timed(map_background.wait_idle)
            out[f"+{ADD}, {label}: their full rows done in the background after"] = seconds
    out["peak RSS MB"] = rss_mb()
    return out


def off_the_map(before: dict[str, Any], after: dict[str, Any]) -> int:
    """How many points new in ``after`` lie outside the box of ``before``'s points grown by
    a tenth of its extent on each side."""
    old = np.array([(p["x"], p["y"]) for p in before["points"]])
    seen = {p["id"] for p in before["points"]}
    new = np.array([(p["x"], p["y"]) for p in after["points"] if p["id"] not in seen])
    if not len(new):
        return 0
    low, high = old.min(axis=0), old.max(axis=0)
    margin = 0.1 * (high - low).max()
    return int(((new < low - margin) | (new > high + margin)).any(axis=1).sum())


def old_model_rows(ws: Any) -> list[Any]:
    """The model list as it was computed before (full records, blobs, per-run epochs)."""
    from remap.service.views import latest_jobs, model_row

    fingerprint = ws.split().fingerprint
    runs = {run.model_id: run for run in ws.store.finished_runs(fingerprint)}
    jobs = latest_jobs(ws)
    return [model_row(m, runs.get(m.id), jobs.get(m.id)) for m in ws.store.list_models()]


def phase_lists(root: Path, data: Path) -> dict[str, Any]:
    from remap.service import Workspace
    from remap.service.views import model_details, model_rows, per_class_accuracy

    out: dict[str, Any] = {}
    with Workspace.open(root, overrides={"dataset": str(data)}) as ws:
        ws.split()  # both sides with the data set loaded (the server has it)
        out["listModels new, cold process"] = timed(lambda: model_rows(ws))[0]
        out["listModels new, warm"] = min(timed(lambda: model_rows(ws))[0] for _ in range(3))
        out["listModels old"] = timed(lambda: old_model_rows(ws))[0]
        n = len(ws.store.model_ids())
        sample = ws.store.model_ids()[:: max(1, n // 200)]
        seconds = timed(lambda: [model_details(ws, i) for i in sample])[0]
        out[f"recolour old: {n} getModel (timed {len(sample)}, scaled)"] = seconds * n / len(sample)
        out["recolour new: perClassAccuracy, cold"] = timed(lambda: per_class_accuracy(ws))[0]
        out["recolour new: perClassAccuracy, warm"] = min(
            timed(lambda: per_class_accuracy(ws))[0] for _ in range(3)
        )
    out["peak RSS MB"] = rss_mb()
    return out


PHASES = {"first": phase_first, "warm": phase_warm, "add": phase_add, "lists": phase_lists}


def run_phase(name: str, root: Path, data: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", name, "--root", str(root), "--data", str(data)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the store in this folder once and reuse it (a copy of it, from the "
        "snapshot taken after building) in later runs",
    )
    parser.add_argument("--phases", default="first,warm,add,lists", help="phases to run")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.root, args.data)))
        return
    with tempfile.TemporaryDirectory(prefix="remap-bench-mapscale-") as tmp:
        root = Path(tmp)
        snapshot = args.keep / "built.db" if args.keep else None
        data = write_data(root / "data.npz")
        if snapshot is not None and snapshot.exists():
            (root / ".remap").mkdir()
            shutil.copy(snapshot, root / ".remap" / "remap.db")
        else:
            seconds, _ = timed(lambda: add_models(root, data, args.models, seed=1))
            print(f"built {args.models} models with runs in {seconds:.0f} s", file=sys.stderr)
            if snapshot is not None:
                snapshot.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(root / ".remap" / "remap.db", snapshot)
        results: dict[str, Any] = {}
        for name in args.phases.split(","):
            print(f"phase {name} …", file=sys.stderr)
            results[name] = run_phase(name, root, data)
            db = root / ".remap" / "remap.db"
            results[name]["store size MB"] = db.stat().st_size / 2**20
    print(f"{args.models} models")
    for name, figures in results.items():
        print(f"[{name}]")
        for key, value in figures.items():
            unit = "" if "MB" in key else " s"
            print(f"  {key:<72} {value:10.3f}{unit}")


if __name__ == "__main__":
    main()
