"""Each file's CRC-32 as info.json committed it (:data:`lerec.dataset.spec.format.CHECKSUMS`): computed when a save or
a tool commits, checked by ``lerec validate``.

A file a save replaces (parquet, JSON) is read whole again; an MP4 is only appended to, so its checksum is carried
on from the committed one over the bytes added. Reading is the cost: ~200-300 MB/s per core, less than demuxing.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.errors import DatasetError

READ_BYTES = 1 << 20
_CRC32 = re.compile(r"[0-9a-f]{8}")


@attrs.frozen
class FileChecksum:
    """A file's size and CRC-32, as info.json's :data:`~lerec.dataset.spec.format.CHECKSUMS` holds them."""

    size: int
    crc32: int

    def to_json(self) -> dict[str, Any]:
        return {fmt.CHECKSUM_SIZE: self.size, fmt.CHECKSUM_CRC32: f"{self.crc32:08x}"}

    @classmethod
    def from_json(cls, value: Any) -> FileChecksum | None:
        """The checksum of an entry, None when it is not ``{"bytes": n, "crc32": "hex"}``."""
        if not isinstance(value, dict):
            return None
        size, crc = value.get(fmt.CHECKSUM_SIZE), value.get(fmt.CHECKSUM_CRC32)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0 or not isinstance(crc, str) \
                or not _CRC32.fullmatch(crc):
            return None
        return cls(size, int(crc, 16))


def committed(info: Mapping[str, Any]) -> dict[str, FileChecksum] | None:
    """The checksums in info.json by relative path; None when it has none. A DatasetError names the first
    malformed entry."""
    entries = info.get(fmt.CHECKSUMS)
    if entries is None:
        return None
    if not isinstance(entries, dict):
        raise DatasetError(f"{fmt.INFO_PATH}: {fmt.CHECKSUMS} is a JSON {type(entries).__name__}, expected an object")
    checksums = {}
    for path, value in entries.items():
        checksum = FileChecksum.from_json(value)
        if checksum is None:
            raise DatasetError(f"{fmt.INFO_PATH}: {fmt.CHECKSUMS} entry {path!r} is {value!r}, expected "
                               '{"bytes": n, "crc32": hex}')
        checksums[path] = checksum
    return checksums


def crc32_of(path: Path, start: int = 0, crc: int = 0) -> tuple[int, int]:
    """(size, CRC-32) of the file at ``path``, going on from ``crc`` (that of its first ``start`` bytes)."""
    size = start
    buffer = memoryview(bytearray(READ_BYTES))  # one buffer, whatever the file's size: memory stays flat
    with open(path, "rb", buffering=0) as f:
        f.seek(start)
        while read := f.readinto(buffer):
            crc = zlib.crc32(buffer[:read], crc)
            size += read
    return size, crc


def checksum_of(path: Path, before: FileChecksum | None = None) -> FileChecksum:
    """The checksum of the file at ``path``; with ``before`` (an append-only file's), read from there on."""
    if before is not None and path.stat().st_size >= before.size:
        return FileChecksum(*crc32_of(path, before.size, before.crc32))
    return FileChecksum(*crc32_of(path))


def verify(path: Path, want: FileChecksum | None, data: bytes | None = None) -> None:
    """A DatasetError when the file at ``path`` (whose bytes are ``data``, when read already) is not as committed
    (``want``; nothing to check without). What a tool copies is checked so, lest it gets a new checksum."""
    if want is None:
        return
    size, crc = (len(data), zlib.crc32(data)) if data is not None else crc32_of(path)
    if (size, crc) != (want.size, want.crc32):
        raise DatasetError(f"{path} is damaged: {size} bytes with CRC-32 {crc:08x}, committed {want.size} "
                           f"with {want.crc32:08x} (`lerec validate` names the episodes)")


def dataset_files(root: Path) -> list[Path]:
    """Every file of the dataset at ``root`` that has a checksum."""
    return sorted(path for pattern in fmt.CHECKSUMMED_FILES for path in layout.find(root, pattern))


def refresh(root: Path, info: dict[str, Any], written: Iterable[Path], appended: Iterable[Path] = ()) -> None:
    """Set the checksums in ``info`` of the files ``written`` (replaced) and ``appended`` to (MP4s: only the bytes
    after the committed ones are read) since info.json was last saved; missing ones are dropped. A no-op for a
    dataset without checksums."""
    checksums = committed(info)
    if checksums is None:
        return
    appended = set(appended)
    for path in set(written) | appended:
        relative = path.relative_to(root).as_posix()
        if not path.exists():
            checksums.pop(relative, None)
            continue
        checksums[relative] = checksum_of(path, checksums.get(relative) if path in appended else None)
    info[fmt.CHECKSUMS] = {path: checksums[path].to_json() for path in sorted(checksums)}


def mismatches(root: Path, checksums: Mapping[str, FileChecksum], files: Iterable[Path] | None = None,
               whole: bool = True, uncommitted: Iterable[Path] = ()) -> dict[str, str]:
    """What differs from the committed ``checksums`` (relative path -> what is wrong), for ``files`` (default:
    every file of the dataset, and every file the checksums name) but the ``uncommitted`` ones, which another
    check names (sensor files of no committed episode). ``whole=False`` compares sizes only."""
    skipped = set(uncommitted)
    found = {p.relative_to(root).as_posix(): p for p in (dataset_files(root) if files is None else files)
             if p not in skipped}
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
