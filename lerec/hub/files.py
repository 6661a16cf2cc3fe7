"""What a push uploads: the dataset's own files (:func:`lerec.dataset.spec.format.is_published`) with their SHA-256, and
while a session records, the files it has closed.

Each file is hashed once: its SHA-256 is kept in ``ROOT/.lerec/push-hashes.json`` by (size, mtime), so pushing an
unchanged dataset again reads no file, and a push every few episodes does not re-read the closed files.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import attrs

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_json
from lerec.dataset.store.atomic import write_json_atomically
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import LerecError


@attrs.frozen
class LocalFile:
    path: str  # POSIX, relative to the root: the file's path in the repo
    size: int
    sha256: str


def published_paths(root: Path) -> list[str]:
    """Every file of the dataset at ``root`` that a push publishes, sorted, each confined to ``root``."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            relative = (Path(folder) / name).relative_to(root).as_posix()
            if fmt.is_published(relative):
                layout.confine(root, relative)
                found.append(relative)
    return sorted(found)


def closed_paths(root: Path) -> list[str]:
    """The data and video files of the committed episodes that no later episode will be appended to: every one but
    the files the last episode is in (the recorder fills files in order and never returns to one it left)."""
    meta = DatasetMeta.load(root)
    if not meta.episodes:
        return []

    def files(row) -> set[Path]:
        return {meta.data_file(row), *(meta.video_file(key, row) for key in meta.video_keys)}

    still_open = files(meta.episodes[-1])
    closed = set().union(*(files(row) for row in meta.episodes)) - still_open
    return sorted(path.relative_to(root).as_posix() for path in closed)


class HashCache:
    """The SHA-256 of files under ``root``, remembered by (size, mtime_ns) across pushes."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / fmt.PUSH_HASHES_PATH
        try:
            known = read_json(self.path)
        except Exception:  # missing or unreadable: hash again
            known = {}
        self.known: dict[str, list] = known if isinstance(known, dict) else {}
        self.changed = False

    def file(self, relative: str) -> LocalFile:
        path = layout.confine(self.root, relative)
        stat = path.stat()
        entry = self.known.get(relative)
        if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return LocalFile(relative, stat.st_size, entry[2])
        with open(path, "rb") as f:
            sha = hashlib.file_digest(f, "sha256").hexdigest()
        if os.stat(path).st_mtime_ns == stat.st_mtime_ns:  # not changed while it was read
            self.known[relative] = [stat.st_size, stat.st_mtime_ns, sha]
            self.changed = True
        return LocalFile(relative, stat.st_size, sha)

    def save(self) -> None:
        """Write what was learnt; a dataset that cannot be written to (a read-only copy) is hashed again next time."""
        if self.changed:
            try:
                write_json_atomically(self.path, self.known)
            except (OSError, LerecError):  # a disk error (raise_disk_error's, or the OS's): hashed again next time
                pass
