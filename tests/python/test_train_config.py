"""Training configuration validation and device choice."""

from __future__ import annotations

import pytest
import torch

from remap.train import ConfigError, DeviceError, TrainConfig, choose_device, describe_device


def test_defaults_are_the_original_protocol() -> None:
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.lr, config.lr_decay) == (10, 256, 1e-3, 0.75)
    assert (config.early_stopping, config.patience, config.min_delta) == (True, 3, 0.005)
    assert (config.seed, config.device, config.threads) == (0, "auto", None)


def test_dict_round_trip_and_partial_dicts() -> None:
    config = TrainConfig(epochs=3, lr=0.01, device="cpu", threads=2, early_stopping=False)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict({"epochs": 2}) == TrainConfig(epochs=2)
    assert TrainConfig.from_dict({"lr": 0}).lr == 0.0
    assert isinstance(TrainConfig.from_dict({"lr": 1}).to_dict()["lr"], float)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"epochs": True}, "epochs"),
        ({"batch_size": "256"}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"lr_decay": 0}, "lr_decay"),
        ({"early_stopping": 1}, "early_stopping"),
        ({"patience": -1}, "patience"),
        ({"min_delta": -0.1}, "min_delta"),
        ({"seed": -3}, "seed"),
        ({"device": "gpu"}, "device"),
        ({"device": "cuda:x"}, "device"),
        ({"threads": 0}, "threads"),
        ({"learning_rate": 0.1}, "learning_rate"),
    ],
)
def test_invalid_values_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(data)
    assert info.value.field == field
    assert repr(field) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_from_dict_rejects_non_objects_and_replace_validates() -> None:
    with pytest.raises(ConfigError, match="expected an object"):
        TrainConfig.from_dict([1, 2])
    config = TrainConfig()
    assert config.replace(epochs=4).epochs == 4
    assert config.epochs == 10
    with pytest.raises(ConfigError) as info:
        config.replace(batch_size=0)
    assert info.value.field == "batch_size"
    with pytest.raises(ConfigError) as info:
        config.replace(bogus=1)
    assert info.value.field == "bogus"


def test_auto_device_prefers_cuda_then_mps_then_cpu() -> None:
    device = choose_device("auto")
    if torch.cuda.is_available():
        assert device.type == "cuda"
    elif torch.backends.mps.is_available():
        assert device.type == "mps"
    else:
        assert device == torch.device("cpu")
    assert choose_device("cpu") == torch.device("cpu")
    assert choose_device(" CPU ") == torch.device("cpu")


def test_unavailable_devices_are_clear_errors() -> None:
    if torch.cuda.is_available():
        assert choose_device("cuda").type == "cuda"
    else:
        with pytest.raises(DeviceError, match=r"'cuda' was requested.*use 'cpu' or 'auto'"):
            choose_device("cuda")
    with pytest.raises(DeviceError, match="cuda:99"):
        choose_device("cuda:99")
    if not torch.backends.mps.is_available():
        with pytest.raises(DeviceError, match="mps"):
            choose_device("mps")
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        choose_device("tpu")


def test_describe_device_names_cpu_threads() -> None:
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert describe_device("cpu") == "cpu (1 thread)"
        torch.set_num_threads(2)
        assert describe_device(torch.device("cpu")) == "cpu (2 threads)"
    finally:
        torch.set_num_threads(old)
