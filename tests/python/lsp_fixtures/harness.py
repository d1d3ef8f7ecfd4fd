"""Test harness for the REMAP language server: a pytest-lsp client that keeps ``remap/*``
params and results as plain JSON, starts ``python -m remap serve`` in a workspace folder,
records the server's notifications, and writes small data sets."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCNotification, JsonRPCResponseMessage, default_converter
from pytest_lsp import LanguageClient, LanguageClientProtocol, client_capabilities
from pytest_lsp.client import register_lsp_features

from remap.data import make_synthetic_split

FIXTURES = Path(__file__).resolve().parent
NOTIFICATIONS = (
    "remap/modelsChanged",
    "remap/queueChanged",
    "remap/epoch",
    "remap/warmup",
    "remap/exploreProgress",
)


class RawProtocol(LanguageClientProtocol):
    """Keeps ``remap/*`` notifications and untyped results as JSON dicts. Code action results
    stay JSON too: lsprotocol's converter mistakes a CodeAction that carries a ``command``
    object for a Command (a client-side ambiguity; VS Code tells them apart)."""

    RAW_RESULTS = frozenset({t.TEXT_DOCUMENT_CODE_ACTION})

    def get_result_type(self, method: str) -> Any:
        if method in self.RAW_RESULTS:
            return None
        return super().get_result_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method")
        if (
            "jsonrpc" in data
            and "id" not in data
            and isinstance(method, str)
            and method.startswith("remap/")
        ):
            return JsonRPCNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        if (
            "jsonrpc" in data
            and "id" in data
            and "result" in data
            and "method" not in data
            and self._result_types.get(data["id"]) is None
        ):
            self._result_types.pop(data["id"], None)
            return JsonRPCResponseMessage(
                id=data["id"], jsonrpc=data["jsonrpc"], result=data["result"]
            )
        return super().structure_message(data)


class Client(LanguageClient):
    """A test client that records REMAP notifications in ``notes``."""

    def __init__(self) -> None:
        super().__init__(protocol_cls=RawProtocol, converter_factory=default_converter)
        self.notes: list[tuple[str, Any]] = []
        self.lens_refreshes = 0
        register_lsp_features(self)
        self.feature(t.WORKSPACE_CODE_LENS_REFRESH)(self._lens_refresh())
        for method in NOTIFICATIONS:
            self.feature(method)(self._recorder(method))

    def _lens_refresh(self) -> Callable[[Any], None]:
        def refresh(params: Any) -> None:
            self.lens_refreshes += 1

        return refresh

    def _recorder(self, method: str) -> Callable[[Any], None]:
        def record(params: Any) -> None:
            self.notes.append((method, params))

        return record

    def of(self, method: str) -> list[Any]:
        return [params for m, params in self.notes if m == method]

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.protocol.send_request_async(method, params)

    async def rejected(self, method: str, params: Any) -> JsonRpcException:
        """The JSON-RPC error a request is answered with (fails if it succeeds)."""
        try:
            result = await self.request(method, params)
        except JsonRpcException as exc:
            return exc
        raise AssertionError(f"{method} {params!r} succeeded: {result!r}")

    async def command(self, name: str, *args: Any) -> Any:
        return await self.workspace_execute_command_async(
            t.ExecuteCommandParams(command=name, arguments=list(args))
        )


def server_env(cache: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REMAP_CACHE_DIR=str(cache),
        REMAP_LSP_WARMUP="0",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


async def start(
    workspace: Path,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    capabilities: t.ClientCapabilities | None = None,
) -> tuple[Client, t.InitializeResult]:
    """Start ``python -m remap serve`` in ``workspace`` and initialise it."""
    client = Client()
    await client.start_io(
        sys.executable,
        "-m",
        "remap",
        "serve",
        cwd=str(workspace),
        env=env or server_env(workspace / ".cache"),
    )
    caps = capabilities or client_capabilities("visual-studio-code")
    result = await client.initialize_session(
        t.InitializeParams(
            capabilities=caps,
            root_uri=workspace.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options={"settings": settings or {}},
        )
    )
    return client, result


async def stop(client: Client) -> None:
    try:
        await asyncio.wait_for(client.shutdown_session(), 30)
    finally:
        await client.stop()


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.1
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {predicate}")
        await asyncio.sleep(interval)


def write_npz(
    path: Path,
    n_train: int = 120,
    n_test: int = 30,
    shape: tuple[int, int, int] = (1, 8, 8),
    classes: int = 3,
) -> Path:
    split = make_synthetic_split(n_train, n_test, shape, classes, seed=0)
    np.savez(
        path,
        x_train=split.train_x,
        y_train=split.train_y,
        x_test=split.test_x,
        y_test=split.test_y,
    )
    return path


def small_spec(filters: int = 4, units: int = 3) -> dict[str, Any]:
    """A camelCase spec for 1×8×8 inputs and 3 classes."""
    return {
        "version": 1,
        "inputShape": [1, 8, 8],
        "numClasses": 3,
        "layers": [
            {
                "type": "conv2d",
                "kernelSize": 3,
                "filters": filters,
                "stride": 1,
                "padding": "valid",
            },
            {"type": "activation", "function": "relu"},
            {"type": "maxpool", "size": 2, "stride": 2, "padding": "valid"},
            {"type": "flatten"},
            {"type": "dense", "units": units},
        ],
    }


def dataset_ref(path: Path) -> dict[str, Any]:
    return {"source": str(path), "holdout": 0.2, "seed": 0}


def add_trained(
    store_path: Path,
    data: Path,
    specs: list[Any],
    accuracies: list[float],
    seed: int = 0,
    origin: str = "sampled",
    parent: int | None = None,
) -> list[int]:
    """Add ``specs`` to the store with fake finished runs (no training): each gets a run on
    the data set ``data`` whose held-out predictions hit ``accuracy`` of the samples."""
    from remap.arch.shapes import param_count
    from remap.data.registry import load_split
    from remap.store import Store
    from remap.train.config import TrainConfig
    from remap.train.metrics import (
        EpochMetrics,
        TrainResult,
        confusion_matrix,
        per_class_accuracy,
    )

    split = load_split(str(data), holdout=0.2, seed=0)
    rng = np.random.default_rng(seed)
    truth = split.test_y.astype(np.int64)
    ids = []
    with Store.open(store_path) as store:
        for spec, accuracy in zip(specs, accuracies, strict=True):
            model_id, _ = store.add_model(spec, origin=origin, parent_id=parent)
            ids.append(model_id)
            job = store.enqueue(model_id, TrainConfig(epochs=1), dataset_ref(data))
            claimed = store.claim_job("fake-worker", 60.0)
            assert claimed is not None and claimed.id == job
            run = store.start_run(job, "fake-worker", split.name, split.fingerprint)
            predictions = truth.copy()
            wrong = rng.random(len(truth)) > accuracy
            predictions[wrong] = (truth[wrong] + 1) % split.num_classes
            confusion = confusion_matrix(truth, predictions, split.num_classes)
            acc = float((predictions == truth).mean())
            epoch = EpochMetrics(1, 1.0, acc, 1.0, acc, 1e-3, 0.01)
            result = TrainResult(
                epochs=(epoch,),
                train_acc=acc,
                val_acc=acc,
                val_loss=1.0,
                per_class_acc=per_class_accuracy(confusion),
                confusion=confusion,
                predictions=predictions.astype(np.int16),
                params=param_count(spec),
                seconds=0.01,
                device="cpu",
                stopped_early=False,
            )
            assert store.finish_job(job, "fake-worker", run, result)
    return ids
