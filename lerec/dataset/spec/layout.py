"""Paths a dataset names, checked to stay inside its root (the layout itself is :mod:`lerec.dataset.spec.format`)."""

from __future__ import annotations

import os
import re
import string
from pathlib import Path

from lerec.dataset.spec.format import SENSOR_FILES, TEMPLATE_FIELDS, parse_sensor_path
from lerec.errors import DatasetError, LerecError

# --- Paths derived from a dataset's files -------------------------------------------------------------------------
# Everything a dataset names (feature keys, path templates, journal entries, files found on disk and the symlinks
# among them) goes through the checks below before lerec opens, writes, moves or deletes a file: a dataset can
# only ever lead lerec to files inside its own root (an edit's or merge's output, to files inside the output).

_INDEX_SPEC = re.compile(r"(0?[1-9][0-9]?)?d?")  # '', 'd', '3d', '03d', ...: a width below 100, no fill or sign


def confine(root: str | os.PathLike, relative: str | os.PathLike, source: str | os.PathLike | None = None) -> Path:
    """``root / relative``, when it resolves (symlinks followed) inside ``root``; else a DatasetError naming
    ``source`` (the file the value came from; by default the path itself) and the value."""
    root, rel = Path(root), os.fspath(relative)
    where = source if source is not None else rel
    if "\0" in rel or os.path.isabs(rel):
        raise DatasetError(f"{where}: {rel!r} is outside the dataset {root}")
    path = root / rel
    try:
        resolved, base = path.resolve(), root.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, before Python 3.13
        raise DatasetError(f"{where}: {rel!r} cannot be resolved ({exc})") from None
    loop = next((p for p in (resolved, *resolved.parents) if p.is_symlink()), None)
    if loop is not None:  # Python 3.13's resolve leaves a loop in place instead of raising
        raise DatasetError(f"{where}: {rel!r} cannot be resolved (a symlink loop at {loop})")
    if resolved != base and base not in resolved.parents:
        raise DatasetError(f"{where}: {rel!r} leads outside the dataset {root} (to {resolved})")
    return path


def find(root: str | os.PathLike, pattern: str) -> list[Path]:
    """The files matching the glob ``pattern`` under ``root``, sorted, each confined to ``root``."""
    root = Path(root)
    return [confine(root, path.relative_to(root)) for path in sorted(root.glob(pattern))]


def sensor_files(root: str | os.PathLike, chunks_size: int) -> list[tuple[Path, str, int]]:
    """(path, stream key, episode) of every sensor file under ``root`` named as the layout names them."""
    found = []
    for pattern in SENSOR_FILES:
        for path in find(root, pattern):
            parsed = parse_sensor_path(path.relative_to(root).as_posix(), chunks_size)
            if parsed is not None:
                found.append((path, *parsed))
    return found


def sensor_files_from(root: str | os.PathLike, episodes: int, chunks_size: int) -> list[Path]:
    """The sensor files of episodes from ``episodes`` on: what a save a crash interrupted left."""
    return [path for path, _key, episode in sensor_files(root, chunks_size) if episode >= episodes]


def check_name(name: object, source: str | os.PathLike, what: str = "feature key",
               error: type[LerecError] = DatasetError) -> str:
    """``name`` if it can be one path component (a feature key, a split name); else ``error`` (a DatasetError, or
    a SettingsError for a name given on the command line)."""
    # Glob characters too: a key 'a*' would make the files of key 'ab' look like its own.
    if not isinstance(name, str) or name in ("", ".", "..") or any(c in name for c in "/\\\0*?["):
        raise error(f"{source}: {what} {name!r} cannot name a folder (it must be non-empty, without '/', "
                           "'\\', '*', '?', '[' or NUL, and not '.' or '..')")
    return name


def check_template(template: object, name: str, source: str | os.PathLike) -> str:
    """``template`` (info.json's ``data_path`` or ``video_path``) if it is a relative path that holds each of its
    fields exactly once, one per path component, with an integer format such as ``:03d`` at most: so it stays
    inside the root and distinct keys and indices give distinct paths. Else a DatasetError."""
    fields = TEMPLATE_FIELDS[name]
    allowed = f"a relative path with {', '.join('{' + f + '}' for f in fields)} once each, one per folder level, " \
              "formatted as ':03d' at most"
    bad = DatasetError(f"{source}: {name} {template!r} is not {allowed}")
    if not isinstance(template, str) or template.startswith("/") or "\0" in template or "\\" in template:
        raise bad
    found = []
    for part in template.split("/"):
        try:
            parsed = list(string.Formatter().parse(part))
        except ValueError:
            raise bad from None
        used = [(field, spec, conversion) for _, field, spec, conversion in parsed if field is not None]
        if len(used) > 1 or (not used and part in ("", ".", "..")):
            raise bad
        for field, spec, conversion in used:
            if field not in fields or conversion or (spec if field == "video_key" else
                                                     not _INDEX_SPEC.fullmatch(spec or "")):
                raise bad
            found.append(field)
    if sorted(found) != sorted(fields):
        raise bad
    return template


def check_info_paths(info: dict, source: str | os.PathLike) -> None:
    """The feature keys and path templates of ``info`` (info.json at ``source``) are safe to build paths from."""
    features = info.get("features")
    if not isinstance(features, dict):
        raise DatasetError(f"{source}: 'features' is {type(features).__name__}, not a mapping")
    for key in features:
        check_name(key, source)
    check_template(info.get("data_path"), "data_path", source)
    if any(isinstance(f, dict) and f.get("dtype") == "video" for f in features.values()):
        check_template(info.get("video_path"), "video_path", source)
