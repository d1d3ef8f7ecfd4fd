"""A model REMAP cannot map: its forward adds a skip connection (a residual block)."""

import torch
from torch import nn


class ResidualNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8 * 8 * 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv1(x))
        x = x + torch.relu(self.conv2(x))
        return self.head(torch.flatten(x, 1))
