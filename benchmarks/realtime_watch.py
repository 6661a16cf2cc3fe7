"""Counts, from a process of its own, the threads of another process that run at real-time priority.

Run as ``python realtime_watch.py PID PERIOD_S``: samples until its standard input closes, then prints
``{"samples", "samples_with_realtime", "max_realtime_threads"}`` as JSON. Watching from outside costs the
measured process neither its GIL nor a thread: an in-process watcher walking a hundred-odd threads ten times a
second showed up in the very tick lateness it was there to explain. No lerec import: LeRobot's side runs it too.
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


class RealtimeWatch:
    """``with RealtimeWatch() as watch:`` samples this process from a child process; ``watch.result`` after."""

    def __init__(self, period_s: float = 0.1):
        self.period_s = period_s
        self.result = {"samples": 0, "samples_with_realtime": 0, "max_realtime_threads": 0}

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
            return f"none in {r['samples']} samples"
        return (f"up to {r['max_realtime_threads']} threads at SCHED_FIFO/RR, in {r['samples_with_realtime']} of "
                f"{r['samples']} samples")


def main() -> None:
    pid, period = int(sys.argv[1]), float(sys.argv[2])
    samples = with_realtime = most = 0
    while not select.select([sys.stdin], [], [], period)[0]:  # readable: the watcher's parent closed it
        found = realtime_count(pid)
        samples += 1
        with_realtime += found > 0
        most = max(most, found)
    print(json.dumps({"samples": samples, "samples_with_realtime": with_realtime, "max_realtime_threads": most}))


if __name__ == "__main__":
    main()
