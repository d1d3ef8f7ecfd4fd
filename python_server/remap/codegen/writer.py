"""Writing an exported model into a folder: never outside it, never over an existing file
unless asked, and atomically (a temporary file in the same folder, then a rename). A trained
model's weights go beside the source as ``NAME.safetensors`` (copied from the store, also
atomically, and before the source, so a source that loads weights never lacks them)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path, PurePath

from remap.arch.spec import ArchSpec
from remap.codegen.errors import CodegenError
from remap.codegen.export import Inference, Provenance, export_source
from remap.codegen.naming import DEFAULT_CLASS_NAME, class_name_for, module_filename_for


def _target(folder: Path, filename: str) -> Path:
    """``folder/filename`` after checking it cannot leave ``folder``."""
    if not filename or "\x00" in filename:
        raise CodegenError(f"invalid file name {filename!r}")
    rel = PurePath(filename)
    if rel.is_absolute() or rel.drive or rel.root:
        raise CodegenError(f"file name {filename!r} must be relative to the folder {folder}")
    if any(part == ".." for part in rel.parts):
        raise CodegenError(f"file name {filename!r} must not contain '..'")
    if rel.suffix != ".py":
        raise CodegenError(f"file name {filename!r} must end in .py")
    try:
        root = folder.resolve(strict=True)
    except OSError as exc:
        raise CodegenError(f"folder {folder} does not exist: {exc.strerror or exc}") from None
    if not root.is_dir():
        raise CodegenError(f"{folder} is not a folder")
    target = root / rel
    try:
        parent = target.parent.resolve(strict=True)
    except OSError:
        raise CodegenError(f"folder {target.parent} does not exist") from None
    if parent != root and root not in parent.parents:
        raise CodegenError(f"{filename!r} would be written outside the folder {folder}")
    target = parent / rel.name
    if target.is_symlink():
        raise CodegenError(f"{target} is a symbolic link; refusing to write through it")
    if target.exists() and not target.is_file():
        raise CodegenError(f"{target} exists and is not a regular file")
    return target


def write_export(
    spec: ArchSpec,
    folder: Path,
    filename: str | None = None,
    *,
    class_name: str = DEFAULT_CLASS_NAME,
    provenance: Provenance | None = None,
    overwrite: bool = False,
    inference: Inference | None = None,
    weights_file: Path | None = None,
) -> Path:
    """Export ``spec`` into ``folder`` (default name: the class name in snake_case + .py)
    and return the path written; ``weights_file`` (a safetensors file under the exported
    keys) is copied beside it as ``<name>.safetensors``. Raises :class:`CodegenError` if the
    path would leave the folder, a file exists and ``overwrite`` is false, or the spec
    cannot be exported."""
    name = class_name_for(class_name)
    if weights_file is not None:
        inference = replace(inference or Inference(()), weights=True)
    text = export_source(spec, class_name=name, provenance=provenance, inference=inference)
    target = _target(Path(folder), filename if filename is not None else module_filename_for(name))
    beside = target.with_suffix(".safetensors")
    for path in (target, beside) if weights_file is not None else (target,):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise CodegenError(f"{path} exists and is not a regular file")
        if path.exists() and not overwrite:
            raise CodegenError(f"{path} already exists")
    if weights_file is not None:
        try:
            data = weights_file.read_bytes()
        except OSError as exc:
            raise CodegenError(f"cannot read the weights {weights_file}: {exc.strerror}") from None
    try:
        if weights_file is not None:
            _write_atomic(beside, data, overwrite=True)
        _write_atomic(target, text.encode("utf-8"), overwrite=overwrite)
    except OSError as exc:  # a read-only or full disk, a folder that vanished: name the target
        raise CodegenError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _write_atomic(target: Path, data: bytes, *, overwrite: bool) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, target)
        else:
            _publish_new(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _publish_new(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` only if ``target`` still does not exist."""
    try:
        os.link(tmp, target)  # fails atomically if another writer got there first
    except FileExistsError:
        raise CodegenError(f"{target} already exists") from None
    except OSError:  # no hard links on this file system: check, then rename
        if target.exists():
            raise CodegenError(f"{target} already exists") from None
        os.replace(tmp, target)
        return
    with contextlib.suppress(OSError):
        tmp.unlink()
