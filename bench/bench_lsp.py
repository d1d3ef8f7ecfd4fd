"""Benchmark: the REMAP language server over stdio (a minimal JSON-RPC client, no test
framework in the way), each figure beside an in-process baseline where one makes sense.

- ``initialize``: median of 5 fresh server starts, both the request's round trip and the
  time from spawning the process to the answer, for ``python -m remap.lsp`` and
  ``python -m remap serve`` (target: round trip < 0.5 s);
- ``remap/validate`` of a 20-layer spec: p50/p95 over LSP vs calling the handler in-process
  (target p95 < 20 ms);
- ``remap/listModels`` and ``remap/getMap`` on a workspace of 2,000 models with fake
  finished runs (built with the Store API before the server starts), once layouts are cached,
  vs the same service calls in-process (target < 100 ms). The server answers repeated calls
  from its result cache until the store changes; the last row shows a recomputed answer.

    .venv/bin/python bench/bench_lsp.py            # 2,000 models
    .venv/bin/python bench/bench_lsp.py --quick    # 300 models, fewer repetitions
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from remap.arch.layers import Activation, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.lsp.protocol import to_wire


class Rpc:
    """A bare JSON-RPC client over a server's stdio (Content-Length framing)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.create_task(self._read())
        self.drain: asyncio.Task[None] | None = None

    @classmethod
    async def spawn(cls, argv: list[str], cwd: Path, env: dict[str, str]) -> Rpc:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=2**26,
        )
        return cls(proc)

    async def ready(self) -> None:
        """Wait for the server's "starting" log line (imports done, about to read stdin),
        then keep draining its stderr in the background."""
        stderr = self.proc.stderr
        assert stderr is not None
        while b"starting" not in (line := await stderr.readline()):
            if not line:
                raise RuntimeError("the server exited before starting")
        self.drain = asyncio.create_task(self._drain())
        await asyncio.sleep(0.05)  # let its event loop start

    async def _drain(self) -> None:
        assert self.proc.stderr is not None
        while await self.proc.stderr.readline():
            pass

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)

    async def call(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        answer = await future
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def initialize(self, root: Path, settings: dict[str, Any]) -> float:
        start = time.perf_counter()
        await self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": {},
                "initializationOptions": {"settings": settings},
            },
        )
        elapsed = time.perf_counter() - start
        self.notify("initialized", {})
        return elapsed

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.call("shutdown", None), 30)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 30)
        except (TimeoutError, RuntimeError, ConnectionError):
            self.proc.kill()
        self.reader.cancel()
        if self.drain is not None:
            self.drain.cancel()


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(REMAP_CACHE_DIR=str(root / "cache"), PYTHONUNBUFFERED="1")
    return env


def write_data(path: Path) -> Path:
    from remap.data import make_synthetic_split

    split = make_synthetic_split(200, 100, (1, 16, 16), 4, seed=0)
    np.savez(
        path, x_train=split.train_x, y_train=split.train_y, x_test=split.test_x, y_test=split.test_y
    )
    return path


def build_workspace(root: Path, data: Path, n: int) -> None:
    """``n`` sampled models with fake finished runs, straight into the store."""
    from remap.arch.sampling import sample_architectures
    from remap.arch.shapes import param_count
    from remap.data.registry import load_split
    from remap.store import Store
    from remap.train.config import TrainConfig
    from remap.train.metrics import EpochMetrics, TrainResult, confusion_matrix

    split = load_split(str(data), holdout=0.2, seed=0)
    ref = {"source": str(data), "holdout": 0.2, "seed": 0}
    specs = sample_architectures(n, split.input_shape, split.num_classes, seed=1)
    rng = np.random.default_rng(0)
    truth = split.test_y.astype(np.int64)
    with Store.open(root / ".remap" / "remap.db") as store:
        for spec in specs:
            model_id, _ = store.add_model(spec, origin="sampled")
            job = store.enqueue(model_id, TrainConfig(epochs=1), ref)
            store.claim_job("bench", 60.0)
            run = store.start_run(job, "bench", split.name, split.fingerprint)
            predictions = np.where(rng.random(len(truth)) < rng.random(), truth, (truth + 1) % 4)
            acc = float((predictions == truth).mean())
            result = TrainResult(
                (EpochMetrics(1, 1.0, acc, 1.0, acc, 1e-3, 0.1),),
                acc,
                acc,
                1.0,
                (acc,) * 4,
                confusion_matrix(truth, predictions, 4),
                predictions.astype(np.int16),
                param_count(spec),
                0.1,
                "cpu",
                False,
            )
            store.finish_job(job, "bench", run, result)


def spec_20_layers() -> dict[str, Any]:
    layers = [Conv2D(3, 16, padding="same"), BatchNorm(), Activation("relu")] * 3
    layers += [MaxPool(2), Conv2D(3, 32, padding="same"), Activation("relu"), MaxPool(2)]
    layers += [Conv2D(3, 32), Activation("relu"), Flatten(), Dense(64), Dropout(0.3)]
    layers += [Activation("relu"), Dense(10)]
    spec = ArchSpec((1, 28, 28), 10, tuple(layers))
    assert len(spec.layers) == 20
    return dict(to_wire(spec.to_dict()))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def row(name: str, lsp: float, base: float | None, target: str) -> str:
    ratio = f"{lsp / base:7.1f}×" if base else "      —"
    base_text = f"{base * 1000:10.2f}" if base is not None else "         —"
    return f"{name:<44} {lsp * 1000:10.2f} {base_text} {ratio}  {target}"


