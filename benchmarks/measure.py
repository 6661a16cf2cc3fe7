"""What the benchmarks measure about the machine and the process: versions, peak RSS, CPU time, real-time threads."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import threading
from pathlib import Path

import av

import lerec
from lerec.encoding.realtime import realtime_threads


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


class RealtimeWatch:
    """Samples, from a thread of its own, how many threads of this process run under SCHED_FIFO/SCHED_RR."""

    def __init__(self, period_s: float = 0.1):
        self.period_s = period_s
        self.samples = 0
        self.samples_with_realtime = 0
        self.max_threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="realtime-watch", daemon=True)

    def __enter__(self) -> RealtimeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            found = len(realtime_threads())
            self.samples += 1
            self.samples_with_realtime += found > 0
            self.max_threads = max(self.max_threads, found)

    def as_dict(self) -> dict:
        return {"samples": self.samples, "samples_with_realtime": self.samples_with_realtime,
                "max_realtime_threads": self.max_threads}

    def describe(self) -> str:
        if not self.samples:
            return "not sampled"
        if not self.samples_with_realtime:
            return f"none in {self.samples} samples"
        return (f"up to {self.max_threads} threads at SCHED_FIFO/RR, in {self.samples_with_realtime} of "
                f"{self.samples} samples")
