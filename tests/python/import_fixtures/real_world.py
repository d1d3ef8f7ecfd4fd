"""Common real-world model shapes REMAP cannot map, each for its own reason (used by
test_cli_import.py; never executed)."""

import torch
import torch.nn as nn
from mylib.blocks import Block


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.relu(out)
        out += identity
        return out


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 32 * 32, 10)

    def forward(self, x):
        out = self.conv1(x)
        out = out + x
        return self.fc(torch.flatten(out, 1))


class VGG(nn.Module):
    def __init__(self, cfg=(64, "M", 128, "M")):
        super().__init__()
        layers = []
        in_channels = 3
        for v in cfg:
            if v == "M":
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                layers += [
                    nn.Conv2d(in_channels, v, kernel_size=3, padding=1),
                    nn.ReLU(inplace=True),
                ]
                in_channels = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(128 * 8 * 8, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def make_layers(cfg):
    return nn.Sequential(nn.Conv2d(3, 8, 3))


class Helper(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = conv3x3(3, 8)
        self.fc = nn.Linear(8 * 32 * 32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class VGG2(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = make_layers([64])
        self.classifier = nn.Linear(8 * 30 * 30, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class UsesOther(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(3, 8)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        return self.fc(self.block(x))


class UsesLocal(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = BasicBlock(3, 8)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        return self.fc(self.block(x))


class Looped(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 3, 3, padding=1) for _ in range(3)])
        self.fc = nn.Linear(3 * 32 * 32, 10)

    def forward(self, x):
        for conv in self.convs:
            x = conv(x)
        return self.fc(torch.flatten(x, 1))


class Cat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 3, 3, padding=1)
        self.fc = nn.Linear(6 * 32 * 32, 10)

    def forward(self, x):
        y = self.a(x)
        x = torch.cat([x, y], 1)
        return self.fc(torch.flatten(x, 1))


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 10)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        return self.fc(self.lstm(x))
