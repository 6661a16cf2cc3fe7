"""Replacing files so that a crash leaves either the old file or the new one, never half of either.

Every replacement writes its own temporary file (``.NAME.lerec-PID-THREAD-RANDOM.tmp``): two writers of one file
(a save thread and a clean-up, say) never share one. A crash can leave such a file behind;
:func:`remove_stale_temps` deletes them when the dataset is next opened for writing.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lerec.errors import DatasetError

TEMP_MARK = ".lerec-"
DISK_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
               errno.EROFS: "read-only file system"}
# pyarrow raises OSError without an errno for the same conditions; its message holds strerror's text.
_DISK_ERROR_TEXTS = {os.strerror(code): text for code, text in DISK_ERRORS.items()}
# What to do after a full disk: a tool's output is built apart and nothing of it is kept, so it is run again; a
# recording keeps every episode saved before and goes on with --resume.
RETRY_HINT = "nothing else was changed; free space or make it writable, then run the command again"
RESUME_HINT = "saved episodes are intact; free space or make it writable, then `lerec record --resume` goes on"


def disk_error(path: str | os.PathLike, exc: BaseException, hint: str = RETRY_HINT) -> DatasetError | None:
    """A one-line :class:`DatasetError` naming ``path`` when ``exc`` is a full disk or a read-only file system,
    ending with ``hint`` (what to do then)."""
    if not isinstance(exc, OSError):
        return None
    text = DISK_ERRORS.get(exc.errno) or next((t for s, t in _DISK_ERROR_TEXTS.items() if s in str(exc)), None)
    if text is None:
        return None
    return DatasetError(f"{exc.filename or path}: {text} ({hint})")


def raise_disk_error(path: str | os.PathLike, exc: BaseException, hint: str = RETRY_HINT) -> None:
    """Raise :func:`disk_error` for ``exc`` (from it), if it is one."""
    error = disk_error(path, exc, hint)
    if error is not None:
        raise error from exc


def fsync_dir(path: Path) -> None:
    """Make the names in the folder ``path`` durable (a rename, a new or removed file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """A temporary name next to ``path`` that no other writer (process or thread) uses."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}.tmp")


def replace_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)``, fsync the result and rename it over ``path``. A full disk or read-only file
    system raises a :class:`DatasetError` naming ``path``."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        raise_disk_error(path, exc)
        raise
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the first error is the one to report


def write_json_atomically(path: str | os.PathLike, data: Any) -> None:
    text = json.dumps(data, indent=4, ensure_ascii=False)
    replace_atomically(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def remove_stale_temps(folders: list[Path]) -> list[Path]:
    """Delete the temporary files that interrupted replacements left in ``folders`` (not recursive)."""
    removed = []
    for folder in folders:
        for stray in folder.glob(".*.tmp"):  # older lerec named them .NAME.tmp
            stray.unlink(missing_ok=True)
            removed.append(stray)
    return removed
