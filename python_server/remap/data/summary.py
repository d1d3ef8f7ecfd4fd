"""Small summaries of a split for the data selector: sample counts per class, a few example
images per class, and an image as base64 PNG text."""

from __future__ import annotations

import base64
import io

import numpy as np
import numpy.typing as npt
from PIL import Image

from remap.data.dataset import DataError, Split


def class_counts(split: Split) -> dict[str, tuple[int, int]]:
    """Class name → (training samples, held-out samples), in class order."""
    k = split.num_classes
    train = np.bincount(split.train_y, minlength=k)
    test = np.bincount(split.test_y, minlength=k)
    return {name: (int(train[i]), int(test[i])) for i, name in enumerate(split.classes)}


def examples_per_class(
    split: Split, per_class: int = 4, seed: int = 0
) -> dict[str, list[npt.NDArray[np.float32]]]:
    """Class name → up to ``per_class`` (C, H, W) images of that class, drawn (seeded) from the
    training set, or from the held-out set for a class without training samples."""
    if per_class < 0:
        raise DataError(split.name, f"per_class must not be negative, got {per_class}")
    rng = np.random.default_rng(seed)
    out: dict[str, list[npt.NDArray[np.float32]]] = {}
    for label, name in enumerate(split.classes):
        xs, ys = split.train_x, split.train_y
        members = np.flatnonzero(ys == label)
        if members.size == 0:
            xs, ys = split.test_x, split.test_y
            members = np.flatnonzero(ys == label)
        pick = rng.choice(members, size=min(per_class, members.size), replace=False)
        out[name] = [np.array(xs[i], dtype=np.float32) for i in np.sort(pick)]
    return out


def image_to_png_base64(img: npt.NDArray[np.floating], scale: int = 2) -> str:
    """A (C, H, W) (or (H, W)) image in [0, 1] as base64 PNG text, enlarged ``scale`` times
    with nearest-neighbour pixels. One channel → grey, three → RGB, four → RGBA, any other
    count → the channel mean in grey."""
    arr = np.asarray(img, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or min(arr.shape) == 0:
        raise ValueError(f"expected a (C, H, W) image, got shape {arr.shape}")
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    if arr.shape[0] not in (1, 3, 4):
        arr = arr.mean(axis=0, keepdims=True)
    pixels = np.round(np.clip(np.nan_to_num(arr), 0.0, 1.0) * 255.0).astype(np.uint8)
    if pixels.shape[0] == 1:
        pil = Image.fromarray(pixels[0], "L")
    else:
        pil = Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
    if scale != 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")
