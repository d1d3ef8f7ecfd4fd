"""Where training runs, decided on the CPU: workers per GPU (a number, or ``auto`` from free
memory and model size), round-robin over the visible GPUs, the bf16 autocast switch, and
the executor plan the service builds from the settings. There is no GPU here: tests whose
names say ``simulated_gpu`` inject the GPU count and free memory; the trainer's autocast
path runs for real on the CPU (CPU autocast supports bf16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from service_helpers import TINY_SHAPE, tiny_workspace

import remap.jobs.placement as placement
import remap.train.trainer as trainer_mod
from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.data import make_synthetic_split
from remap.jobs.executor import LocalExecutor
from remap.jobs.placement import (
    AUTO_MAX_PER_GPU,
    CONTEXT_BYTES,
    EVAL_BYTES,
    auto_workers_per_gpu,
    default_worker_count,
    estimate_worker_bytes,
    plan_workers_per_gpu,
    worker_devices,
)
from remap.service import ServiceError, queue
from remap.service.settings import WorkspaceSettings
from remap.train.config import ConfigError, TrainConfig
from remap.train.precision import Precision, autocast, choose_precision, precision_for
from remap.train.trainer import train_model

GiB = 2**30
SMALL = ArchSpec((1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3)))
LARGE = ArchSpec((1, 8, 8), 3, (Conv2D(3, 64), Activation("relu"), Flatten(), Dense(512), Dense(3)))


def test_workers_spread_round_robin_over_simulated_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_worker_count("auto", workers_per_gpu=4, gpu_count=2) == 8
    assert default_worker_count("cuda", workers_per_gpu=3, gpu_count=1) == 3
    assert default_worker_count("cuda:1", workers_per_gpu=2, gpu_count=2) == 2
    assert default_worker_count("cpu", cpu_workers=2, workers_per_gpu=4, gpu_count=2) == 2
    assert default_worker_count("auto", workers_per_gpu=4, gpu_count=0) == 1
    assert worker_devices("auto", 5, gpu_count=2) == ["cuda:0", "cuda:1"] * 2 + ["cuda:0"]
    assert worker_devices("cuda", 2, gpu_count=1) == ["cuda:0", "cuda:0"]
    assert worker_devices("cuda:1", 2, gpu_count=2) == ["cuda:1", "cuda:1"]
    assert worker_devices("auto", 2, gpu_count=0) == [None, None]
    # The local executor hands each worker process its GPU; CUDA_VISIBLE_DEVICES is
    # inherited, so cuda:N counts the visible GPUs only, in the workers as here.
    monkeypatch.setattr(placement, "cuda_device_count", lambda: 3)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,5,7")
    executor = LocalExecutor("x.db", workers=6, device="auto")
    devices = [executor._command(slot)[-1] for slot in executor._slots]
    assert devices == ["cuda:0", "cuda:1", "cuda:2"] * 2
    assert executor.describe()[4]["device"] == "cuda:1"


def test_auto_workers_per_gpu_from_fake_memory_numbers() -> None:
    # An H200 with 140 GiB free and 16 cores: the cap wins.
    assert auto_workers_per_gpu(140 * GiB, 2 * GiB, cpu_cores=16, gpus=1) == AUTO_MAX_PER_GPU
    # Memory wins: 85 % of 6 GiB holds two 2 GiB workers.
    assert auto_workers_per_gpu(6 * GiB, 2 * GiB, cpu_cores=16, gpus=1) == 2
    # CPU cores win: 8 cores for 4 GPUs is 2 processes per GPU.
    assert auto_workers_per_gpu(80 * GiB, GiB, cpu_cores=8, gpus=4) == 2
    # Never fewer than one, even when nothing fits.
    assert auto_workers_per_gpu(GiB // 2, 2 * GiB, cpu_cores=1, gpus=4) == 1


def test_worker_memory_estimate_grows_with_model_batch_and_data() -> None:
    base = estimate_worker_bytes([], 0)
    assert base == CONTEXT_BYTES + EVAL_BYTES
    small = estimate_worker_bytes([SMALL], 0)
    large = estimate_worker_bytes([SMALL, LARGE], 0)  # the largest spec counts
    assert base < small < large == estimate_worker_bytes([LARGE], 0)
    assert estimate_worker_bytes([LARGE], 0, batch_size=512) > large
    assert estimate_worker_bytes([LARGE], 10**9) == large + 10**9


def test_plan_resolves_auto_with_simulated_gpu_memory() -> None:
    plan = plan_workers_per_gpu(
        "auto", "auto", [SMALL], 500 * 2**20, gpu_count=1, free_bytes=140 * GiB, cpu_cores=16
    )
    assert (plan.workers_per_gpu, plan.gpus) == (AUTO_MAX_PER_GPU, 1)
    assert "140.0 GiB free" in plan.reason
    tight = plan_workers_per_gpu(
        "auto", "cuda", [LARGE], 0, gpu_count=2, free_bytes=3 * GiB, cpu_cores=64
    )
    assert tight.workers_per_gpu == 1
    assert plan_workers_per_gpu(3, "auto", gpu_count=1).workers_per_gpu == 3
    no_gpu = plan_workers_per_gpu("auto", "cpu", gpu_count=4)
    assert (no_gpu.workers_per_gpu, no_gpu.gpus) == (1, 0)


def test_precision_switch_decides_bf16_only_on_capable_cuda() -> None:
    assert choose_precision("cuda", True, True).dtype is torch.bfloat16
    assert choose_precision("cuda", True, False).dtype is None
    assert choose_precision("cuda", False, True).dtype is None
    assert choose_precision("cpu", True, True).dtype is None
    assert choose_precision("mps", True, True).name == "fp32"
    assert precision_for(torch.device("cpu"), True).dtype is None  # always fp32 on the CPU
    x = torch.ones(4, 4)
    with autocast(torch.device("cpu"), Precision(None, "off")):
        assert (x @ x).dtype is torch.float32
    with autocast(torch.device("cpu"), Precision(torch.bfloat16, "forced")):
        assert (x @ x).dtype is torch.bfloat16
    with pytest.raises(ConfigError, match="bf16"):
        TrainConfig(bf16="yes")  # type: ignore[arg-type]


def test_trainer_runs_forward_and_loss_under_the_chosen_autocast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    split = make_synthetic_split(96, 32, input_shape=(1, 8, 8), num_classes=3)
    config = TrainConfig(epochs=1, batch_size=16, early_stopping=False, device="cpu", threads=1)
    fp32 = train_model(SMALL, split, config)
    again = train_model(SMALL, split, config.replace(bf16=False))
    assert fp32.device.startswith("cpu") and "bf16" not in fp32.device
    np.testing.assert_array_equal(fp32.predictions, again.predictions)  # bf16 is a no-op here
    # Force the CUDA decision onto the CPU: the same code path a GPU takes, run for real.
    monkeypatch.setattr(
        trainer_mod, "precision_for", lambda device, bf16: Precision(torch.bfloat16, "forced")
    )
    forced = train_model(SMALL, split, config)
    assert forced.device.endswith(", bf16")
    assert np.isfinite(forced.val_loss)
    assert forced.epochs[0].train_loss != fp32.epochs[0].train_loss


def test_settings_for_placement_precision_and_executor() -> None:
    s = WorkspaceSettings().merged(
        {"workers_per_gpu": "4", "bf16": False, "executor": "ray", "ray_address": " auto "}
    )
    assert (s.workers_per_gpu, s.bf16, s.executor, s.ray_address) == (4, False, "ray", "auto")
    assert WorkspaceSettings().merged({"workers_per_gpu": "AUTO"}).workers_per_gpu == "auto"
    for key, bad in (
        ("workers_per_gpu", 0),
        ("workers_per_gpu", "many"),
        ("workers_per_gpu", 65),
        ("bf16", "yes"),
        ("executor", "spark"),
        ("ray_address", 7),
    ):
        with pytest.raises(ServiceError) as info:
            WorkspaceSettings().merged({key: bad})
        assert info.value.field == key


def test_executor_plan_from_settings_with_simulated_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(placement, "cuda_device_count", lambda: 2)
    monkeypatch.setattr(placement, "cuda_memory", lambda index=0: (10 * GiB, 16 * GiB))
    monkeypatch.setattr(placement.os, "cpu_count", lambda: 32)
    with tiny_workspace(tmp_path, workers_per_gpu=3) as ws:
        plan = queue.executor_plan(ws)
        assert (plan.kind, plan.workers, plan.workers_per_gpu) == ("local", 6, 3)
        ws.update_settings({"workers_per_gpu": "auto"})
        spec = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(16), Dense(4)))
        ws.store.enqueue(
            ws.store.add_model(spec, origin="sampled")[0],
            ws.train_config(),
            {"source": ws.settings.dataset},
        )
        auto = queue.executor_plan(ws)
        # 85 % of 10 GiB over ~1.3 GiB per worker (context + eval + this tiny model).
        assert auto.workers_per_gpu == 6 and auto.workers == 12
        ray = queue.executor_plan(ws, 2, executor="ray", workers_per_gpu=2, ray_address="")
        assert (ray.kind, ray.workers, ray.cpus, ray.workers_per_gpu) == ("ray", 2, 2, 2)
        assert queue.executor_plan(ws, executor="ray").workers == 0  # the cluster decides
        with pytest.raises(ServiceError) as info:
            queue.executor_plan(ws, executor="spark")
        assert info.value.field == "executor"
