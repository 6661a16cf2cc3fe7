"""Ctrl-C twice while an episode is being saved, as a user presses it: real signals to a real `lerec record`, at
many offsets into the save. The second Ctrl-C abandons the episode; the episodes saved before stay byte for byte."""

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow.parquet as pq

from lerec.cli import INTERRUPTED
from lerec.dataset.reading.validate import validate

SMALL = "{front: {type: synthetic, width: 64, height: 48, fps: 30}, wrist: {type: synthetic, width: 64, height: 48}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]
RUNS = 30
SPREAD_S = 0.060  # second Ctrl-C 0..60 ms after the first was taken: that ends the episode at its next tick
                  # (up to 33 ms later) and the save that follows takes 10-80 ms here


def record_args(root, *extra):
    return [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", f"--cameras={SMALL}", *FAST, *extra]


def file_hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("data", "videos", "meta") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def interrupted_twice(base, root, offset_s):
    """Resume a copy of ``base``, Ctrl-C once inside its new episode, again ``offset_s`` later."""
    shutil.copytree(base, root)
    proc = subprocess.Popen(record_args(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=5"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # The episode's encoders open their files in the staging folder just before its first tick.
        while not any((root / ".lerec/staging").glob("ep000002-*")) and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.005)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        # Two signals sent before the process runs are one (the kernel does not queue them): the second goes once
        # the first was taken, which the process says at once; the episode ends at its next tick, then saves.
        seen = []
        while (line := proc.stderr.readline()) and not line.startswith("stopping"):
            seen.append(line)
        time.sleep(offset_s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return "hang", out, "".join(seen) + err
    return proc.returncode, out, "".join(seen) + err


def check(base, before, root, offset_s, rc, out, err):
    """What is wrong with one run (empty: nothing)."""
    where = f"offset {offset_s * 1000:.0f} ms"
    total = json.loads((root / "meta/info.json").read_text())["total_episodes"]
    # Exit 0 only when the second Ctrl-C came as the command was ending, all saved.
    finished = rc == 0 and total == 3 and "saved 1 episode(s)" in out
    if (rc != INTERRUPTED and not finished) or "Traceback" in err:
        return [f"{where}: exit {rc}: {err.strip()[-600:]}"]
    problems = [f"{where}: {p}" for p in validate(root)]
    if total == 2:
        if "episode 2 was not saved" not in err:
            problems.append(f"{where}: stderr does not say the episode was abandoned: {err.strip()[-300:]}")
        after = file_hashes(root)
        problems += [f"{where}: {path} changed" for path in sorted(set(before) | set(after))
                     if before.get(path) != after.get(path)]
        if (root / ".lerec/rollback").exists():
            problems.append(f"{where}: .lerec/rollback left behind")
    elif total == 3:  # the commit had begun: saved, and the episodes before it untouched
        for path in before:
            if path.startswith("videos/"):
                if (root / path).read_bytes()[: (base / path).stat().st_size] != (base / path).read_bytes():
                    problems.append(f"{where}: the bytes of episodes 0-1 in {path} changed")
        rows = pq.read_table(root / "data/chunk-000/file-000.parquet")
        if not rows.slice(0, 60).equals(pq.read_table(base / "data/chunk-000/file-000.parquet")):
            problems.append(f"{where}: the rows of episodes 0-1 changed")
    else:
        problems.append(f"{where}: {total} episodes in info.json")
    return problems


def test_second_ctrl_c_at_any_moment_of_a_save_abandons_it_and_keeps_the_episodes_before(tmp_path):
    base = tmp_path / "base"
    made = subprocess.run(record_args(base, "--dataset.num_episodes=2", "--dataset.episode_time_s=1"),
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    before = file_hashes(base)
    offsets = [i * SPREAD_S / (RUNS - 1) for i in range(RUNS)]
    roots = [tmp_path / f"run{i:02d}" for i in range(RUNS)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda i: interrupted_twice(base, roots[i], offsets[i]), range(RUNS)))
    problems, saved = [], 0
    for root, offset_s, (rc, out, err) in zip(roots, offsets, results):
        problems += check(base, before, root, offset_s, rc, out, err)
        saved += json.loads((root / "meta/info.json").read_text())["total_episodes"] == 3
    assert not problems, "\n".join(problems)
    print(f"{RUNS} runs: {saved} saved before the second Ctrl-C, {RUNS - saved} abandoned")

    # An abandoned save leaves nothing for --resume to mend: it records on.
    abandoned = next(root for root in roots if json.loads((root / "meta/info.json").read_text())["total_episodes"] == 2)
    resumed = subprocess.run(record_args(abandoned, "--resume", "--dataset.num_episodes=1",
                                         "--dataset.episode_time_s=0.3"), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert validate(abandoned) == []
    assert json.loads((abandoned / "meta/info.json").read_text())["total_episodes"] == 3
