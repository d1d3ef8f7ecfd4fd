"""SmallNet with its only `import torch` under the main guard (the class body needs it)."""

from torch import nn


class SmallNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3)
        self.act1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2, stride=2)
        self.flatten1 = nn.Flatten()
        self.fc1 = nn.Linear(72, 24)
        self.act2 = nn.ReLU()
        self.out = nn.Linear(24, 3)

    def forward(self, x):
        return self.out(self.act2(self.fc1(self.flatten1(self.pool1(self.act1(self.conv1(x)))))))


if __name__ == "__main__":
    import torch

    print(SmallNet()(torch.zeros(1, 1, 8, 8)).shape)
