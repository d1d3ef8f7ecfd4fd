"""Paths from the editor client are confined to the workspace folder: ``remap/export``,
``remap.server.exportVariant`` and the ``remap.storePath`` setting write only inside it
(``..``, absolute paths, ``~``, ``file:`` URIs, a symlink inside pointing out, a folder outside
are refused with -32602 naming the param and the path, and nothing is written). Reading a
file the user points at (import, code-lens commands, the data set) stays allowed. Real server
over stdio, raw client, real files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_fixtures.harness import FIXTURES, add_trained, write_npz
from lsp_fixtures.raw_client import RawServer, error_of

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool


class Env:
    def __init__(self, server: RawServer, root: Path, outside: Path, model: int) -> None:
        self.server, self.root, self.outside, self.model = server, root, outside, model


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base = tmp_path_factory.mktemp("confine")
    root, outside = base / "ws", base / "outside"
    root.mkdir()
    outside.mkdir()
    data = write_npz(root / "data.npz")
    spec = ArchSpec(
        (1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3))
    )
    (model,) = add_trained(root / ".remap" / "remap.db", data, [spec], [0.8])
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (outside / "target.py").write_text("# not to be overwritten\n")
    (root / "out_link.py").symlink_to(outside / "target.py")  # a file link pointing out
    (root / "net.py").write_text((FIXTURES / "exported_model.py").read_text())
    (outside / "net.py").write_text((FIXTURES / "exported_model.py").read_text())
    server = RawServer(root)
    server.initialize({"dataset": str(data), "autoTrain": False})
    yield Env(server, root, outside, model)
    server.close()


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _hostile_paths(env: Env) -> list[str]:
    home = Path.home()
    return [
        "../escaped",
        "../escaped.py",
        "sub/../../escaped.py",
        str(env.outside),
        str(env.outside / "m.py"),
        "escape",  # a symlink inside the workspace pointing out
        "escape/m.py",
        "escape/new/sub",
        "out_link.py",
        (env.outside / "m.py").as_uri(),
        env.outside.as_uri(),
        "~/remap-escape-test",
        "~",
        "/etc",
        "/",
        str(home / "remap-escape-test.py"),
        "file://otherhost/x.py",
        "https://example.com/x.py",
    ]


def test_export_outside_the_workspace_is_refused_naming_the_path(env: Env) -> None:
    before = _tree(env.outside)
    home_before = set(os.listdir(Path.home()))
    for path in _hostile_paths(env):
        answer = env.server.call("remap/export", {"modelId": env.model, "path": path})
        code, message = error_of(answer)
        assert code == -32602, (path, answer)
        assert message.startswith("path:"), message
        assert repr(path) in message or path[:40] in message, (path, message)
    assert _tree(env.outside) == before
    assert (env.outside / "target.py").read_text() == "# not to be overwritten\n"
    assert set(os.listdir(Path.home())) == home_before
    assert not (env.root.parent / "escaped").exists()
    assert not (env.root / "file:").exists()


def test_export_inside_the_workspace_works_for_paths_and_uris(env: Env) -> None:
    for path, expected in [
        ("exports/a.py", env.root / "exports" / "a.py"),
        ("exports", None),
        ((env.root / "exports" / "uri.py").as_uri(), env.root / "exports" / "uri.py"),
        (str(env.root / "sub" / ".." / "abs.py"), env.root / "abs.py"),
    ]:
        answer = env.server.call(
            "remap/export", {"modelId": env.model, "path": path, "overwrite": True}
        )
        assert "result" in answer, (path, answer)
        written = Path(answer["result"]["path"])
        assert written.is_file() and written.resolve().is_relative_to(env.root.resolve())
        if expected is not None:
            assert written.resolve() == expected.resolve()
    assert not (env.root / "file:").exists()


def test_export_variant_next_to_a_file_outside_is_refused(env: Env) -> None:
    before = _tree(env.outside)
    for uri in ((env.outside / "net.py").as_uri(), (env.root / "escape" / "net.py").as_uri()):
        answer = env.server.call(
            "workspace/executeCommand",
            {"command": "remap.server.exportVariant", "arguments": [uri, "SmallNet", env.model]},
        )
        code, message = error_of(answer)
        assert code == -32602 and message.startswith("arguments[0]:"), message
        assert "outside the workspace" in message
    assert _tree(env.outside) == before
    inside = env.server.call(
        "workspace/executeCommand",
        {
            "command": "remap.server.exportVariant",
            "arguments": [(env.root / "net.py").as_uri(), "SmallNet", env.model],
        },
    )
    assert Path(inside["result"]["path"]).parent.resolve() == env.root.resolve()


def test_reading_a_file_outside_the_workspace_stays_allowed(env: Env) -> None:
    answer = env.server.call(
        "remap/importFile",
        {"uri": (env.outside / "net.py").as_uri(), "className": "SmallNet", "train": False},
    )
    assert "result" in answer, answer


def test_store_path_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "ws", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    server = RawServer(root)
    try:
        server.initialize({"storePath": str(outside / "stolen.db"), "autoTrain": False})
        status = server.call("remap/status", {})["result"]
        assert Path(status["storePath"]).resolve() == (root / ".remap" / "remap.db").resolve()
        shown = [m for m in _messages(server) if "storePath" in m]
        assert shown and "outside the workspace" in shown[0], shown
        assert not any(outside.iterdir())
    finally:
        server.close()


def _messages(server: RawServer) -> list[str]:
    return [str(p["message"]) for p in server.notifications("window/showMessage")]
