"""The training loop: one spec trained on one split with the original REMAP protocol (Adam,
lr decay per epoch, early stopping on the held-out loss) minus its defects (logits go straight
into cross-entropy, early stopping sees the whole held-out set, every layer is initialised).

Speed: the split is staged on the device once per process (``staging``), batches are index
slices of a seeded per-epoch permutation (no DataLoader), metrics accumulate on the device and
sync once per epoch, evaluation runs in large batches under ``torch.inference_mode``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from remap.arch.shapes import validate
from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.train.config import TrainConfig
from remap.train.device import choose_device, describe_device
from remap.train.keys import layer_attributes
from remap.train.metrics import (
    EpochMetrics,
    TrainResult,
    confusion_matrix,
    per_class_accuracy,
)
from remap.train.modules import build_module, module_param_count
from remap.train.precision import Precision, autocast, precision_for
from remap.train.resume import Extras, load_partial, make_checkpoint, restore_checkpoint
from remap.train.speed import chw_weight, hwc_dense_index, optimise, to_channels_last
from remap.train.staging import stage_split
from remap.train.weights import export_state

CANCEL_CHECK_SECONDS = 0.25
# Largest activation (elements) one evaluation batch may produce.
_EVAL_BUDGET = {"cpu": 8_000_000, "other": 128_000_000}
_EVAL_MAX_BATCH = {"cpu": 2048, "other": 8192}


class TrainingCancelled(Exception):
    """``should_stop()`` asked the run to stop; nothing is returned."""


class TrainingError(RuntimeError):
    """Training failed (out of memory, a numerical or backend error); the message says
    which model, on which device, and why."""


class _CallbackFailed(Exception):
    """Carries an exception raised by a caller's callback so it propagates unchanged."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class _StopCheck:
    """Calls ``should_stop`` at most every ``CANCEL_CHECK_SECONDS`` (it may hit a database)."""

    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self.should_stop = should_stop
        self.last = -math.inf

    def __call__(self, force: bool = False) -> None:
        if self.should_stop is None:
            return
        now = time.monotonic()
        if not force and now - self.last < CANCEL_CHECK_SECONDS:
            return
        self.last = now
        try:
            stop = self.should_stop()
        except Exception as exc:
            raise _CallbackFailed(exc) from exc
        if stop:
            raise TrainingCancelled("training cancelled")


def _callback(fn: Callable[..., None] | None, *args: Any) -> None:
    if fn is None:
        return
    try:
        fn(*args)
    except Exception as exc:
        raise _CallbackFailed(exc) from exc


def check_compatible(spec: ArchSpec, split: Split) -> None:
    """Raise ``ValueError`` naming the mismatch when ``spec`` cannot train on ``split``."""
    name = f"data set {split.name!r}"
    if tuple(spec.input_shape) != split.input_shape:
        raise ValueError(
            f"the model expects inputs of shape {spec.input_shape} but {name} has "
            f"{split.input_shape}"
        )
    if spec.num_classes != split.num_classes:
        raise ValueError(
            f"the model has {spec.num_classes} outputs but {name} has {split.num_classes} classes"
        )
    for part, x, y in (
        ("training", split.train_x, split.train_y),
        ("held-out", split.test_x, split.test_y),
    ):
        if len(x) == 0:
            raise ValueError(f"{name} has no {part} samples")
        if len(x) != len(y):
            raise ValueError(f"{name}: {len(x)} {part} images but {len(y)} labels")
        if int(y.min()) < 0 or int(y.max()) >= split.num_classes:
            raise ValueError(
                f"{name}: {part} labels must lie in 0…{split.num_classes - 1}, "
                f"found {int(y.min())}…{int(y.max())}"
            )


@contextlib.contextmanager
def _run_context(config: TrainConfig, device: torch.device) -> Iterator[None]:
    """Threads, a private RNG scope and (on CUDA) deterministic cuDNN for one run."""
    old_threads = torch.get_num_threads()
    old_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        if config.threads is not None and device.type == "cpu":
            torch.set_num_threads(config.threads)
        if device.type == "cuda":
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(config.seed)
            yield
    finally:
        if torch.get_num_threads() != old_threads:
            torch.set_num_threads(old_threads)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old_cudnn


