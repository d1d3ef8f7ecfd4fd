"""Import of the original REMAP model set: every recorded parameter count is reproduced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remap.arch import SpecFormatError
from remap.arch.original import load_model_set, parse_model_set
from remap.arch.shapes import param_count


def test_all_reference_parameter_counts_match(reference_dir: Path) -> None:
    model_set = load_model_set(reference_dir / "models.json")
    assert len(model_set.models) == 100
    assert model_set.input_shape == (1, 28, 28) and model_set.num_classes == 10
    assert model_set.classes[0] == "face"
    for entry in model_set.models:
        assert param_count(entry.spec) == entry.extra["parameters"], entry.id


def test_max_and_average_pooling_stay_distinct(reference_dir: Path) -> None:
    model_set = load_model_set(reference_dir / "models.json")
    kinds = {layer.type for entry in model_set.models for layer in entry.spec.layers}
    assert {"maxpool", "avgpool"} <= kinds


def test_bad_model_set_files_name_file_and_field(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SpecFormatError, match=r"nope\.json: cannot read"):
        load_model_set(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"input_shape": [1, 28, 28],\n "num_classes": 10, "models": [}')
    with pytest.raises(SpecFormatError, match=r"broken\.json: not valid JSON at line 2"):
        load_model_set(broken)
    doc = {
        "input_shape": [1, 28, 28],
        "num_classes": 10,
        "models": [
            {
                "id": "a",
                "layers": [{"type": "Conv2D", "kernel_size": 3, "filters": "many"}],
            }
        ],
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(SpecFormatError) as info:
        load_model_set(bad)
    assert "bad.json" in str(info.value) and "models[0].layers[0].filters" in str(info.value)
    with pytest.raises(SpecFormatError, match="unknown original layer type 'LSTM'"):
        parse_model_set(
            {
                "input_shape": [1, 2, 2],
                "num_classes": 2,
                "models": [{"layers": [{"type": "LSTM"}]}],
            }
        )
