"""What a crash can leave ahead of info.json's commit: `lerec validate` names it as an unfinished save, and
`--resume` cuts every piece of it. Crashes made two ways: a save stopped half way in-process, and `kill -9` at
many moments of a real `lerec record`'s save."""

import hashlib
import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow.parquet as pq

from lerec.dataset.reading.validate import validate
from lerec.dataset.writing.writer import DatasetWriter

from recording_fixtures import record, small_camera
from test_recorder import FRONT, check_invariant

SMALL = "{front: {type: synthetic, width: 64, height: 48, fps: 30}, wrist: {type: synthetic, width: 64, height: 48}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_save_stopped_after_its_row_is_reported_once_and_cut_by_resume(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=20)
    video = dataset_root / f"videos/{FRONT}/chunk-000/file-000.mp4"
    video_before = digest(video)
    writer = DatasetWriter.resume(dataset_root)
    pending = writer.begin_episode("a task never committed", 7)
    state = np.ones((7, 3), dtype=np.float32) * 1000  # far from the saved episode's: the stats move
    writer.append_frames(pending, writer.place_frames(pending, {"observation.state": state, "action": state}))
    writer.stage_row(pending, {FRONT: writer.meta.episode_stats(writer.meta.episodes[0])[FRONT]})
    with open(video, "ab") as f:  # the start of a fragment, as a crash mid-append leaves it
        f.write(b"\0\0\1\0moof")
    work = dataset_root / f"videos/{FRONT}/chunk-000/.depth-transcode-abc123"
    work.mkdir()
    (work / "segment-000000.mp4").write_bytes(b"x")
    (dataset_root / "meta/.stats.json.lerec-1-2-ab.tmp").write_text("{")
    del writer  # the crash: nothing is undone

    problems = validate(dataset_root)
    assert len(problems) == 1, problems
    message = str(problems[0])
    assert message.startswith("an unfinished save") and "`lerec record --resume` repairs it" in message
    for part in ("meta/episodes holds 1 episode(s)", "meta/tasks.parquet holds 1 task(s)", "holds rows beyond",
                 "meta/stats.json counts 27 frames", "bytes of an unfinished fragment", "temporary file(s)"):
        assert part in message, message

    writer = DatasetWriter.resume(dataset_root)
    assert validate(dataset_root) == []
    meta = check_invariant(dataset_root, [FRONT])
    assert meta.info["total_episodes"] == 1 and meta.tasks == ["pick the cube"]
    assert len(pq.read_table(dataset_root / "data/chunk-000/file-000.parquet")) == 20
    assert json.loads((dataset_root / "meta/stats.json").read_text())["index"]["count"] == [20]
    assert digest(video) == video_before
    assert not work.exists() and not list(dataset_root.glob("meta/.*.tmp"))
    assert writer.pending is None


def record_args(root, *extra):
    return [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", f"--cameras={SMALL}", *FAST, *extra]


def killed_during_save(root, offset_s):
    """Record episodes 0-1, then Ctrl-C inside episode 2 (which ends it and saves it) and kill -9 ``offset_s``
    after the process took the Ctrl-C."""
    proc = subprocess.Popen(record_args(root, "--dataset.num_episodes=3", "--dataset.episode_time_s=0.4"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any((root / ".lerec/staging").glob("ep000002-*")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.communicate()[1]
        time.sleep(0.005)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    while (line := proc.stderr.readline()) and not line.startswith("stopping"):
        pass
    time.sleep(offset_s)
    proc.kill()
    proc.wait()
    return ""


def test_kill_9_at_any_moment_of_a_save_then_validate_and_resume(tmp_path):
    offsets = [i * 0.010 for i in range(10)]  # 0..90 ms after the Ctrl-C: the episode's end and its save
    roots = [tmp_path / f"k{i}" for i in range(len(offsets))]
    with ThreadPoolExecutor(max_workers=3) as pool:
        errors = list(pool.map(killed_during_save, roots, offsets))
    assert not any(errors), errors
    unfinished = 0
    for root in roots:
        problems = validate(root)
        if problems:  # one message, never the raw mismatches
            assert len(problems) == 1 and str(problems[0]).startswith("an unfinished save"), problems
            unfinished += 1
        committed = json.loads((root / "meta/info.json").read_text())["total_episodes"]
        assert committed in (2, 3)
        resumed = subprocess.run(record_args(root, "--resume", "--dataset.num_episodes=1",
                                             "--dataset.episode_time_s=0.2"), capture_output=True, text=True,
                                 timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert validate(root) == [], root
        assert json.loads((root / "meta/info.json").read_text())["total_episodes"] == committed + 1
        assert not list(root.rglob(".*.tmp")) and not list(root.rglob(".depth-transcode-*"))
    print(f"{len(roots)} kills: {unfinished} left an unfinished save")
