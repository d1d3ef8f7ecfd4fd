"""Data sets: loaders for the bundled offline default and the formats users have,
deterministic train/held-out splits, and small summaries (example images per class)."""

from remap.data.bundled import DIGITS_NAME, load_digits_dataset
from remap.data.cifar import load_cifar10
from remap.data.dataset import DataError, Dataset, Split, split_dataset
from remap.data.imagefolder import load_image_folder
from remap.data.mnist import load_mnist, read_idx
from remap.data.npz import load_npz
from remap.data.quickdraw import load_quickdraw
from remap.data.registry import describe_sources, detect_format, load_split
from remap.data.summary import class_counts, examples_per_class, image_to_png_base64
from remap.data.synthetic import make_synthetic_split

__all__ = [
    "DIGITS_NAME",
    "DataError",
    "Dataset",
    "Split",
    "class_counts",
    "describe_sources",
    "detect_format",
    "examples_per_class",
    "image_to_png_base64",
    "load_cifar10",
    "load_digits_dataset",
    "load_image_folder",
    "load_mnist",
    "load_npz",
    "load_quickdraw",
    "load_split",
    "make_synthetic_split",
    "read_idx",
    "split_dataset",
]