async def bench_initialize(root: Path, starts: int) -> list[str]:
    out = []
    for label, argv in (
        ("python -m remap.lsp", [sys.executable, "-m", "remap.lsp", "--no-warmup"]),
        ("python -m remap serve", [sys.executable, "-m", "remap", "serve", "--no-warmup"]),
    ):
        trips, colds = [], []
        for _ in range(starts):
            spawned = time.perf_counter()
            rpc = await Rpc.spawn(argv, root, env_for(root))
            await rpc.ready()
            trip = await rpc.initialize(root, {})
            trips.append(trip)
            colds.append(time.perf_counter() - spawned)
            await rpc.close()
        out.append(
            row(
                f"initialize round trip ({label})",
                statistics.median(trips),
                None,
                "target < 500 ms",
            )
        )
        out.append(row(f"  spawn → answered ({label})", statistics.median(colds), None, ""))
    return out


async def bench_validate(rpc: Rpc, repeats: int) -> list[str]:
    from remap.lsp import handlers_experiments
    from remap.lsp.params import Params
    from remap.lsp.runtime import Runtime

    spec = spec_20_layers()
    over, local = [], []
    runtime = Runtime()
    for _ in range(repeats):
        start = time.perf_counter()
        result = await rpc.call("remap/validate", {"spec": spec})
        over.append(time.perf_counter() - start)
        assert result["ok"], result["error"]
        start = time.perf_counter()
        handlers_experiments.validate(runtime, Params({"spec": spec}))
        local.append(time.perf_counter() - start)
    return [
        row("remap/validate 20 layers p50", percentile(over, 50), percentile(local, 50), ""),
        row(
            "remap/validate 20 layers p95",
            percentile(over, 95),
            percentile(local, 95),
            "target p95 < 20 ms",
        ),
    ]


async def bench_models(rpc: Rpc, root: Path, data: Path, repeats: int, n: int) -> list[str]:
    from remap.analysis.warmup import shared_warmup
    from remap.service import Workspace
    from remap.service.maps import get_map
    from remap.service.views import model_rows

    out = []
    first = {}
    for view in ("architecture", "prediction", "accuracy"):  # fits and caches the layouts
        start = time.perf_counter()
        result = await rpc.call("remap/getMap", {"view": view})
        first[view] = time.perf_counter() - start
        assert len(result["points"]) == n, (view, len(result["points"]))
    rows = (await rpc.call("remap/listModels", {}))["models"]
    assert len(rows) == n
    with Workspace.open(root, overrides={"dataset": str(data)}) as ws:
        calls = [("remap/listModels", {}, lambda: model_rows(ws))] + [
            ("remap/getMap", {"view": v}, lambda v=v: get_map(ws, v, warmup=shared_warmup()))
            for v in ("architecture", "prediction", "accuracy")
        ]
        for method, params, local in calls:
            over, base = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                await rpc.call(method, params)
                over.append(time.perf_counter() - start)
                start = time.perf_counter()
                local()
                base.append(time.perf_counter() - start)
            name = f"{method} {params.get('view', '')} ({n} models) p50".replace("  ", " ")
            out.append(row(name, percentile(over, 50), percentile(base, 50), "target < 100 ms"))
        over, base = [], []
        for filters in range(3):  # a new model invalidates the cached rows: recomputed
            spec = ArchSpec((1, 16, 16), 4, (Conv2D(3, 5 + filters), Flatten(), Dense(4)))
            await rpc.call(
                "remap/generate", {"kind": "spec", "spec": to_wire(spec.to_dict()), "train": False}
            )
            start = time.perf_counter()
            await rpc.call("remap/listModels", {})
            over.append(time.perf_counter() - start)
            start = time.perf_counter()
            model_rows(ws)
            base.append(time.perf_counter() - start)
        out.append(
            row(
                "  remap/listModels right after a change",
                statistics.median(over),
                statistics.median(base),
                "(recomputed)",
            )
        )
    for view, seconds in first.items():
        out.append(row(f"  first getMap {view} (fit + cache)", seconds, None, ""))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 models, fewer repetitions")
    args = parser.parse_args()
    n = 300 if args.quick else 2000
    starts, repeats = (3, 50) if args.quick else (5, 200)
    with tempfile.TemporaryDirectory(prefix="remap-bench-lsp-") as tmp:
        root = Path(tmp)
        data = write_data(root / "data.npz")
        lines = await bench_initialize(root, starts)
        start = time.perf_counter()
        build_workspace(root, data, n)
        print(
            f"built a workspace of {n} models in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        rpc = await Rpc.spawn([sys.executable, "-m", "remap.lsp"], root, env_for(root))
        await rpc.ready()
        await rpc.initialize(root, {"dataset": str(data), "autoTrain": False})
        deadline = time.monotonic() + 600
        while (await rpc.call("remap/status", {}))["warmup"]["umap"] not in ("ready", "failed"):
            if time.monotonic() > deadline:
                raise SystemExit("UMAP warm-up did not finish within 10 minutes")
            await asyncio.sleep(1)
        lines += await bench_validate(rpc, repeats)
        lines += await bench_models(rpc, root, data, max(5, repeats // 20), n)
        await rpc.close()
    print(f"{'measure':<44} {'LSP ms':>10} {'in-proc ms':>10} {'ratio':>8}  target")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
