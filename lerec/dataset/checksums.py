"""Each file's CRC-32 as info.json committed it (:data:`lerec.dataset.format.CHECKSUMS`): computed when a save or
a tool commits, checked by ``lerec validate``.

A file a save replaces (parquet, JSON) is read whole again; an MP4 is only appended to, so its checksum is carried
on from the committed one over the bytes added. Reading is the cost: ~200-300 MB/s per core, less than demuxing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lerec.dataset import format as fmt
from lerec.dataset import layout
from lerec.errors import DatasetError

READ_BYTES = 1 << 20


def crc32_of(path: Path, start: int = 0, crc: int = 0) -> tuple[int, int]:
    """(size, CRC-32) of the file at ``path``, going on from ``crc`` (that of its first ``start`` bytes)."""
    size = start
    with open(path, "rb") as f:
        f.seek(start)
        while chunk := f.read(READ_BYTES):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def checksum_of(path: Path, committed: fmt.FileChecksum | None = None) -> fmt.FileChecksum:
    """The checksum of the file at ``path``; with ``committed`` (an append-only file's), read from there on."""
    if committed is not None and path.stat().st_size >= committed.size:
        return fmt.FileChecksum(*crc32_of(path, committed.size, committed.crc32))
    return fmt.FileChecksum(*crc32_of(path))


def verify(path: Path, committed: fmt.FileChecksum | None, data: bytes | None = None) -> None:
    """A DatasetError when the file at ``path`` (whose bytes are ``data``, when read already) is not as committed;
    nothing to check without ``committed``. What a tool copies is checked so, lest it gets a new checksum."""
    if committed is None:
        return
    size, crc = (len(data), zlib.crc32(data)) if data is not None else crc32_of(path)
    if (size, crc) != (committed.size, committed.crc32):
        raise DatasetError(f"{path} is damaged: {size} bytes with CRC-32 {crc:08x}, committed {committed.size} "
                           f"with {committed.crc32:08x} (`lerec validate` names the episodes)")


def dataset_files(root: Path) -> list[Path]:
    """Every file of the dataset at ``root`` that has a checksum."""
    return sorted(path for pattern in fmt.CHECKSUMMED_FILES for path in layout.find(root, pattern))


def refresh(root: Path, info: dict[str, Any], written: Iterable[Path], appended: Iterable[Path] = ()) -> None:
    """Set the checksums in ``info`` of the files ``written`` (replaced) and ``appended`` to (MP4s: only the bytes
    after the committed ones are read) since info.json was last saved; missing ones are dropped. A no-op for a
    dataset without checksums."""
    checksums = fmt.file_checksums(info)
    if checksums is None:
        return
    appended = set(appended)
    for path in set(written) | appended:
        relative = path.relative_to(root).as_posix()
        if not path.exists():
            checksums.pop(relative, None)
            continue
        checksums[relative] = checksum_of(path, checksums.get(relative) if path in appended else None)
    fmt.with_file_checksums(info, checksums)


def mismatches(root: Path, checksums: Mapping[str, fmt.FileChecksum], files: Iterable[Path] | None = None,
               whole: bool = True) -> dict[str, str]:
    """What differs from the committed ``checksums`` (relative path -> what is wrong), for ``files`` (default:
    every file of the dataset, and every file the checksums name). ``whole=False`` compares sizes only."""
    found = {p.relative_to(root).as_posix(): p for p in (dataset_files(root) if files is None else files)}
    named = set(checksums) if files is None else set()
    problems = {}
    for relative in sorted(set(found) | named):
        want = checksums.get(relative)
        if want is None:
            problems[relative] = f"{relative} has no checksum in {fmt.INFO_PATH} (added after its commit)"
            continue
        if relative not in found:  # a name from info.json: never opened, only compared with the files found
            problems[relative] = f"{relative} is missing (committed with {want.size} bytes)"
            continue
        size = found[relative].stat().st_size
        if size < want.size:
            problems[relative] = f"{relative} is truncated: {size} bytes of the {want.size} committed"
        elif size > want.size:
            problems[relative] = f"{relative} holds {size - want.size} bytes more than the {want.size} committed"
        elif whole:
            crc = crc32_of(found[relative])[1]
            if crc != want.crc32:
                problems[relative] = (f"{relative} is damaged: its bytes changed since they were committed "
                                      f"(CRC-32 {crc:08x}, committed {want.crc32:08x})")
    return problems
