"""What the benchmarks measure about the machine and the process: versions, peak RSS, CPU time (real-time
threads: :mod:`realtime_watch`, from a process of its own)."""

from __future__ import annotations

import datetime
import os
import platform
import resource
from pathlib import Path

import av

import lerec


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_gib, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pyav": av.__version__,
        "ffmpeg": str(getattr(av, "ffmpeg_version_info", "?")),
        "lerec": lerec.__version__,
        "root": os.geteuid() == 0,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
