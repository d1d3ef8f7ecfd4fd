"""A model written as a module-level nn.Sequential, for 1×8×8 inputs and 3 classes."""

from torch import nn

# remap: input 1x8x8
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(6 * 3 * 3, 16),
    nn.ReLU(),
    nn.Linear(16, 3),
)
