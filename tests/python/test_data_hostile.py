"""Hostile data files are refused with a clean DataError naming the file, while memory stays
bounded: each loader runs in a subprocess whose address space is capped at its size after
start-up plus 512 MiB, so an unbounded decompression would end in MemoryError (or a kill)
instead of the expected message."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

HEADROOM = 512 * 1024**2
LOADER = r"""
import resource, sys
from remap.data import DataError, load_split
with open("/proc/self/status") as fh:
    vm = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (vm + int(sys.argv[2]), vm + int(sys.argv[2])))
try:
    load_split(sys.argv[1])
    print("loaded")
except DataError as exc:
    print("DataError:", exc)
"""


def load_capped(source: Path, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", LOADER, str(source), str(HEADROOM)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **env},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    return out.stdout.strip()


def _idx(dims: tuple[int, ...], data: bytes = b"") -> bytes:
    return bytes([0, 0, 0x08, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def _mnist_folder(root: Path, train_images: bytes) -> Path:
    root.mkdir()
    (root / "train-images-idx3-ubyte.gz").write_bytes(train_images)
    (root / "train-labels-idx1-ubyte").write_bytes(_idx((10,), bytes(range(10))))
    (root / "t10k-images-idx3-ubyte").write_bytes(_idx((10, 28, 28), bytes(7840)))
    (root / "t10k-labels-idx1-ubyte").write_bytes(_idx((10,), bytes(range(10))))
    return root


def test_gzip_bomb_behind_a_lying_mnist_header(tmp_path: Path) -> None:
    # The header says 10 images of 28×28 (7,840 bytes); the stream inflates to 1 GiB.
    zeros = gzip.compress(bytes(16 * 1024**2), compresslevel=9)
    bomb = gzip.compress(_idx((10, 28, 28), bytes(7840))) + zeros * 64
    assert len(bomb) < 2 * 1024**2
    folder = _mnist_folder(tmp_path / "mnist", bomb)
    message = load_capped(folder)
    assert message.startswith("DataError:"), message
    assert "train-images-idx3-ubyte.gz" in message and "more data than its header says" in message


def test_mnist_header_claiming_huge_dimensions(tmp_path: Path) -> None:
    folder = _mnist_folder(tmp_path / "mnist", gzip.compress(_idx((60000, 4000, 4000), bytes(99))))
    message = load_capped(folder)
    assert message.startswith("DataError:") and "train-images-idx3-ubyte.gz" in message
    assert "60000×4000×4000 values would take" in message and "REMAP_MAX_DATA_BYTES" in message


def test_npz_member_that_inflates_hugely(tmp_path: Path) -> None:
    # 256 MiB of zeros in one member, about 256 KiB compressed; the limit is set to 64 MiB.
    path = tmp_path / "bomb.npz"
    header = io.BytesIO()
    shape = (256, 1024, 1024)
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x.npy", "w") as member:
            member.write(header.getvalue())
            chunk = bytes(16 * 1024**2)
            for _ in range(16):
                member.write(chunk)
        archive.writestr("y.npy", b"")
    assert path.stat().st_size < 2 * 1024**2
    message = load_capped(path, REMAP_MAX_DATA_BYTES=str(64 * 1024**2))
    assert message.startswith("DataError:") and "bomb.npz" in message, message
    assert "the archive's arrays would take 256.0 MiB" in message


def test_npz_member_header_larger_than_the_member(tmp_path: Path) -> None:
    # The .npy header claims 4 GiB of float64; the member really holds 80 bytes.
    path = tmp_path / "liar.npz"
    np.savez(path, x=np.zeros(10), y=np.zeros(10))
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    members["x.npy"] = members["x.npy"].replace(b"(10,)", b"(536870912,)", 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    message = load_capped(path)
    assert message.startswith("DataError:") and "liar.npz" in message
    assert "array 'x' of 536870912 float64 needs" in message


def test_cifar_pickle_with_nested_shared_labels(tmp_path: Path) -> None:
    # Ten references to one list, nine levels deep: tiny as a pickle, 10^9 labels as an array.
    labels: list[object] = [0] * 10
    for _ in range(8):
        labels = [labels] * 10
    folder = tmp_path / "cifar"
    folder.mkdir()
    batch = {"data": np.zeros((10, 3072), np.uint8), "labels": labels}
    for name in ("data_batch_1", "test_batch"):
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    message = load_capped(folder)
    assert message.startswith("DataError:") and "data_batch_1" in message
    assert "'labels' must be a list of integers" in message


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(bytes(width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [10_000, 20_000])  # above Pillow's warning and error limits
def test_image_decompression_bomb(tmp_path: Path, side: int) -> None:
    for name in ("a", "b"):
        (tmp_path / "images" / name).mkdir(parents=True)
        (tmp_path / "images" / name / "ok.png").write_bytes(_png(8, 8))
    (tmp_path / "images" / "a" / "bomb.png").write_bytes(_png(side, side))
    message = load_capped(tmp_path / "images")
    assert message.startswith("DataError:") and "bomb.png" in message
    assert "decompression bomb" in message
