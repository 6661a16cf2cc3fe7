"""Counts, from a process of its own, the threads of another process that run at real-time priority, and how
many threads ran under each scheduling class (policy and nice value, read from ``/proc/PID/task/TID/stat``).

Run as ``python realtime_watch.py PID PERIOD_S``: samples until its standard input closes, then prints
``{"samples", "samples_with_realtime", "max_realtime_threads", "max_threads_by_class"}`` as JSON. Watching from
outside costs the measured process neither its GIL nor a thread: an in-process watcher walking a hundred-odd
threads ten times a second showed up in the very tick lateness it was there to explain. No lerec import:
LeRobot's side runs it too.
"""

import json
import os
import select
import subprocess
import sys


def realtime_count(pid: int) -> int:
    found = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            found += os.sched_getscheduler(int(tid)) in (os.SCHED_FIFO, os.SCHED_RR)
        except OSError:
            continue
    return found


POLICIES = {0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH", 5: "SCHED_IDLE", 6: "SCHED_DEADLINE"}


def scheduling_classes(pid: int) -> dict[str, int]:
    """Threads of ``pid`` by "POLICY nice N", from /proc (fields 19 and 41 of each thread's stat)."""
    counts: dict[str, int] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return counts
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = f"{POLICIES.get(int(fields[38]), fields[38])} nice {fields[16]}"
        counts[name] = counts.get(name, 0) + 1
    return counts


class RealtimeWatch:
    """``with RealtimeWatch() as watch:`` samples this process from a child process; ``watch.result`` after."""

    def __init__(self, period_s: float = 0.1):
        self.period_s = period_s
        self.result = {"samples": 0, "samples_with_realtime": 0, "max_realtime_threads": 0, "max_threads_by_class": {}}

    def __enter__(self):
        self._child = subprocess.Popen([sys.executable, __file__, str(os.getpid()), str(self.period_s)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc):
        out, _ = self._child.communicate(timeout=30)
        self.result = json.loads(out)

    def describe(self) -> str:
        r = self.result
        if not r["samples"]:
            return "not sampled"
        if not r["samples_with_realtime"]:
            return f"none in {r['samples']} samples{self._classes()}"
        return (f"up to {r['max_realtime_threads']} threads at SCHED_FIFO/RR, in {r['samples_with_realtime']} of "
                f"{r['samples']} samples{self._classes()}")

    def _classes(self) -> str:
        classes = self.result.get("max_threads_by_class") or {}
        return "; at most " + ", ".join(f"{n} {name}" for name, n in sorted(classes.items())) if classes else ""


def main() -> None:
    pid, period = int(sys.argv[1]), float(sys.argv[2])
    samples = with_realtime = most = 0
    by_class: dict[str, int] = {}
    while not select.select([sys.stdin], [], [], period)[0]:  # readable: the watcher's parent closed it
        found = realtime_count(pid)
        samples += 1
        with_realtime += found > 0
        most = max(most, found)
        for name, count in scheduling_classes(pid).items():
            by_class[name] = max(by_class.get(name, 0), count)
    print(json.dumps({"samples": samples, "samples_with_realtime": with_realtime, "max_realtime_threads": most,
                      "max_threads_by_class": by_class}))


if __name__ == "__main__":
    main()
