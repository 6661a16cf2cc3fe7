"""lerec.jobs on datatrove's local executor (2 worker processes): each job's output equals the one-process
tool's and validates; a failing episode names itself and leaves no output."""

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import lerec.jobs
from lerec.cli import main
from lerec.dataset.editing.edit import convert_to_video, reencode_dataset
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.spec.stats import ImageStats
from lerec.errors import DatasetError, SettingsError

from dataset_fixtures import DEPTH, FRONT, WRIST
from jobs_fixtures import Count, assert_same_dataset
from test_edit import make_image_dataset

pytest.importorskip("datatrove", reason="needs lerec[scale]")

LOCAL = {"executor": "local", "workers": 2}
H264 = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}  # recorded with crf 30, so re-encoded


def test_reencode_on_two_workers_equals_the_one_process_reencode(recorded, tmp_path):
    count = Count()
    out = lerec.jobs.reencode(recorded, tmp_path / "job", rgb=H264, depth={"g": 4}, encoder_threads=1,
                              progress=count, **LOCAL)
    assert out == tmp_path / "job"
    reencode_dataset(recorded, tmp_path / "one", rgb=H264, depth={"g": 4}, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")  # x264/x265 on one thread are deterministic: same bytes
    assert count.done == 3
    assert not (tmp_path / "job.lerec-job").exists()
    info = json.loads((out / "meta/info.json").read_text())["features"]
    assert info[FRONT]["info"]["video.crf"] == 35 and info[DEPTH]["info"]["video.g"] == 4


def test_convert_depth_job_keeps_the_depth_codes(recorded, tmp_path):
    out = lerec.jobs.convert_depth(recorded, tmp_path / "job", **LOCAL)
    reencode_dataset(recorded, tmp_path / "one", depth=lerec.jobs.depth_conversion_changes(), only=[DEPTH])
    assert_same_dataset(out, tmp_path / "one", same_video_bytes=False)
    info = json.loads((out / "meta/info.json").read_text())["features"][DEPTH]["info"]
    assert info["video.codec"] == "hevc"
    with DatasetReader(out) as got, DatasetReader(recorded) as src:
        for e in range(src.num_episodes):
            assert np.array_equal(got.frames(e, keys=[DEPTH])[DEPTH], src.frames(e, keys=[DEPTH])[DEPTH])
            assert (out / got.video_path(e, FRONT).relative_to(out)).read_bytes() == \
                src.video_path(e, FRONT).read_bytes()  # streams not converted are moved as bytes


def test_convert_images_to_video_job(recorded, copy_of, tmp_path):
    src = copy_of(recorded)
    make_image_dataset(src)
    out = lerec.jobs.convert_to_video(src, tmp_path / "job", rgb=H264, **LOCAL)
    convert_to_video(src, tmp_path / "one", rgb=H264)
    assert_same_dataset(out, tmp_path / "one", same_video_bytes=False)


def test_merge_job_equals_the_one_process_merge(recorded, recorded_b, tmp_path):
    out = lerec.jobs.merge([recorded, recorded_b, recorded], tmp_path / "job", **LOCAL)
    merge_datasets([recorded, recorded_b, recorded], tmp_path / "one")
    assert_same_dataset(out, tmp_path / "one")  # fragments moved, never re-encoded: same bytes
    with pytest.raises(DatasetError, match="at least two"):
        lerec.jobs.merge([recorded], tmp_path / "single", **LOCAL)


def test_validate_job_decodes_every_frame_and_names_the_episode_at_fault(recorded, copy_of, tmp_path):
    assert lerec.jobs.validate(recorded, **LOCAL) == validate(recorded, decode=True) == []
    assert not (recorded.parent / f"{recorded.name}.lerec-validate").exists()
    broken = copy_of(recorded)
    with DatasetReader(broken) as reader:
        path = reader.video_path(2, WRIST)
    data = bytearray(path.read_bytes())  # the file holds the three episodes, the last in its second half
    data[len(data) // 2:] = bytes(len(data) - len(data) // 2)  # zeroed second half: later frames undecodable
    path.write_bytes(bytes(data))
    problems = lerec.jobs.validate(broken, **LOCAL)
    assert problems and validate(broken, decode=True)
    assert any(p.episode == 2 and p.stream == WRIST for p in problems), problems


def test_recompute_stats_job_matches_the_decoded_frames(recorded, tmp_path):
    out = lerec.jobs.recompute_stats(recorded, tmp_path / "job", **LOCAL)
    assert validate(out) == []
    with DatasetReader(out) as got, DatasetReader(recorded, depth_output_unit="mm") as src:
        for e in range(src.num_episodes):
            stats = ImageStats(3, "rgb")
            for frame in src.frames(e, keys=[FRONT])[FRONT]:
                stats.add(frame)
            want, row = stats.result(), got.meta.episode_stats(got.episode(e))
            for name in ("min", "max", "mean", "std", "count"):
                assert np.allclose(row[FRONT][name], want[name]), (e, name)
            assert np.array_equal(got.rows(e)["observation.state"], src.rows(e)["observation.state"])


def test_a_failing_episode_names_itself_and_no_output_is_written(recorded, copy_of, tmp_path):
    src = copy_of(recorded)
    with DatasetReader(src) as reader:
        reader.video_path(2, FRONT).unlink()  # the three episodes' file: each rank fails on its first
    with pytest.raises(DatasetError) as caught:
        lerec.jobs.reencode(src, tmp_path / "out", rgb=H264, **LOCAL)
    message = str(caught.value)
    assert re.match(rf"{re.escape(str(src))}: episode [01] \(reencode, rank [01]\): stream {FRONT}: ", message)
    assert not (tmp_path / "out").exists()
    shutil.rmtree(tmp_path / "out.lerec-job")


def test_settings_are_checked_before_any_work(recorded, tmp_path):
    with pytest.raises(SettingsError, match="--executor 'mpi'"):
        lerec.jobs.reencode(recorded, tmp_path / "out", rgb=H264, executor="mpi")
    with pytest.raises(SettingsError, match="--workers 0"):
        lerec.jobs.reencode(recorded, tmp_path / "out", rgb=H264, workers=0)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("")
    with pytest.raises(DatasetError, match="not empty"):
        lerec.jobs.reencode(recorded, tmp_path / "used", rgb=H264, **LOCAL)
    assert not (tmp_path / "used.lerec-job").exists()


def test_cli_commands_take_an_executor(recorded, recorded_b, tmp_path, capsys):
    out = tmp_path / "merged"
    assert main(["merge", str(recorded), str(recorded_b), "--output", str(out), "--executor", "local",
                 "--workers", "2"]) == 0
    assert main(["validate", str(out), "--decode", "--executor", "local", "--workers", "2"]) == 0
    assert capsys.readouterr().out.endswith(f"{out}: OK\n")
    assert main(["merge", str(recorded), str(recorded_b), "--output", str(tmp_path / "x"), "--tasks", "2"]) == 2
    assert "--tasks needs --executor local|slurm|ray" in capsys.readouterr().err



@pytest.mark.parametrize("workers", [1, 2])
def test_a_local_job_prints_lerecs_lines_not_datatroves(recorded, workers):
    """datatrove's banner, pipeline and emoji statistics stay in the job's log files, out of the console."""
    done = subprocess.run([sys.executable, "-m", "lerec", "validate", "--decode", "--executor", "local",
                           "--workers", str(workers), str(recorded)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{recorded}: OK\n"
    assert done.stderr == "", done.stderr
