"""Data sets: loaders for the bundled offline default and the formats users have,
deterministic train/held-out splits, and small summaries (example images per class)."""

from remap.data.dataset import DataError, Dataset, Split, split_dataset

__all__ = ["DataError", "Dataset", "Split", "split_dataset"]