def _sum_dtype(device: torch.device) -> torch.dtype:
    """Loss sums in float64 where the device has it (MPS does not)."""
    return torch.float32 if device.type == "mps" else torch.float64


def _eval_batch_size(spec: ArchSpec, device: torch.device, train_batch: int) -> int:
    kind = "cpu" if device.type == "cpu" else "other"
    report = validate(spec, max_params=None)
    largest = max([math.prod(spec.input_shape)] + [info.output.size for info in report.layers])
    fit = _EVAL_BUDGET[kind] // max(largest, 1)
    return max(train_batch, min(fit, _EVAL_MAX_BATCH[kind]))


def _evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch: int,
    stop: _StopCheck,
    prepare: Callable[[torch.Tensor], torch.Tensor],
    precision: Precision,
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy and argmax predictions over the whole set (one device sync)."""
    model.eval()
    n = x.shape[0]
    preds = torch.empty(n, dtype=torch.int64, device=x.device)
    loss_sum = torch.zeros((), dtype=_sum_dtype(x.device), device=x.device)
    with torch.inference_mode():
        for start in range(0, n, batch):
            stop()
            yb = y[start : start + batch]
            with autocast(x.device, precision):
                logits = model(prepare(x[start : start + batch]))
                loss = F.cross_entropy(logits, yb, reduction="sum")
            loss_sum += loss.to(loss_sum.dtype)
            preds[start : start + batch] = logits.argmax(dim=1)
        correct = (preds == y).sum()
    return float(loss_sum) / n, int(correct) / n, preds


def train_model(
    spec: ArchSpec,
    split: Split,
    config: TrainConfig = TrainConfig(),  # noqa: B008 - immutable
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    *,
    init_weights: Mapping[str, torch.Tensor] | None = None,
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train a freshly initialised ``spec`` on ``split``.

    Weights: the result's ``weights`` are the trained state under the exported keys
    (``remap.train.keys``) — the state of the epoch whose metrics the result reports.
    ``init_weights`` (exported keys, a subset of the layers: inheritance from a parent)
    replace the fresh initialisation of those tensors. ``on_checkpoint(state)`` runs after
    every epoch with everything needed to continue (model, optimizer, epoch, shuffle and RNG
    state, early-stopping state, history); passing such a ``state`` as ``resume`` continues
    from that epoch, and on the CPU gives exactly the result of an uninterrupted run.

    ``on_epoch(metrics)`` runs after every epoch; ``on_batch(done, total)`` after every batch
    with the count within the current epoch; ``should_stop()`` is polled between batches at
    most every 0.25 s and makes the run raise :class:`TrainingCancelled`. Invalid specs raise
    ``ArchError``, incompatible data ``ValueError``, an unusable device ``DeviceError``, and
    failures while training (out of memory, ...) :class:`TrainingError`. Exceptions raised by
    the callbacks propagate unchanged. The same inputs on the CPU give identical results.
    """
    started = time.perf_counter()
    validate(spec, max_params=None)
    check_compatible(spec, split)
    device = choose_device(config.device)
    stop = _StopCheck(should_stop)
    try:
        with _run_context(config, device):
            stop(force=True)
            extras = Extras(init_weights, on_checkpoint, resume)
            return _train(spec, split, config, device, stop, on_epoch, on_batch, started, extras)
    except _CallbackFailed as failure:
        raise failure.original from None
    except TrainingCancelled:
        raise
    except torch.OutOfMemoryError as exc:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        raise TrainingError(
            f"out of memory training {spec.describe()} on {device} with batch size "
            f"{config.batch_size}: {_first_line(exc)}"
        ) from exc
    except RuntimeError as exc:
        if isinstance(exc, TrainingError):
            raise
        raise TrainingError(
            f"training {spec.describe()} on {device} failed: {_first_line(exc)}"
        ) from exc


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _train(
    spec: ArchSpec,
    split: Split,
    config: TrainConfig,
    device: torch.device,
    stop: _StopCheck,
    on_epoch: Callable[[EpochMetrics], None] | None,
    on_batch: Callable[[int, int], None] | None,
    started: float,
    extras: Extras,
) -> TrainResult:
    built = build_module(spec)
    params = module_param_count(built)
    if extras.init_weights:
        load_partial(built, spec, extras.init_weights)
    hwc_index = hwc_dense_index(built)
    model, channels_last = optimise(built, spec, device)
    model = model.to(device)
    prepare: Callable[[torch.Tensor], torch.Tensor] = (
        to_channels_last if channels_last else _identity
    )
    data = stage_split(split, device)
    precision = precision_for(device, config.bf16)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, foreach=True)
    shuffle = torch.Generator().manual_seed(config.seed)
    n_train = data.train_x.shape[0]
    batch = config.batch_size
    n_batches = -(-n_train // batch)
    eval_batch = _eval_batch_size(spec, device, batch)

    history: list[EpochMetrics] = []
    best, wait, stopped_early = math.inf, 0, False
    preds = torch.empty(0)
    first, earlier_seconds = 1, 0.0
    if extras.resume is not None:
        first, best, wait, earlier_seconds = restore_checkpoint(
            extras.resume, model, optimizer, shuffle, device, history
        )
        preds = torch.as_tensor(extras.resume["predictions"], device=device)
    for epoch in range(first, config.epochs + 1):
        epoch_start = time.perf_counter()
        lr = config.lr * config.lr_decay ** (epoch - 1)
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        order = torch.randperm(n_train, generator=shuffle).to(device)
        loss_sum = torch.zeros((), dtype=_sum_dtype(device), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for b in range(n_batches):
            stop()
            idx = order[b * batch : (b + 1) * batch]
            xb, yb = prepare(data.train_x[idx]), data.train_y[idx]
            with autocast(device, precision):
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach().to(loss_sum.dtype) * idx.shape[0]
                correct += (logits.argmax(dim=1) == yb).sum()
            _callback(on_batch, b + 1, n_batches)
        val_loss, val_acc, preds = _evaluate(
            model, data.test_x, data.test_y, eval_batch, stop, prepare, precision
        )
        metrics = EpochMetrics(
            epoch=epoch,
            train_loss=float(loss_sum) / n_train,
            train_acc=int(correct) / n_train,
            val_loss=val_loss,
            val_acc=val_acc,
            lr=lr,
            seconds=time.perf_counter() - epoch_start,
        )
        history.append(metrics)
        stop_now = False
        if config.early_stopping:
            # Keras EarlyStopping(monitor="val_loss", min_delta, patience), no weight restore.
            if val_loss < best - config.min_delta:
                best, wait = val_loss, 0
            else:
                wait += 1
                if wait >= config.patience:
                    stopped_early = epoch < config.epochs
                    stop_now = True
        # The checkpoint comes before on_epoch: an epoch the caller has seen can be resumed.
        if extras.on_checkpoint is not None and epoch < config.epochs and not stop_now:
            state = make_checkpoint(model, optimizer, shuffle, device, history, best, wait)
            state["seconds"] = earlier_seconds + time.perf_counter() - started
            state["predictions"] = preds.cpu()
            _callback(extras.on_checkpoint, state)
        _callback(on_epoch, metrics)
        if stop_now:
            break

    weights = export_state(built, spec)
    if channels_last and hwc_index is not None:
        key = f"{layer_attributes(spec)[hwc_index]}.weight"
        dims = validate(spec, max_params=None).layers[hwc_index].input.dims
        weights[key] = chw_weight(weights[key], dims)
    predicted = preds.cpu().numpy()
    confusion = confusion_matrix(split.test_y, predicted, split.num_classes)
    last = history[-1]
    return TrainResult(
        epochs=tuple(history),
        train_acc=last.train_acc,
        val_acc=last.val_acc,
        val_loss=last.val_loss,
        per_class_acc=per_class_accuracy(confusion),
        confusion=confusion,
        predictions=predicted.astype(np.int16),
        params=params,
        seconds=earlier_seconds + time.perf_counter() - started,
        device=describe_device(device) + ("" if precision.dtype is None else f", {precision.name}"),
        stopped_early=stopped_early,
        weights=weights,
    )
