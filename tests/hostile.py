"""Hostile datasets for the confinement and bounds tests: a copy of a recorded dataset with one value planted, a
canary tree outside it, and lerec run as a user runs it (in a subprocess with a memory limit and a timeout)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

MEMORY_LIMIT = 2 << 30  # bytes of address space a tool may take on a hostile dataset


def tree(top: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file and symlink under ``top`` (except under ``skip``) -> its bytes' md5 (or the link's target)."""
    out = {}
    for path in sorted(top.rglob("*")):
        if any(path == s or s in path.parents for s in skip):
            continue
        if path.is_symlink():
            out[str(path)] = "-> " + os.readlink(path)
        elif path.is_file():
            out[str(path)] = hashlib.md5(path.read_bytes()).hexdigest()
        else:
            out[str(path)] = "dir"
    return out


def copy_dataset(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dst)
    return dst


def edit_info(root: Path, **changes) -> dict:
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    info.update(changes)
    path.write_text(json.dumps(info, indent=2))
    return info


def rename_feature(root: Path, old: str, new: str) -> None:
    """Rename feature ``old`` to ``new`` everywhere the dataset names it: info.json, episode columns, stats.json."""
    info = json.loads((root / "meta/info.json").read_text())
    info["features"] = {new if k == old else k: v for k, v in info["features"].items()}
    (root / "meta/info.json").write_text(json.dumps(info, indent=2))
    stats = json.loads((root / "meta/stats.json").read_text())
    (root / "meta/stats.json").write_text(json.dumps({new if k == old else k: v for k, v in stats.items()}))
    for path in sorted((root / "meta/episodes").glob("chunk-*/file-*.parquet")):
        table = pq.read_table(path)
        names = [c.replace(f"/{old}/", f"/{new}/") for c in table.column_names]
        pq.write_table(table.rename_columns(names), path)


def lead_key_outside(root: Path, old: str, key: str) -> None:
    """Rename feature ``old`` to ``key`` (one that leads outside ``root``) and move its videos to where ``key``
    leads, so that a tool trusting it would read, cut, append to or delete files there."""
    rename_feature(root, old, key)
    shutil.copytree(root / "videos" / old, root / "videos" / key)
    shutil.rmtree(root / "videos" / old)


def link_outside(root: Path, rel: str, victim: Path) -> None:
    """Move the file ``rel`` of ``root`` to ``victim`` (outside) and leave a symlink to it in its place."""
    shutil.move(root / rel, victim)
    (root / rel).symlink_to(victim)


def plant_journal(root: Path, entry: list[str]) -> None:
    """A depth-conversion journal asking to replace ``entry[1]`` by ``entry[0]``."""
    (root / ".lerec").mkdir(exist_ok=True)
    (root / ".lerec/convert-depth.json").write_text(json.dumps({"replace": [entry], "features": {}}))


def set_episode_column(root: Path, column: str, value, episode: int | None = None) -> None:
    """Set ``column`` of every episode row (or of ``episode``) in meta/episodes to ``value``."""
    import pyarrow as pa

    path = root / "meta/episodes/chunk-000/file-000.parquet"
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        if episode is None or row["episode_index"] == episode:
            row[column] = value
    pq.write_table(pa.Table.from_pylist(rows), path)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(args: list[str], timeout_s: float = 180, limit: bool = True) -> subprocess.CompletedProcess:
    """``python args...`` with at most MEMORY_LIMIT of address space (unless ``limit`` is False: decoders start a
    thread per core, and their stacks alone can reach it on a large machine); a hang fails at ``timeout_s``."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout_s,
                          preexec_fn=_limit_memory if limit else None)


def lerec(*args: str, timeout_s: float = 180, limit: bool = True) -> subprocess.CompletedProcess:
    return run_limited(["-m", "lerec", *args], timeout_s, limit)


READ_FRAME = """
import sys
from lerec.dataset.reading.reader import DatasetReader
from lerec.errors import LerecError
try:
    with DatasetReader(sys.argv[1]) as reader:
        reader.frame(0, 0)
        reader.frames(0)
except LerecError as exc:
    print(f"reader: error: {exc}", file=sys.stderr)
    sys.exit(1)
"""


def read_with_reader(root: Path, timeout_s: float = 180, limit: bool = True) -> subprocess.CompletedProcess:
    """Open ``root`` with DatasetReader and read episode 0 (frame 0 of every stream, then all its frames)."""
    return run_limited(["-c", READ_FRAME, str(root)], timeout_s, limit)


def assert_clean_error(result: subprocess.CompletedProcess, *names: str) -> str:
    """Exit 1 and one message on stderr, no traceback, naming each of ``names``; returns it."""
    err = result.stderr.strip()
    assert result.returncode == 1, (result.returncode, err[-3000:])
    assert "Traceback" not in err, err[-3000:]
    # One line, or validate's report of one problem: "ROOT: 1 problem(s)" and the problem.
    lines = [line for line in err.splitlines() if line.strip() and "%" not in line]  # not a progress bar
    assert len(lines) == 1 or (len(lines) == 2 and lines[0].endswith("1 problem(s)")), err
    for name in names:
        assert name in lines[-1], (name, lines[-1])
    return lines[-1]
