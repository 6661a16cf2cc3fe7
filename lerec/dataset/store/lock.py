"""One writer per dataset: an exclusive lock on ``ROOT/.lerec/lock`` for a recording session and for every tool
that writes into a dataset in place. The file says who holds it (pid, host, command); the kernel releases the
lock when its holder exits, however it ends, so a crash never leaves a dataset locked."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from lerec.dataset.spec import format as fmt
from lerec.dataset.store.atomic import raise_disk_error
from lerec.errors import DatasetError


def _holder(path: Path) -> str:
    try:
        who = json.loads(path.read_text())
        return f"pid {who['pid']} on {who['host']} ({who['command']}, since {who['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _open_locked(path: Path, root) -> int:
    """A descriptor of ``path`` holding its exclusive lock: the file that is at ``path`` now, not one its last
    holder removed just after this process opened it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise_disk_error(path, exc)
            raise DatasetError(f"{path}: cannot create the dataset's lock: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatasetError(f"{root} is in use by {_holder(path)}; one session at a time writes into a "
                               "dataset") from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def dataset_lock(root: str | os.PathLike, command: str | None = None) -> Iterator[Path]:
    """Hold the dataset's lock for the ``with`` block; :class:`DatasetError` at once if someone else holds it.
    Leaves no trace: the lock file goes when released, and so do ``.lerec`` and ``root`` if they are then empty
    and this call made them."""
    root = Path(root)
    path = root / fmt.LOCK_PATH
    made = [folder for folder in (root, path.parent) if not folder.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a place no folder can be made (under /proc, say), or a full disk
        raise_disk_error(path.parent, exc)
        raise DatasetError(f"{root}: cannot create the dataset's folder ({exc.strerror or exc}: "
                           f"{exc.filename or path.parent})") from None
    fd = -1
    try:
        fd = _open_locked(path, root)
        who = {"pid": os.getpid(), "host": socket.gethostname(), "command": command or " ".join(sys.argv),
               "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        with contextlib.suppress(OSError):  # a full disk: the lock holds all the same, unsigned
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(who).encode(), 0)
        yield path
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                path.unlink()  # while still held: whoever opens it next creates a new one
            os.close(fd)  # releases the lock
        for folder in (path.parent, root):
            if folder == path.parent or folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if empty
