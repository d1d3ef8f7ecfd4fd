"""The CLI's promise, through the real entry point: every subcommand (found in the parser,
so new ones are covered automatically) answers bad arguments with a non-zero exit and one
line on stderr, never a traceback; a closed pipe ends quietly; workers that keep dying are
one line; a data set that cannot train a classifier is refused before it is stored, and a
workspace forced into that state is repaired by `remap settings dataset=digits`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from service_helpers import remap, write_tiny_npz

from remap.cli.main import build_parser
from remap.store import Store

# Runs many argument lists through remap.cli.main.main in one interpreter (an interpreter
# start costs about a second): whatever escapes main() is reported as a traceback.
DRIVER = r"""
import contextlib, io, json, sys, traceback
from remap.cli.main import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code = "escaped"
            err.write(traceback.format_exc())
    results.append({"argv": argv, "code": code, "stderr": err.getvalue()})
print(json.dumps(results))
"""


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _is_int(action: argparse.Action) -> bool:
    return action.type is int or getattr(action.type, "__name__", "") == "integer"


def _bad_cases(name: str, parser: argparse.ArgumentParser, tmp: Path) -> list[list[str]]:
    """Argument lists that are each wrong in one way: an unknown model id or a missing file
    for a positional, garbage JSON, negative and huge numbers, a missing or useless data
    set, a store that is not a database."""
    garbage = tmp / "garbage.json"
    workspace = tmp / f"ws-{name}"
    workspace.mkdir(exist_ok=True)
    positional: list[str] = []
    bad_positional = False
    for action in parser._actions:
        if action.option_strings or action.dest == "help":
            continue
        if action.choices:
            positional.append(str(next(iter(action.choices))))
        elif _is_int(action):
            positional.append("424242")
            bad_positional = True
        elif action.nargs == "*":
            positional.append("not-an-assignment")
            bad_positional = True
        else:
            positional.append(str(tmp / "missing.json"))
            bad_positional = True
    options = {o for a in parser._actions for o in a.option_strings}
    common = ["-w", str(workspace)] if "-w" in options else []
    for action in parser._actions:  # required options get a plausible value
        if action.required and action.option_strings:
            common += [action.option_strings[-1], str(workspace / "out.html")]
    base = positional + common
    cases = [base] if bad_positional else []
    for bad_file in (garbage, tmp / "deep.json"):
        cases += [
            [str(bad_file) if p.endswith("missing.json") else p for p in base]
        ] * bad_positional
    for action in parser._actions:
        if not _is_int(action):
            continue
        for value in ("-1", "99999999999999999999999", "x"):
            if action.option_strings:
                cases.append([*base, action.option_strings[-1], value])
            else:
                cases.append([value if p == "424242" else p for p in base])
    if "--dataset" in options:
        cases.append([*base, "--dataset", str(tmp / "missing.npz")])
        cases.append([*base, "--dataset", str(tmp / "one_class.npz")])
        cases.append([*base, "--dataset", str(garbage)])
    if "--transitions" in options:
        cases.append([*base, "--transitions", str(tmp / "deep.json")])
    if "--store" in options:
        cases.append([*base, "--store", str(garbage)])
    cases.append([*base, "--no-such-option"])
    return [[name, *case] for case in cases]


def test_every_subcommand_answers_bad_arguments_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "garbage.json").write_text('{"models": [{"id": ')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    np.savez(tmp_path / "one_class.npz", x=np.zeros((6, 8, 8), np.uint8), y=np.zeros(6, int))
    commands = _subcommands()
    assert {"sample", "train", "list", "import", "settings", "export"} <= set(commands)
    groups = [_bad_cases(name, p, tmp_path) for name, p in sorted(commands.items())]

    def run(cases: list[list[str]]) -> list[dict[str, object]]:
        out = subprocess.run(
            [sys.executable, "-c", DRIVER, json.dumps(cases)],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        results: list[dict[str, object]] = json.loads(out.stdout.splitlines()[-1])
        return results

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [r for group in pool.map(run, groups) for r in group]
    assert len(results) > 5 * len(commands)
    for result in results:
        stderr = str(result["stderr"])
        assert result["code"] not in (0, "escaped"), result
        assert "Traceback" not in stderr, result
        assert stderr.strip(), result
        assert "internal error" not in stderr, result  # each bad input is an expected error


def test_closed_output_pipe_ends_quietly(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    assert remap("sample", "3", "--no-train", "-w", tmp_path, "--dataset", data).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "remap", "list", "--json", "-w", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) != 0
    assert stderr == "", stderr


def test_workers_that_keep_dying_are_one_line(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    assert remap("sample", "1", "--no-train", "-w", tmp_path, "--dataset", data).returncode == 0
    # Every worker process exits at once (a broken environment); the CLI itself is fine.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os, sys\nif 'remap.jobs.worker' in sys.orig_argv:\n    os._exit(3)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    out = remap("train", "--models", "1", "-w", tmp_path, env=env)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "died right after starting" in out.stderr


def test_a_data_set_with_one_class_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    one = tmp_path / "one.npz"
    np.savez(one, x=np.random.default_rng(0).random((20, 8, 8)), y=np.zeros(20, int))
    out = remap("settings", f"dataset={one}", "-w", tmp_path)
    assert out.returncode == 2 and "at least two classes" in out.stderr and str(one) in out.stderr
    out = remap("sample", "2", "--no-train", "-w", tmp_path, "--dataset", one)
    assert out.returncode == 2 and "at least two classes" in out.stderr
    with Store.open(tmp_path / ".remap" / "remap.db") as store:  # nothing was stored
        assert store.get_setting("workspace_settings", {}).get("dataset", "digits") == "digits"
        assert store.list_models() == []
    two = tmp_path / "two.npz"  # two classes, one sample each: nothing is held out
    np.savez(two, x=np.zeros((2, 8, 8)), y=np.array([0, 1]))
    out = remap("settings", f"dataset={two}", "-w", tmp_path)
    assert out.returncode == 2 and "no held-out samples" in out.stderr


def test_a_workspace_forced_into_a_bad_data_set_is_repaired_by_settings(tmp_path: Path) -> None:
    one = tmp_path / "one.npz"
    np.savez(one, x=np.zeros((20, 8, 8)), y=np.zeros(20, int))
    assert remap("settings", "-w", tmp_path).returncode == 0  # creates the store
    with Store.open(tmp_path / ".remap" / "remap.db") as store:
        saved = store.get_setting("workspace_settings", {})
        store.set_setting("workspace_settings", {**saved, "dataset": str(one)})
    out = remap("sample", "1", "--no-train", "-w", tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "at least two classes" in out.stderr and "remap settings dataset=" in out.stderr
    assert remap("queue", "-w", tmp_path).returncode == 0  # opening does not load the data
    fixed = remap("settings", "dataset=digits", "-w", tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    out = remap("sample", "1", "--no-train", "-w", tmp_path)
    assert out.returncode == 0, out.stderr


def test_json_inputs_are_read_with_a_bound(tmp_path: Path) -> None:
    """A device, a folder, a huge or an endless file given where a JSON or Python file is
    expected: one line naming it, at once, never read whole (/dev/zero used to be read until
    memory ran out)."""
    data = write_tiny_npz(tmp_path)
    assert remap("settings", f"dataset={data}", "-w", tmp_path).returncode == 0
    assert remap("sample", "1", "--no-train", "-w", tmp_path).returncode == 0
    huge, huge_py = tmp_path / "huge.json", tmp_path / "huge.py"
    for path in (huge, huge_py):
        with path.open("wb") as fh:
            fh.truncate(80 * 1024 * 1024)  # sparse: 80 MB that take no disk
    for args, named in (
        (["craft", "1", "/dev/zero"], "/dev/zero: is not a regular file"),
        (["sample", "1", "--transitions", "/dev/zero"], "/dev/zero: is not a regular file"),
        (["distances", str(huge)], "huge.json: larger than 67,108,864 bytes"),
        (["craft", "1", str(huge)], "huge.json: larger than 67,108,864 bytes"),
        (["import", str(huge_py)], "huge.py: larger than 512,000 bytes"),
        (["craft", "1", str(tmp_path)], f"{tmp_path}: is a folder"),
        (["evaluate", "99999999999999999999"], "unknown model id 99999999999999999999"),
    ):
        out = remap(*args, "-w", tmp_path)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr and "internal error" not in out.stderr, args
        assert named in out.stderr.strip().splitlines()[-1], (args, out.stderr)


def test_pipes_devices_and_folders_are_refused_at_once(tmp_path: Path) -> None:
    """Where a file is expected, a FIFO that nobody writes (which a plain open() waits on
    forever), a device or a folder is refused at once, naming it."""
    data = write_tiny_npz(tmp_path)
    assert remap("settings", f"dataset={data}", "-w", tmp_path).returncode == 0
    assert remap("sample", "1", "--no-train", "-w", tmp_path).returncode == 0
    for name in ("model.py", "edits.json", "data.npz", "store.db"):
        os.mkfifo(tmp_path / name)
    cifar = tmp_path / "cifar"  # a CIFAR-10 folder whose first batch is a FIFO
    cifar.mkdir()
    os.mkfifo(cifar / "data_batch_1")
    (cifar / "test_batch").write_bytes(b"")
    for args, named in (
        (["import", "model.py"], "model.py: is not a regular file"),
        (["craft", "1", str(tmp_path / "edits.json")], "edits.json: is not a regular file"),
        (["distances", str(tmp_path / "edits.json")], "edits.json: is not a regular file"),
        (["settings", f"dataset={tmp_path / 'data.npz'}"], "data.npz: is not a regular file"),
        (["settings", "dataset=/dev/zero"], "/dev/zero: is not a regular file"),
        (["settings", f"dataset={cifar}"], "data_batch_1: is not a regular file"),
        (["import", str(tmp_path)], f"{tmp_path}: is a folder"),
        (["list", "--store", "store.db"], "store.db is not a regular file"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "remap", *args, "-w", str(tmp_path)],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        assert out.returncode == 2, (args, out.stderr)
        assert named in out.stderr.strip().splitlines()[-1], (args, out.stderr)


def test_export_names_the_flag_the_path_and_the_reason(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    assert remap("settings", f"dataset={data}", "-w", tmp_path).returncode == 0
    assert remap("sample", "1", "--no-train", "-w", tmp_path).returncode == 0
    assert remap("export", "1", "--out", "m.py", "-w", tmp_path).returncode == 0
    again = remap("export", "1", "--out", "m.py", "-w", tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().endswith("m.py already exists; pass --force to replace it")
    assert remap("export", "1", "--out", "m.py", "--force", "-w", tmp_path).returncode == 0
    odd = remap("export", "1", "--out", "model.txt", "-w", tmp_path)
    assert odd.returncode == 2 and "--out model.txt: an exported model is a .py file" in odd.stderr
    assert not (tmp_path / "model.txt").exists()  # no folder named model.txt made
    nowhere = remap("export", "1", "--out", "/proc/m.py", "-w", tmp_path)
    assert nowhere.returncode == 2 and "cannot write /proc/m.py" in nowhere.stderr
    assert ".tmp" not in nowhere.stderr  # the temporary file is not what the user asked for
