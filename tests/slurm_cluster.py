"""The one-node Slurm cluster of .ci/slurm.sh for the Slurm job tests, and a datatrove step for them.

The session fixture uses a cluster that already answers (CI starts one before the suite); otherwise, where Debian's
slurm-wlm is installed and we are root, it starts one itself and stops it after the session. Anything else skips
with the reason: slurm-wlm missing, not root, or the daemons' own words when they did not start.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci/slurm.sh"
TESTS = Path(__file__).resolve().parent
PARTITION = "lerec"
TURN_LOCK = Path("/var/tmp/lerec-slurm-tests.lock")


def _script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def slurm_session():
    """SLURM_CONF of a running one-node cluster (set in os.environ for the session)."""
    pytest.importorskip("datatrove", reason="datatrove is not installed (pip install -e '.[scale]')")
    started = False
    if _script("status").returncode != 0:
        if not (shutil.which("slurmctld") and shutil.which("slurmd") and shutil.which("munged")):
            pytest.skip("no Slurm cluster: slurm-wlm is not installed (apt-get install slurm-wlm; .ci/run does it)")
        if os.geteuid() != 0:
            pytest.skip("no Slurm cluster: .ci/slurm.sh runs the daemons as root, and these tests are not root")
        done = _script("start")
        if done.returncode != 0:
            pytest.skip(f"no Slurm cluster: .ci/slurm.sh start failed (exit {done.returncode}):\n{done.stderr[-1500:]}")
        started = True
    conf = _script("env").stdout.strip().removeprefix("export SLURM_CONF=")
    before = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = conf
    try:
        yield conf
    finally:
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before
        if started:
            _script("stop")


@pytest.fixture
def slurm_cluster(slurm_session):
    """The cluster, for one test at a time on this machine. Two suites at once (two checkouts, or CI beside a
    developer) each holding one of the node's 2 CPUs with an outer job would leave both inner arrays pending for
    ever; a test waits here for the other suite's Slurm test to end instead."""
    TURN_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(TURN_LOCK, "a") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        yield slurm_session


def env_command() -> str:
    """What each Slurm task runs first: this interpreter's venv, and tests/ importable (for the steps below)."""
    activate = Path(sys.prefix) / "bin/activate"
    return f"source {activate} && export PYTHONPATH={TESTS}${{PYTHONPATH:+:$PYTHONPATH}}"


def queue_lines(name: str, fields: str = "%i", timeout_s: float = 120) -> list[str]:
    """squeue's lines for the jobs called ``name``. A busy slurmctld makes squeue fail now and then (exit 1): that
    is asked again, never taken for an empty queue."""
    deadline = time.monotonic() + timeout_s
    while True:
        queue = subprocess.run(["squeue", "-h", "-n", name, "-o", fields], capture_output=True, text=True, timeout=30)
        if queue.returncode == 0:
            return [line for line in queue.stdout.splitlines() if line.strip()]
        if time.monotonic() > deadline:
            pytest.fail(f"squeue kept failing for {timeout_s:.0f} s: {queue.stderr.strip()}")
        time.sleep(0.5)


def wait_for_jobs(name: str, timeout_s: float = 600) -> None:
    """Until no job called ``name`` is pending or running; on timeout, cancel them and fail."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = queue_lines(name, "%i %t %r")
        # datatrove's stats-merging job waits on the array with afterok: it never runs when a task failed.
        if not lines or all("DependencyNeverSatisfied" in line for line in lines):
            subprocess.run(["scancel", "-n", name], capture_output=True, timeout=30)
            return
        if time.monotonic() > deadline:
            subprocess.run(["scancel", "-n", name], capture_output=True, timeout=30)
            pytest.fail(f"Slurm jobs {name!r} still queued after {timeout_s:.0f} s: {lines}")
        time.sleep(1)


def slurm_logs(folder: Path) -> str:
    """The Slurm tasks' output files under ``folder`` (for a failed test's message)."""
    return "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(folder.rglob("*_*.out")))


def decode_digest_step(data, rank: int = 0, world_size: int = 1, root: str = "", out: str = ""):
    """A datatrove step: each rank decodes its share of the episodes (e % world_size == rank) and writes the SHA-256
    of every decoded frame and row, one file per episode."""
    from lerec.dataset.reading.reader import DatasetReader

    with DatasetReader(root) as ds:
        for e in range(rank, ds.num_episodes, world_size):
            Path(out, f"{e}.sha256").write_text(episode_digest(ds, e))
    yield from data or ()


def episode_digest(ds, e: int) -> str:
    h = hashlib.sha256()
    for key, frames in sorted(ds.frames(e).items()):
        h.update(key.encode())
        h.update(frames.tobytes())
    for key, column in sorted(ds.rows(e).items()):
        h.update(key.encode())
        h.update(repr(list(column)).encode())
    return h.hexdigest()
