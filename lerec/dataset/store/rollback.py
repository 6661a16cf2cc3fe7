"""What a save changed in the files that hold committed episodes, kept so that abandoning it restores every byte.

A save replaces parquet and JSON files whole and appends fragments to MP4s. Before it replaces a file for the
first time, a hard link keeps the committed version (no copy: the rename leaves the old inode to the link);
before it appends to a file, the file's size is noted. :meth:`Rollback.restore` renames the kept versions back and
cuts the appended files to their sizes, so the episodes committed before are byte for byte what they were.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from lerec.dataset.store.atomic import RESUME_HINT, fsync_dir, raise_disk_error


class Rollback:
    """The committed state of the files one save touches; ``folder`` holds the kept versions."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._replaced: dict[Path, Path | None] = {}  # path -> its committed version (None: it did not exist)
        self._appended: dict[Path, int | None] = {}  # path -> its size before the save (None: it did not exist)
        self._lock = threading.Lock()  # a save replaces files from several threads

    def __bool__(self) -> bool:
        return bool(self._replaced or self._appended)

    def before_replace(self, path: Path) -> None:
        """Keep ``path`` as it is, unless this save kept it already."""
        with self._lock:
            if path in self._replaced:
                return
            kept = None
            if path.exists():
                kept = self.folder / f"{len(self._replaced):04d}-{path.name}"
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    kept.unlink(missing_ok=True)
                    os.link(path, kept)
                except OSError as exc:
                    raise_disk_error(kept, exc, RESUME_HINT)
                    raise
            self._replaced[path] = kept

    def before_append(self, path: Path) -> None:
        """Note the size of ``path`` before this save first appends to it."""
        with self._lock:
            if path not in self._appended:
                self._appended[path] = path.stat().st_size if path.exists() else None

    def restore(self) -> None:
        """Put every file back as it was before the save (renames and truncations: no space needed)."""
        folders = set()
        for path, kept in self._replaced.items():
            if kept is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(kept, path)
            folders.add(path.parent)
        for path, size in self._appended.items():
            if size is None:
                path.unlink(missing_ok=True)
            elif path.exists():
                with open(path, "r+b") as f:
                    f.truncate(size)
                    os.fsync(f.fileno())
            folders.add(path.parent)
        for folder in folders:
            if folder.exists():
                fsync_dir(folder)
        self.discard()

    def discard(self) -> None:
        """Forget the kept versions (the save committed)."""
        self._replaced.clear()
        self._appended.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
