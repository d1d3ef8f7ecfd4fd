"""The training loop: learning, reproducibility, early stopping, fixed epochs, callbacks,
cancellation, metrics consistency, data checks, error wrapping and data staging."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from remap.arch.layers import Activation, Conv2D, Dense, Dropout, MaxPool
from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.data.synthetic import make_synthetic_split
from remap.train import (
    EpochMetrics,
    TrainConfig,
    TrainingCancelled,
    TrainingError,
    TrainResult,
    staging,
    train_model,
    trainer,
)

SHAPE = (1, 12, 12)
CONV = ArchSpec(SHAPE, 10, (Conv2D(3, 8), Activation("relu"), MaxPool(2), Dropout(0.25), Dense(10)))
MLP = ArchSpec(SHAPE, 10, (Dense(32), Activation("relu"), Dense(10)))
FAST = TrainConfig(epochs=3, batch_size=64, lr=3e-3, threads=1, device="cpu")


@pytest.fixture(scope="module")
def split() -> Split:
    return make_synthetic_split(600, 200, SHAPE, 10, seed=0)


def _history(result: TrainResult) -> list[tuple[float, ...]]:
    return [
        (m.epoch, m.train_loss, m.train_acc, m.val_loss, m.val_acc, m.lr) for m in result.epochs
    ]


def test_learning_happens(split: Split) -> None:
    result = train_model(CONV, split, FAST.replace(epochs=5))
    assert result.val_acc > 0.5  # chance is 0.1
    assert result.epochs[-1].val_loss < result.epochs[0].val_loss
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    assert result.params == 8 * 9 + 8 + 8 * 5 * 5 * 10 + 10
    assert result.device.startswith("cpu (1 thread")
    assert result.seconds >= sum(m.seconds for m in result.epochs)


def test_same_inputs_give_identical_results(split: Split) -> None:
    a = train_model(CONV, split, FAST)
    b = train_model(CONV, split, FAST)
    assert _history(a) == _history(b)
    assert np.array_equal(a.predictions, b.predictions)
    assert np.array_equal(a.confusion, b.confusion)
    c = train_model(CONV, split, FAST.replace(seed=1))
    assert _history(c) != _history(a)


def test_training_leaves_the_callers_random_state_and_threads_alone(split: Split) -> None:
    torch.set_num_threads(2)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_model(MLP, split, FAST.replace(epochs=1))
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)


def test_metrics_are_consistent_with_predictions(split: Split) -> None:
    result = train_model(CONV, split, FAST)
    k = split.num_classes
    assert result.predictions.dtype == np.int16
    assert result.predictions.shape == (len(split.test_y),)
    assert result.confusion.dtype == np.int64 and result.confusion.shape == (k, k)
    expected = np.zeros((k, k), dtype=np.int64)
    np.add.at(expected, (split.test_y, result.predictions.astype(np.int64)), 1)
    assert np.array_equal(result.confusion, expected)
    assert result.val_acc == pytest.approx(np.mean(result.predictions == split.test_y))
    for c in range(k):
        members = split.test_y == c
        assert result.per_class_acc[c] == pytest.approx(np.mean(result.predictions[members] == c))
    last = result.epochs[-1]
    assert (result.val_acc, result.val_loss, result.train_acc) == (
        last.val_acc,
        last.val_loss,
        last.train_acc,
    )


def test_fixed_epochs_and_learning_rate_decay(split: Split) -> None:
    config = FAST.replace(epochs=4, early_stopping=False, lr=0.0)
    result = train_model(MLP, split, config)
    assert [m.epoch for m in result.epochs] == [1, 2, 3, 4]
    assert not result.stopped_early
    decayed = train_model(MLP, split, FAST.replace(epochs=3, early_stopping=False, lr=1e-3))
    assert [m.lr for m in decayed.epochs] == pytest.approx([1e-3, 7.5e-4, 5.625e-4])


def test_early_stopping_after_patience_without_improvement(split: Split) -> None:
    # lr 0: the held-out loss never improves after the first epoch.
    result = train_model(MLP, split, FAST.replace(epochs=10, lr=0.0, patience=3))
    assert len(result.epochs) == 4
    assert result.stopped_early
    assert len({m.val_loss for m in result.epochs}) == 1
    shorter = train_model(MLP, split, FAST.replace(epochs=10, lr=0.0, patience=1))
    assert len(shorter.epochs) == 2 and shorter.stopped_early


def test_early_stopping_uses_min_delta(split: Split) -> None:
    # Real learning but a huge min_delta: no epoch counts as an improvement.
    result = train_model(CONV, split, FAST.replace(epochs=10, min_delta=100.0, patience=2))
    assert len(result.epochs) == 3 and result.stopped_early
    # Early stopping off: all epochs run even without improvement.
    full = train_model(MLP, split, FAST.replace(epochs=6, lr=0.0, early_stopping=False, patience=1))
    assert len(full.epochs) == 6 and not full.stopped_early


def test_callbacks_report_every_epoch_and_batch(split: Split) -> None:
    seen: list[EpochMetrics] = []
    batches: list[tuple[int, int]] = []
    result = train_model(
        MLP, split, FAST, on_epoch=seen.append, on_batch=lambda d, t: batches.append((d, t))
    )
    assert tuple(seen) == result.epochs
    per_epoch = math.ceil(600 / 64)
    assert batches == [(d, per_epoch) for d in range(1, per_epoch + 1)] * 3
    assert EpochMetrics.from_dict(seen[0].to_dict()) == seen[0]


def test_callback_errors_propagate_unchanged(split: Split) -> None:
    class Boom(Exception):
        pass

    def on_epoch(_: EpochMetrics) -> None:
        raise Boom("stop here")

    with pytest.raises(Boom, match="stop here"):
        train_model(MLP, split, FAST, on_epoch=on_epoch)


def test_cancellation_raises_quickly_and_polls_sparingly(split: Split) -> None:
    big = make_synthetic_split(4000, 200, SHAPE, 10, seed=1)
    calls = 0
    flagged_at: list[float] = []

    def should_stop() -> bool:
        nonlocal calls
        calls += 1
        return bool(flagged_at)

    def on_batch(done: int, total: int) -> None:
        if done == 5 and not flagged_at:
            flagged_at.append(time.monotonic())

    config = FAST.replace(epochs=50, batch_size=16, early_stopping=False)
    with pytest.raises(TrainingCancelled):
        train_model(CONV, big, config, should_stop=should_stop, on_batch=on_batch)
    latency = time.monotonic() - flagged_at[0]
    assert latency < 2.0  # polling every 0.25 s; generous for a loaded machine
    # Polled at most about every 0.25 s (plus the initial check), not once per batch.
    assert calls <= 3 + latency / trainer.CANCEL_CHECK_SECONDS

    with pytest.raises(TrainingCancelled):
        train_model(MLP, split, FAST, should_stop=lambda: True)


def test_incompatible_data_is_reported(split: Split) -> None:
    wrong_shape = ArchSpec((1, 28, 28), 10, (Dense(10),))
    with pytest.raises(ValueError, match=r"\(1, 28, 28\).*\(1, 12, 12\)"):
        train_model(wrong_shape, split, FAST)
    wrong_classes = ArchSpec(SHAPE, 5, (Dense(5),))
    with pytest.raises(ValueError, match=r"5 outputs.*10 classes"):
        train_model(wrong_classes, split, FAST)
    bad_labels = replace(split, test_y=split.test_y + 5)
    with pytest.raises(ValueError, match="held-out labels"):
        train_model(MLP, bad_labels, FAST)


def test_runtime_failures_become_training_errors(
    split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("kernel exploded\nlong backend trace")

    monkeypatch.setattr(
        trainer, "optimise", lambda model, spec, device: (nn.Sequential(model, Broken()), False)
    )
    with pytest.raises(TrainingError, match=r"on cpu failed: kernel exploded$"):
        train_model(MLP, split, FAST)


def test_result_round_trips_through_dict(split: Split) -> None:
    result = train_model(MLP, split, FAST.replace(epochs=1))
    back = TrainResult.from_dict(result.to_dict())
    assert back.epochs == result.epochs
    assert np.array_equal(back.predictions, result.predictions)
    assert back.predictions.dtype == np.int16
    assert np.array_equal(back.confusion, result.confusion)
    assert (back.val_acc, back.params, back.device) == (
        result.val_acc,
        result.params,
        result.device,
    )


def test_staged_data_is_reused_and_checked_by_content(split: Split) -> None:
    staging.clear_staging_cache()
    cpu = torch.device("cpu")
    first = staging.stage_split(split, cpu)
    assert staging.stage_split(split, cpu) is first
    assert staging.cached_entries() == 1
    # An equal copy of the arrays hits the cache through the content digest.
    copied = replace(split, train_x=split.train_x.copy())
    assert staging.stage_split(copied, cpu) is first
    # Same fingerprint (labels, sizes, name) but different pixels: staged again.
    other = replace(split, train_x=np.ascontiguousarray(split.train_x[:, :, ::-1, :]))
    assert other.fingerprint == split.fingerprint
    second = staging.stage_split(other, cpu)
    assert second is not first
    assert torch.equal(second.train_x, torch.from_numpy(other.train_x))
    assert staging.cached_entries() <= staging.MAX_CACHED


def test_stock_path_used_off_the_cpu_trains_the_same_way(
    split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On GPUs the trainer skips the CPU speed-ups; exercise that path here.
    monkeypatch.setattr(trainer, "optimise", lambda model, spec, device: (model, False))
    stock = train_model(CONV, split, FAST.replace(epochs=5))
    assert stock.val_acc > 0.5
    again = train_model(CONV, split, FAST.replace(epochs=5))
    assert _history(again) == _history(stock)


def test_read_only_arrays_are_staged(split: Split) -> None:
    staging.clear_staging_cache()
    frozen = [a.copy() for a in (split.train_x, split.train_y, split.test_x, split.test_y)]
    for a in frozen:
        a.flags.writeable = False
    ro = replace(split, train_x=frozen[0], train_y=frozen[1], test_x=frozen[2], test_y=frozen[3])
    result = train_model(MLP, ro, FAST.replace(epochs=1))
    assert result.predictions.shape == (200,)
