"""A small computer simulated on a big one: the benchmark's process (and every process it starts, LeRobot's side
included) on a few CPUs and under a memory limit, as a Raspberry Pi, a Jetson or a NUC would give.

``--cpus 0`` (a list as ``taskset -c`` takes it: ``0``, ``0,1``, ``0-3``) pins the process with
``sched_setaffinity``, which its threads and children inherit. ``--memory 2G`` puts it in a memory cgroup of its
own: a child of the cgroup it runs in, with ``memory.max`` (cgroup v2) or ``memory.limit_in_bytes`` and, where
swap is accounted, ``memory.memsw.limit_in_bytes`` (cgroup v1). That needs write access to the cgroup tree (root,
or a delegated subtree); without it, run the benchmark under ``systemd-run --user --scope -p MemoryMax=2G``
instead. The cgroup's peak usage is read back at the end (``memory.peak`` or ``memory.max_usage_in_bytes``): it
counts the page cache the process dirtied (spill files, videos) as well as its RSS.
"""

from __future__ import annotations

import atexit
import os
import re
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def parse_cpus(text: str) -> set[int]:
    """``0,2-3`` -> {0, 2, 3}; raises SystemExit naming the flag on anything else."""
    cpus: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise SystemExit(f"record.py: error: --cpus {text!r}: expected a CPU list such as 0 or 0,1 or 0-3")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        cpus.update(range(first, last + 1))
    available = os.sched_getaffinity(0)
    if not cpus or not cpus <= available:
        raise SystemExit(f"record.py: error: --cpus {text!r}: this process may use CPUs {sorted(available)}")
    return cpus


def parse_bytes(text: str) -> int:
    """``2G``, ``512M``, ``1500000000`` -> bytes; raises SystemExit naming the flag on anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise SystemExit(f"record.py: error: --memory {text!r}: expected a size such as 2G or 512M")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


class MemoryCgroup:
    """A memory cgroup made for this process, removed at exit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
        current = self._current()
        self.parent = (CGROUP_ROOT / current.lstrip("/")) if self.v2 else (CGROUP_ROOT / "memory" / current.lstrip("/"))
        self.path = self.parent / f"lerec-bench-{os.getpid()}"
        try:
            self.path.mkdir()
            if self.v2:
                (self.path / "memory.max").write_text(str(limit))
                if (self.path / "memory.swap.max").exists():
                    (self.path / "memory.swap.max").write_text("0")
            else:
                (self.path / "memory.limit_in_bytes").write_text(str(limit))
                if (self.path / "memory.memsw.limit_in_bytes").exists():
                    (self.path / "memory.memsw.limit_in_bytes").write_text(str(limit))
            (self.path / "cgroup.procs").write_text(str(os.getpid()))
        except OSError as exc:
            self._remove()
            raise SystemExit(f"record.py: error: --memory: cannot make a memory cgroup under {self.parent} ({exc}); "
                             "run as root, or under systemd-run --user --scope -p MemoryMax=SIZE instead") from exc
        atexit.register(self.close)

    def _current(self) -> str:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            hierarchy, controllers, path = line.split(":", 2)
            if (self.v2 and hierarchy == "0") or (not self.v2 and "memory" in controllers.split(",")):
                return path
        raise SystemExit("record.py: error: --memory: this process is in no memory cgroup")

    def reset_peak(self) -> None:
        """Start the peak over (cgroup v1; v2's ``memory.peak`` keeps the whole run's)."""
        try:
            (self.path / "memory.max_usage_in_bytes").write_text("0")
        except OSError:
            pass

    def peak_mb(self) -> float | None:
        """The cgroup's peak memory use (RSS and page cache of the process and its children), in MB."""
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            try:
                return int((self.path / name).read_text()) / 2**20
            except (OSError, ValueError):
                continue
        return None

    def close(self) -> None:
        try:
            (self.parent / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass
        self._remove()

    def _remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass


def apply_limits(cpus: str | None, memory: str | None) -> tuple[str, MemoryCgroup | None]:
    """Apply ``--cpus``/``--memory`` to this process before any work; (what was applied, the cgroup)."""
    applied = []
    if cpus is not None:
        chosen = parse_cpus(cpus)
        for tid in os.listdir("/proc/self/task"):  # the threads imports started too (BLAS pools); new ones inherit
            os.sched_setaffinity(int(tid), chosen)
        applied.append(f"CPUs {sorted(chosen)}")
    cgroup = None
    if memory is not None:
        cgroup = MemoryCgroup(parse_bytes(memory))
        applied.append(f"memory limit {cgroup.limit / 2**30:.2f} GiB ({cgroup.path})")
    return ", ".join(applied) or "none", cgroup
