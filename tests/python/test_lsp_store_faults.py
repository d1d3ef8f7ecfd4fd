"""A store in a read-only workspace or on a full disk is reported as what it is (read-only,
disk full, with the path), never as a corrupt store; read-only commands work on a read-only
workspace. The read-only workspace is real: the CLI and the server run as the unprivileged
user ``nobody`` (via ``setpriv``) on a workspace owned by root (root ignores permissions).
The full disk is SQLite's own SQLITE_FULL, provoked with ``PRAGMA max_page_count``
(simulated: no full file system is mounted)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_fixtures.harness import add_trained, server_env, small_spec, write_npz
from lsp_fixtures.raw_client import RawServer, error_of

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool
from remap.store import Store, StoreError, StoreUnusableError

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
SPEC = ArchSpec((1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3)))


@pytest.fixture
def readonly_ws() -> Iterator[tuple[Path, Path, int]]:
    """A trained workspace owned by root, readable (not writable) by ``nobody``, and a
    folder ``nobody`` may write (its home and caches)."""
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to run as another user"
    base = Path(tempfile.mkdtemp(prefix="remap-ro-", dir="/tmp"))
    base.chmod(0o755)
    ws, scratch = base / "ws", base / "scratch"
    ws.mkdir()
    scratch.mkdir()
    scratch.chmod(0o777)
    data = write_npz(ws / "data.npz")
    (model,) = add_trained(ws / ".remap" / "remap.db", data, [SPEC], [0.8])
    with Store.open(ws / ".remap" / "remap.db") as store:  # the workspace's data set
        store.set_setting("workspace_settings", {"dataset": str(data)})
    for path in [ws, *ws.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    try:
        yield ws, scratch, model
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _nobody_env(scratch: Path) -> dict[str, str]:
    return server_env(scratch / "cache", HOME=str(scratch), NUMBA_CACHE_DIR=str(scratch / "nb"))


def _cli(ws: Path, scratch: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NOBODY, sys.executable, "-m", "remap", *args, "-w", str(ws)],
        capture_output=True, text=True, env=_nobody_env(scratch), timeout=300, check=False,
    )  # fmt: skip


def test_read_only_workspace_cli_reads_and_names_the_cause_as_nobody(
    readonly_ws: tuple[Path, Path, int],
) -> None:
    ws, scratch, model = readonly_ws
    listed = _cli(ws, scratch, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [m["id"] for m in json.loads(listed.stdout)] == [model]
    table = _cli(ws, scratch, "list")
    assert table.returncode == 0 and "sampled" in table.stdout, table.stderr
    exported = _cli(ws, scratch, "export", str(model), "--out", str(scratch / "m.py"))
    assert exported.returncode == 0 and "class" in (scratch / "m.py").read_text(), exported.stderr
    report = _cli(ws, scratch, "report", "--out", str(scratch / "report.html"))
    assert report.returncode == 0 and (scratch / "report.html").is_file(), report.stderr
    changed = _cli(ws, scratch, "sample", "1")
    assert changed.returncode != 0
    assert "read-only" in changed.stderr and "Traceback" not in changed.stderr
    assert "not a usable" not in changed.stderr
    assert not (ws / ".remap" / "remap.db-journal").exists()


def test_read_only_workspace_server_views_and_refuses_writes_as_nobody(
    readonly_ws: tuple[Path, Path, int],
) -> None:
    ws, scratch, model = readonly_ws
    server = RawServer(ws, env=_nobody_env(scratch), prefix=NOBODY, log_path=scratch / "server.log")
    try:
        server.initialize({"autoTrain": False})
        listed = server.call("remap/listModels", {})["result"]
        assert [m["id"] for m in listed["models"]] == [model]
        code, message = error_of(
            server.call("remap/generate", {"kind": "spec", "spec": small_spec(), "train": False})
        )
        assert code == -32603 and "read-only" in message, message
        shown = [str(p["message"]) for p in server.notifications("window/showMessage")]
        assert any("read-only" in m for m in shown), shown
        assert not any(m.startswith("REMAP setting") for m in shown), shown
    finally:
        server.close()


def test_read_only_store_file_refuses_writes_simulated_with_readonly_open(tmp_path: Path) -> None:
    db = tmp_path / "remap.db"
    Store.open(db).close()
    with Store.open(db, readonly=True) as store:
        assert store.readonly and store.list_models() == []
        with pytest.raises(StoreUnusableError, match="read-only"):
            store.add_model(SPEC, origin="sampled")


def test_full_disk_is_named_simulated_with_max_page_count(tmp_path: Path) -> None:
    db = tmp_path / "remap.db"
    with Store.open(db) as store:
        conn = store._connection()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreUnusableError) as info:
            for filters in range(1, 400):  # grow until SQLite reports SQLITE_FULL
                spec = ArchSpec((1, 8, 8), 3, (Conv2D(3, filters), Flatten(), Dense(3)))
                store.add_model(spec, origin="sampled", name="x" * 2000)
        assert "disk is full" in str(info.value) and str(db) in str(info.value)
        assert "not a usable" not in str(info.value)
        conn.execute("PRAGMA max_page_count = 1000000")  # space is back: writes work again
        store.add_model(
            ArchSpec((1, 8, 8), 3, (Conv2D(3, 999), Flatten(), Dense(3))), origin="sampled"
        )


def test_junk_file_is_still_not_a_usable_store(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(StoreError, match="not a usable REMAP store"):
        Store.open(junk)


def test_full_disk_is_said_in_the_editor_and_when_space_is_back_simulated(tmp_path: Path) -> None:
    """Simulated: the fault flag ``REMAP_FAULT_DISK_FULL`` makes the disk count as full."""
    flag = tmp_path / "disk-full.flag"
    env = server_env(tmp_path / ".cache", REMAP_FAULT_DISK_FULL=str(flag))
    server = RawServer(tmp_path, env=env)
    try:
        server.initialize({"autoTrain": False})
        assert server.call("remap/status", {})["result"]
        flag.touch()
        # Each state change is said on the watcher's next look (every 2 s); the bound is for a
        # loaded CI machine, where one full-suite run once missed a 30 s one.
        full = server.wait_message("is full", timeout=120)
        assert str(tmp_path / ".remap") in full and "resumes when space is freed" in full
        flag.unlink()
        server.wait_message("disk space again", timeout=120)
    finally:
        server.close()


def test_full_disk_is_said_in_the_terminal_during_train_simulated(tmp_path: Path) -> None:
    """Simulated with the fault flag: ``remap train`` says the disk is full on stderr."""
    flag = tmp_path / "disk-full.flag"
    flag.touch()
    data = write_npz(tmp_path / "data.npz")
    env = server_env(tmp_path / ".cache", REMAP_FAULT_DISK_FULL=str(flag))

    def remap(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "remap", *args, "-w", str(tmp_path)],
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )  # fmt: skip

    assert remap("settings", f"dataset={data}", "epochs=1", "max_params=5000").returncode == 0
    assert remap("sample", "1", "--no-train").returncode == 0
    trained = remap("train", "--models", "1")
    assert trained.returncode == 0, trained.stderr
    assert "is full" in trained.stderr and str(tmp_path / ".remap") in trained.stderr
