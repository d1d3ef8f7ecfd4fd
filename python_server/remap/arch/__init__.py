"""Architecture specs: the layer vocabulary, the immutable spec, shapes, counts, validation,
sampling and the experiments (ablation, variation, hand-crafted edits) that derive children."""

from remap.arch.errors import ArchError, SpecFormatError
from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
)
from remap.arch.shapes import LayerInfo, ShapeReport, TensorShape, analyse, validate
from remap.arch.spec import ArchSpec

__all__ = [
    "Activation",
    "ArchError",
    "ArchSpec",
    "AvgPool",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAvgPool",
    "Layer",
    "LayerInfo",
    "MaxPool",
    "ShapeReport",
    "SpecFormatError",
    "TensorShape",
    "analyse",
    "validate",
]
