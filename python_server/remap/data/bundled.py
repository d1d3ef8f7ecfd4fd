"""The bundled offline data set "digits": scikit-learn's hand-written digits (1,797 images of
8×8 pixels, 10 classes, shipped inside scikit-learn so nothing is downloaded), upsampled
bilinearly to 28×28, one grey channel, scaled to [0, 1], classes "0".."9".

Why 28×28: the original REMAP layer vocabulary uses unpadded ("valid") convolutions of size
up to 5×5 and pooling windows of up to 5 with stride 2. On 8×8 images a single 5×5 conv
followed by a pool already leaves a 1×1 map, so most sampled architectures would be invalid.
At 28×28 (the size of the original Quick, Draw! bitmaps) there is room for a few conv/pool
stages, and the original 28×28 model set (the example ``remap-quickdraw``) runs on
it unchanged, with the same parameter counts.

The upsampled array is computed once per process (``functools.lru_cache``) and marked
read-only so no caller can corrupt the cache; splits index it and therefore copy.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.ndimage

from remap.data.dataset import Dataset, FloatArray, LabelArray

DIGITS_NAME = "digits"
DIGITS_SIZE = 28
DIGITS_CLASSES = tuple(str(d) for d in range(10))


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[FloatArray, LabelArray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)  # 0..16 → 0..1
    factor = DIGITS_SIZE / images.shape[1]
    big = scipy.ndimage.zoom(images, (1.0, factor, factor), order=1)  # order 1 = bilinear
    x = np.ascontiguousarray(np.clip(big, 0.0, 1.0)[:, None, :, :], dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def load_digits_dataset() -> Dataset:
    """The bundled data set: x float32 (1797, 1, 28, 28) in [0, 1] (read-only), y int64."""
    x, y = _digits_arrays()
    return Dataset(DIGITS_NAME, DIGITS_CLASSES, x, y)
