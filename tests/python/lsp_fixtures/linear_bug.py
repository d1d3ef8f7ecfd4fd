"""A hand-written model with a size bug: the Linear layer expects 1024 features, but the
convolution and pooling before it produce 16×10×10 = 1600."""

import torch
from torch import nn


# remap: input 1x28x28
class BuggyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 5)
        self.pool = nn.MaxPool2d(5, stride=2)
        self.fc = nn.Linear(1024, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)
