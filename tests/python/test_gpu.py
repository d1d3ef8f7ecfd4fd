"""What only a CUDA GPU can prove; run by ``bench/gpu_check.sh`` on a GPU machine. Without
CUDA every test here is skipped and says so — this module is the one place where that is
allowed (the CPU-side logic of the same code paths is tested in test_placement.py and
test_ray_executor.py)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.data import make_synthetic_split
from remap.jobs.executor import LocalExecutor
from remap.jobs.placement import cuda_device_count, cuda_memory, plan_workers_per_gpu
from remap.store import Store
from remap.train.config import TrainConfig
from remap.train.precision import precision_for
from remap.train.staging import stage_split
from remap.train.trainer import train_model

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA GPU: these run in bench/gpu_check.sh on a GPU machine",
)

SPEC = ArchSpec(
    (1, 28, 28),
    10,
    (Conv2D(5, 16), Activation("relu"), MaxPool(2), Conv2D(3, 32), Flatten(), Dense(10)),
)
DATA = {
    "source": "synthetic",
    "n_train": 4000,
    "n_test": 1000,
    "input_shape": [1, 28, 28],
    "num_classes": 10,
    "seed": 0,
}


def test_bf16_autocast_trains_on_cuda_as_well_as_fp32() -> None:
    split = make_synthetic_split(4000, 1000, (1, 28, 28), 10)
    config = TrainConfig(epochs=3, early_stopping=False, device="cuda")
    supported = torch.cuda.is_bf16_supported()
    assert (precision_for(torch.device("cuda"), True).dtype is torch.bfloat16) == supported
    bf16 = train_model(SPEC, split, config)
    fp32 = train_model(SPEC, split, config.replace(bf16=False))
    assert bf16.device.endswith(", bf16") == supported
    assert "bf16" not in fp32.device and fp32.device.startswith("cuda:")
    assert np.isfinite(bf16.val_loss) and abs(bf16.val_acc - fp32.val_acc) < 0.1


def test_the_split_is_staged_on_the_gpu_once_per_process() -> None:
    split = make_synthetic_split(1000, 200, (1, 28, 28), 10)
    first = stage_split(split, torch.device("cuda", 0))
    again = stage_split(split, torch.device("cuda", 0))
    assert first is again and first.train_x.is_cuda


def test_auto_workers_per_gpu_reads_real_free_memory() -> None:
    free, total = cuda_memory(0)
    assert 0 < free <= total
    plan = plan_workers_per_gpu("auto", "cuda", [SPEC], 160_000 * 784 * 4)
    assert 1 <= plan.workers_per_gpu <= 8 and plan.gpus == cuda_device_count()


def test_several_workers_share_each_gpu(tmp_path: Path) -> None:
    gpus = cuda_device_count()
    with Store.open(tmp_path / "remap.db") as store:
        model, _ = store.add_model(SPEC, origin="sampled")
        config = TrainConfig(epochs=2, early_stopping=False, device="auto")
        jobs = [store.enqueue(model, config.replace(seed=i), DATA) for i in range(4 * gpus)]
        with LocalExecutor(store.path, workers=2 * gpus, device="auto", until_idle=True) as ex:
            assert sorted({d["device"] for d in ex.describe()}) == [
                f"cuda:{i}" for i in range(gpus)
            ]
            assert ex.wait_until_idle(poll=0.2, timeout=300)
        runs = [store.get_run(store.get_job(j).run_id or 0) for j in jobs]
    assert all(r.state == "finished" and (r.device or "").startswith("cuda:") for r in runs)
    assert len({r.worker_id for r in runs}) >= 2  # the jobs were spread over the workers


def test_ray_tasks_get_a_share_of_a_gpu(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'remap[ray]'")

    from remap.jobs.ray_executor import RayExecutor

    with Store.open(tmp_path / "remap.db") as store:
        model, _ = store.add_model(SPEC, origin="sampled")
        config = TrainConfig(epochs=1, early_stopping=False)
        jobs = [store.enqueue(model, config.replace(seed=i), DATA) for i in range(4)]
        started = time.monotonic()
        with RayExecutor(store.path, workers_per_gpu=2, device="auto", cpus=4) as executor:
            assert executor.wait_until_idle(poll=0.2, timeout=300)
            assert executor.capacity == 2 * cuda_device_count()
        runs = [store.get_run(store.get_job(j).run_id or 0) for j in jobs]
    assert not ray.is_initialized()
    assert all(r.executor == "ray" and (r.device or "").startswith("cuda:") for r in runs)
    print(f"4 jobs through Ray on the GPU in {time.monotonic() - started:.1f} s")
