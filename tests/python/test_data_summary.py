"""Summaries for the data selector: counts per class, example images, PNG encoding."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from remap.data import (
    Split,
    class_counts,
    examples_per_class,
    image_to_png_base64,
    load_split,
    make_synthetic_split,
)


def _decode(text: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(text, validate=True)))


def test_class_counts_match_the_labels() -> None:
    split = load_split("digits", holdout=0.2, seed=0)
    counts = class_counts(split)
    assert list(counts) == list(split.classes)
    assert sum(tr for tr, _ in counts.values()) == len(split.train_y)
    assert sum(te for _, te in counts.values()) == len(split.test_y)
    assert counts["3"] == (int((split.train_y == 3).sum()), int((split.test_y == 3).sum()))


def test_examples_per_class_are_of_their_class_and_seeded() -> None:
    split = make_synthetic_split(60, 20, num_classes=3, seed=0)
    ex = examples_per_class(split, per_class=4, seed=1)
    assert list(ex) == ["c0", "c1", "c2"]
    for label, name in enumerate(split.classes):
        assert len(ex[name]) == 4
        members = split.train_x[split.train_y == label]
        for img in ex[name]:
            assert img.shape == (1, 28, 28) and img.dtype == np.float32
            assert any(np.array_equal(img, m) for m in members)
    again = examples_per_class(split, per_class=4, seed=1)
    other = examples_per_class(split, per_class=4, seed=2)
    assert all(np.array_equal(a, b) for a, b in zip(ex["c1"], again["c1"], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(ex["c1"], other["c1"], strict=True))


def test_examples_fall_back_to_held_out_and_cap_at_available() -> None:
    x = np.arange(4 * 4, dtype=np.float32).reshape(4, 1, 2, 2) / 16
    split = Split("t", ("a", "b"), x[:2], np.array([0, 0]), x[2:], np.array([1, 0], dtype=np.int64))
    ex = examples_per_class(split, per_class=5)
    assert len(ex["a"]) == 2  # only two training samples of "a"
    assert len(ex["b"]) == 1 and np.array_equal(ex["b"][0], x[2])  # from the held-out set


def test_png_grey_and_rgb_round_trip() -> None:
    grey = np.linspace(0, 1, 12, dtype=np.float32).reshape(1, 3, 4)
    img = _decode(image_to_png_base64(grey, scale=3))
    assert img.format == "PNG" and img.mode == "L" and img.size == (12, 9)
    pixels = np.asarray(img)
    np.testing.assert_array_equal(pixels[::3, ::3], np.round(grey[0] * 255).astype(np.uint8))
    assert pixels[1, 1] == pixels[0, 0]  # nearest-neighbour enlargement

    rgb = np.zeros((3, 2, 2), dtype=np.float32)
    rgb[0, 0, 0] = 1.0
    rgb[2, 1, 1] = 2.0  # out of range: clipped
    out = np.asarray(_decode(image_to_png_base64(rgb, scale=1)))
    assert out.shape == (2, 2, 3)
    assert out[0, 0].tolist() == [255, 0, 0] and out[1, 1].tolist() == [0, 0, 255]


def test_png_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="expected a"):
        image_to_png_base64(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError, match="scale"):
        image_to_png_base64(np.zeros((1, 2, 2)), scale=0)
