"""Benchmark: start-up as the user feels it (issue 12), each figure beside its baseline in
the same run, interleaved round by round (the machine is shared: ratios, not absolutes).

- language server: from spawning ``python -m remap serve`` to its ``initialize`` answer vs a
  bare ``python -c "import pygls.lsp.server, lsprotocol.types"`` from spawn to exit
  (target: ratio ≤ 1.15);
- ``remap list`` and ``remap show ID`` in a workspace on the bundled digits (models with
  finished runs) vs a bare ``python -c "import numpy"`` (target: ratio ≤ 5). The first
  ``remap list`` of a workspace loads the data set once to learn its fingerprint (stored);
  the figures are for the runs after it.

    .venv/bin/python bench/bench_startup.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def run_to_exit(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def serve_to_initialize(cwd: Path) -> float:
    """Spawn the server, send ``initialize`` at once, time until its answer arrives."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": os.getpid(), "rootUri": cwd.as_uri(), "capabilities": {}},
        }
    ).encode()
    env = dict(os.environ, REMAP_LSP_WARMUP="0")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [PY, "-m", "remap", "serve"],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()
    length = 0
    while line := proc.stdout.readline():
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
        elif line in (b"\r\n", b"\n"):
            break
    answer = json.loads(proc.stdout.read(length))
    seconds = time.perf_counter() - start
    proc.kill()
    proc.wait()
    assert answer.get("id") == 1 and "result" in answer, answer
    return seconds


def build_workspace(root: Path) -> int:
    """Five sampled models on the bundled digits, three with a fake finished run."""
    import numpy as np

    from remap.arch.sampling import sample_architectures
    from remap.service import Workspace
    from remap.train.config import TrainConfig
    from remap.train.metrics import EpochMetrics, TrainResult, confusion_matrix

    with Workspace.open(root) as ws:
        split = ws.split()
        truth = split.test_y.astype(np.int64)
        specs = sample_architectures(5, split.input_shape, split.num_classes, seed=3)
        ids = [ws.store.add_model(spec, origin="sampled")[0] for spec in specs]
        for model_id in ids[:3]:
            job = ws.store.enqueue(model_id, TrainConfig(epochs=1), ws.settings.dataset_ref())
            ws.store.claim_job("bench", 60.0)
            run = ws.store.start_run(job, "bench", split.name, split.fingerprint)
            acc = 0.5
            result = TrainResult(
                (EpochMetrics(1, 1.0, acc, 1.0, acc, 1e-3, 0.1),),
                acc,
                acc,
                1.0,
                (acc,) * split.num_classes,
                confusion_matrix(truth, truth, split.num_classes),
                truth.astype(np.int16),
                1000,
                0.1,
                "cpu",
                False,
            )
            ws.store.finish_job(job, "bench", run, result)
    return ids[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="remap-bench-startup-") as tmp:
        root = Path(tmp)
        model_id = build_workspace(root)
        first_list = run_to_exit([PY, "-m", "remap", "list"], root)
        cases = {
            "initialize answer (remap serve)": (
                lambda: serve_to_initialize(root),
                lambda: run_to_exit([PY, "-c", "import pygls.lsp.server, lsprotocol.types"], root),
                "bare pygls + lsprotocol import",
                1.15,
            ),
            "remap list": (
                lambda: run_to_exit([PY, "-m", "remap", "list"], root),
                lambda: run_to_exit([PY, "-c", "import numpy"], root),
                "bare import numpy",
                5.0,
            ),
            "remap show": (
                lambda: run_to_exit([PY, "-m", "remap", "show", str(model_id)], root),
                lambda: run_to_exit([PY, "-c", "import numpy"], root),
                "bare import numpy",
                5.0,
            ),
        }
        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
        for _ in range(args.rounds):
            for name, (measure, baseline, _, _) in cases.items():
                times[name][1].append(baseline())
                times[name][0].append(measure())
    print(f"{'measure':<34} {'ms':>8} {'baseline':<32} {'ms':>8} {'ratio':>6}  target")
    for name, (_, _, base_name, target) in cases.items():
        got, base = times[name]
        ratio = statistics.median(g / b for g, b in zip(got, base, strict=True))
        print(
            f"{name:<34} {1000 * statistics.median(got):8.0f} {base_name:<32} "
            f"{1000 * statistics.median(base):8.0f} {ratio:6.2f}  ≤ {target}"
        )
    print(f"(first remap list of the workspace, loading the data set once: {first_list:.2f} s)")


if __name__ == "__main__":
    main()
