"""Loader for an image folder: one sub-folder per class (the folder name is the class name)
holding PNG/JPEG/BMP/GIF/WebP images. If every image is grey the data set has one channel,
otherwise three; all images are resized (bilinear) to one size: ``size`` if given, else the
most common size. Transparent pixels are composited onto white. A folder whose ``train/`` and
``test/`` (or ``val/``) sub-folders each hold class folders is kept as its own split.

Pillow's decompression-bomb limit is an error here (not a warning), and the whole set's
size is checked against the data limit from the image headers before any pixel is read."""

from __future__ import annotations

import contextlib
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from remap.data.arrays import check_cap, to_images
from remap.data.dataset import DataError, Dataset, Split
from remap.data.limits import images_budget

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"})
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_TEST_NAMES = ("test", "val", "valid", "validation")
_EXIF_ORIENTATION = 0x0112

Size = tuple[int, int]  # (height, width)
Uint8Image = npt.NDArray[np.uint8]


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and _visible(p))


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and _visible(p) and p.suffix.lower() in IMAGE_SUFFIXES
    )


def looks_like_image_folder(root: Path) -> bool:
    """Whether some sub-folder of ``root`` (or of ``root/train``) directly holds images."""
    dirs = _class_dirs(root)
    if any(image_files(d) for d in dirs):
        return True
    train = root / "train"
    return train.is_dir() and any(image_files(d) for d in _class_dirs(train))


@contextlib.contextmanager
def _bomb_guard(path: Path) -> Iterator[None]:
    """Pillow's decompression-bomb check as an error (it only warns up to twice its limit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DataError(
                str(path),
                f"more than {Image.MAX_IMAGE_PIXELS or 0:,} pixels: refused as a possible "
                "decompression bomb",
            ) from None


def _open_size(path: Path) -> tuple[Size, str]:
    try:
        with _bomb_guard(path), Image.open(path) as img:
            w, h = img.size
            if img.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
                w, h = h, w
            return (h, w), img.mode
    except DataError:
        raise
    except Exception as exc:  # Pillow raises many kinds of errors on bad files
        raise DataError(str(path), f"not a readable image ({exc})") from None


def _pixels(path: Path, size: Size) -> Uint8Image:
    """(H, W) for grey images, (H, W, 3) otherwise, resized to ``size``."""
    try:
        with _bomb_guard(path), Image.open(path) as raw:
            img = ImageOps.exif_transpose(raw)
            if img.mode in ("RGBA", "LA", "La", "RGBa", "PA") or "transparency" in img.info:
                rgba = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
                img = img.convert("L" if raw.mode in _GREY_MODES else "RGB")
            elif img.mode.startswith("I;16") or img.mode == "I":
                arr = np.asarray(img, dtype=np.float64)
                top = 65535.0 if arr.max() > 255 else 255.0
                img = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).astype(np.uint8), "L")
            elif img.mode == "F":
                arr = np.asarray(img, dtype=np.float64)
                top = 1.0 if arr.max() <= 1.0 else 255.0
                img = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).astype(np.uint8), "L")
            else:
                img = img.convert("L" if img.mode in _GREY_MODES else "RGB")
            h, w = size
            if img.size != (w, h):
                img = img.resize((w, h), Image.Resampling.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(str(path), f"not a readable image ({exc})") from None


def _target_size(sizes: list[Size], size: int | tuple[int, int] | None, src: str) -> Size:
    if size is None:
        counts = Counter(sizes)
        return max(counts, key=lambda s: (counts[s], s[0] * s[1], s))
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise DataError(src, f"size must be a positive integer or (height, width), got {size!r}")
    return (pair[0], pair[1])


def _collect(root: Path, max_per_class: int | None) -> dict[str, list[Path]]:
    dirs = _class_dirs(root)
    if not dirs:
        raise DataError(str(root), "no class sub-folders (expected one folder of images per class)")
    per_class: dict[str, list[Path]] = {}
    for d in dirs:
        files = image_files(d)
        if not files:
            kinds = ", ".join(sorted(IMAGE_SUFFIXES))
            raise DataError(str(d), f"class folder holds no images ({kinds})")
        per_class[d.name] = files[:max_per_class] if max_per_class else files
    return per_class


def _load(
    parts: list[dict[str, list[Path]]], size: int | tuple[int, int] | None, src: str
) -> tuple[tuple[str, ...], list[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]]]:
    classes = tuple(sorted({c for part in parts for c in part}))
    files = [p for part in parts for paths in part.values() for p in paths]
    target = _target_size([_open_size(p)[0] for p in files], size, src)
    images_budget(len(files), (3, *target), src)
    out: list[tuple[list[Uint8Image], list[int]]] = []
    grey = True
    for part in parts:
        images: list[Uint8Image] = []
        labels: list[int] = []
        for name, paths in part.items():
            for p in paths:
                px = _pixels(p, target)
                if px.ndim == 3 and not (
                    (px[..., 0] == px[..., 1]).all() and (px[..., 1] == px[..., 2]).all()
                ):
                    grey = False
                images.append(px)
                labels.append(classes.index(name))
        out.append((images, labels))
    result = []
    for images, labels in out:
        if grey:
            stack = np.stack([im if im.ndim == 2 else im[..., 0] for im in images])
        else:
            stack = np.stack(
                [im if im.ndim == 3 else np.repeat(im[..., None], 3, 2) for im in images]
            )
        x = to_images(stack, src, channels_last=True) if stack.ndim == 4 else to_images(stack, src)
        result.append((x, np.asarray(labels, dtype=np.int64)))
    return classes, result


def load_image_folder(
    root: str | Path, size: int | tuple[int, int] | None = None, max_per_class: int | None = None
) -> Dataset | Split:
    """Read an image folder (see the module docstring); ``size`` is an int or (height, width);
    ``max_per_class`` keeps the first images (by file name) of each class (in each part)."""
    root = Path(root)
    src = str(root)
    check_cap(max_per_class, src)
    if size is not None:
        _target_size([], size, src)  # reject a bad size before reading any image
    if not root.is_dir():
        raise DataError(src, "folder not found")
    name = root.name or src
    test_dir = next((root / t for t in _TEST_NAMES if (root / t).is_dir()), None)
    train_dir = root / "train"
    if test_dir is not None and train_dir.is_dir() and _class_dirs(train_dir):
        train = _collect(train_dir, max_per_class)
        test = _collect(test_dir, max_per_class)
        classes, ((tr_x, tr_y), (te_x, te_y)) = _load([train, test], size, src)
        return Split(name, classes, tr_x, tr_y, te_x, te_y)
    classes, ((x, y),) = _load([_collect(root, max_per_class)], size, src)
    return Dataset(name, classes, x, y)
