"""The sensor plugin kind, bad sensor input, and sensor streams kept by every tool (merge, delete, split, the jobs,
resume after a crash, validate): real recordings with the synthetic sensors, real files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import anyio
import pytest

from lerec import Recorder
from lerec.cli import main
from lerec.dataset.editing.edit import delete_episodes, split_dataset
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.writing.writer import DatasetWriter
from lerec.errors import DatasetError, SensorError, SettingsError
from lerec.sensors.registry import build_sensor_config, sensor_types
from lerec.sensors.synthetic import SyntheticAudioConfig, SyntheticImuConfig

from recording_fixtures import FAST_H264, small_camera

SENSORS = {"imu": SyntheticImuConfig(hz=200), "mic": SyntheticAudioConfig(sample_rate=16000)}
CLI_SENSORS = "{imu: {type: synthetic_imu, hz: 200}, mic: {type: synthetic_audio, sample_rate: 16000}}"
SMALL = "{front: {type: synthetic, width: 64, height: 48, fps: 30}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


async def _record(root, episodes=2, seconds=0.5, sensors=SENSORS, resume=False):
    async with Recorder.create(root, 30, {"front": small_camera()}, rgb_encoder=FAST_H264, sensors=sensors,
                               resume=resume) as rec:
        for _ in range(episodes):
            await rec.record_episode("t", seconds)


def record(root, **options):
    anyio.run(lambda: _record(root, **options))
    return root


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record(tmp_path_factory.mktemp("sensors") / "ds", episodes=3)


def sensor_files(root):
    return sorted(p.relative_to(root).as_posix() for pattern in fmt.SENSOR_FILES for p in root.glob(pattern))


# --- the plugin kind ------------------------------------------------------------------------------------------------
def test_sensor_types_come_through_entry_points():
    types = sensor_types()
    assert {"synthetic_imu", "synthetic_audio"} <= set(types)
    assert types["synthetic_imu"].distribution == "lerec"


def test_bad_sensor_settings_name_the_option():
    with pytest.raises(SettingsError, match="unknown sensor type 'nope'; installed: .*synthetic_audio"):
        build_sensor_config("nope", {})
    with pytest.raises(SettingsError, match="sample_rate 12345 Hz is not supported .* 16000"):
        build_sensor_config("synthetic_audio", {"sample_rate": 12345})
    with pytest.raises(SettingsError, match="has no option 'rate'"):
        build_sensor_config("synthetic_imu", {"rate": 100})
    with pytest.raises(SettingsError, match="hz must be a number from 1 to 4000"):
        build_sensor_config("synthetic_imu", {"hz": 0})


def test_cli_refuses_bad_sensors_before_writing(tmp_path):
    root = tmp_path / "ds"
    for spec, message in (("{imu: {type: nope}}", "unknown sensor type 'nope'"),
                          ("{mic: {type: synthetic_audio, sample_rate: 12345}}", "12345 Hz is not supported"),
                          ("{'a/b': {type: synthetic_imu}}", "sensor name 'a/b' is not allowed")):
        run = subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={root}",
                              f"--sensors={spec}"], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("lerec record: error: --sensors") and message in run.stderr
        assert "Traceback" not in run.stderr and not root.exists()


def test_lerec_sensors_lists_types(capsys):
    assert main(["sensors"]) == 0
    out = capsys.readouterr().out
    assert "synthetic_imu" in out and "synthetic_audio" in out
    assert main(["sensors", "--options", "synthetic_audio"]) == 0
    assert "tone_hz" in capsys.readouterr().out


# --- a device that fails mid-episode ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault, message", [({"disconnect_after_s": 1.2}, "the device disappeared"),
                                            ({"stall_after_s": 1.2}, "no samples for 2 s during episode 1")])
def test_a_sensor_failing_mid_episode_ends_it_and_keeps_the_saved_ones(tmp_path, fault, message):
    root = tmp_path / "ds"

    async def session():
        async with Recorder.create(root, 30, {"front": small_camera()}, rgb_encoder=FAST_H264,
                                   sensors={"imu": SyntheticImuConfig(hz=200, **fault)}) as rec:
            await rec.record_episode("t", 0.6)  # episode 0 ends before the fault
            with pytest.raises(SensorError, match=f"sensor 'imu': .*{message}"):
                await rec.record_episode("t", 5.0)
            assert rec.num_episodes == 1

    anyio.run(session)
    assert DatasetMeta.load(root).info["total_episodes"] == 1
    assert sensor_files(root) == ["sensors/observation.sensors.imu/chunk-000/file-000.parquet"]
    assert validate(root, decode=True) == []


# --- storage kept by every tool -------------------------------------------------------------------------------------
def test_delete_split_and_merge_copy_the_files_byte_for_byte(recorded, tmp_path):
    deleted = delete_episodes(recorded, tmp_path / "del", [1])
    split = split_dataset(recorded, tmp_path / "split", {"train": [0, 1], "test": [2]})
    merged = merge_datasets([recorded, deleted], tmp_path / "merged")
    for out, source_episodes in ((deleted, [0, 2]), (split["train"], [0, 1]), (split["test"], [2]),
                                 (merged, [0, 1, 2, 0, 2])):
        assert validate(out, decode=True) == []
        with DatasetReader(recorded) as src, DatasetReader(out) as dst:
            assert dst.sensor_streams == src.sensor_streams
            for new, old in enumerate(source_episodes):
                for key, decl in src.sensor_streams.items():
                    for a, b in zip(fmt.sensor_paths(key, decl.audio, old), fmt.sensor_paths(key, decl.audio, new)):
                        assert (recorded / a).read_bytes() == (out / b).read_bytes()


def test_jobs_keep_the_streams(recorded, tmp_path):
    pytest.importorskip("datatrove", reason="needs lerec[scale]")
    out = tmp_path / "job"
    assert main(["merge", str(recorded), str(recorded), "--output", str(out), "--executor", "local",
                 "--workers", "2"]) == 0
    assert validate(out, decode=True) == []
    with DatasetReader(out) as reader:
        for e in range(6):
            key = "observation.audio.mic"
            path = fmt.sensor_paths(key, True, e)[1]
            assert (out / path).read_bytes() == (recorded / fmt.sensor_paths(key, True, e % 3)[1]).read_bytes()
        assert reader.stream(5, "imu")[0].size > 0


def test_merge_refuses_sources_with_other_streams(recorded, tmp_path):
    other = record(tmp_path / "other", episodes=1, sensors={"imu": SyntheticImuConfig(hz=100)})
    with pytest.raises(DatasetError, match="records sensor streams"):
        merge_datasets([recorded, other], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_resume_needs_the_same_sensors(recorded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(recorded, copy)
    with pytest.raises(SettingsError, match="--resume needs the same sensors"):
        record(copy, episodes=1, sensors={"imu": SyntheticImuConfig(hz=100)}, resume=True)
    record(copy, episodes=1, resume=True)
    assert validate(copy) == []


def test_validate_and_repair_find_files_beyond_the_committed_episodes(recorded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(recorded, copy)
    # What a crash between placing an episode's sensor files and its commit leaves.
    for key, audio in (("observation.sensors.imu", False), ("observation.audio.mic", True)):
        for a, b in zip(fmt.sensor_paths(key, audio, 2), fmt.sensor_paths(key, audio, 3)):
            shutil.copyfile(copy / a, copy / b)
    problems = validate(copy)
    assert len(problems) == 3 and all("belongs to no episode" in str(p) for p in problems)
    DatasetWriter.resume(copy).remove_staging()
    assert validate(copy, decode=True) == [] and sensor_files(copy) == sensor_files(recorded)


def test_kill_9_during_an_episode_keeps_the_saved_ones(tmp_path):
    root = tmp_path / "k"
    proc = subprocess.Popen([sys.executable, "-m", "lerec", "record", f"--dataset.root={root}",
                             "--dataset.num_episodes=4", "--dataset.episode_time_s=1", f"--cameras={SMALL}",
                             f"--sensors={CLI_SENSORS}", *FAST], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    info = root / fmt.INFO_PATH
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if info.exists() and json.loads(info.read_text())["total_episodes"] == 2:
            break
        time.sleep(0.02)
    time.sleep(0.5)  # inside episode 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert DatasetMeta.load(root).info["total_episodes"] == 2
    with DatasetReader(root) as reader:
        for e in range(2):
            assert abs(len(reader.stream(e, "mic")[0]) - 16000) <= 80
    resumed = subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", "--resume",
                              "--dataset.num_episodes=1", "--dataset.episode_time_s=0.5", f"--cameras={SMALL}",
                              f"--sensors={CLI_SENSORS}", *FAST], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert validate(root, decode=True) == []
    with DatasetReader(root) as reader:
        assert reader.num_episodes == 3 and abs(len(reader.stream(2, "imu")[0]) - 100) <= 1


def test_plain_validate_finds_a_damaged_sensor_file(recorded, tmp_path):
    """Sensor files carry the checksums their episode's commit wrote, as data and videos do: no decoding needed."""
    info = json.loads((recorded / fmt.INFO_PATH).read_text())
    assert set(sensor_files(recorded)) | {fmt.SENSORS_META_PATH} <= set(info[fmt.CHECKSUMS])
    for relative in (fmt.sensor_paths("observation.sensors.imu", False, 1)[0],
                     fmt.sensor_paths("observation.audio.mic", True, 1)[1]):
        copy = tmp_path / relative.replace("/", "_")
        shutil.copytree(recorded, copy)
        data = bytearray((copy / relative).read_bytes())
        data[len(data) // 2] ^= 0x01  # one bit, in the middle of the file
        (copy / relative).write_bytes(bytes(data))
        problems = [str(p) for p in validate(copy)]
        assert len(problems) == 1 and problems[0].startswith(f"{relative} is damaged"), problems
        with pytest.raises(DatasetError, match="is damaged"):  # copied, it would get a checksum of its own
            merge_datasets([copy, recorded], tmp_path / f"merged_{copy.name}")
        assert not (tmp_path / f"merged_{copy.name}").exists()


def test_a_malformed_declaration_is_named_not_followed(recorded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(recorded, copy)
    path = copy / fmt.SENSORS_META_PATH
    declared = json.loads(path.read_text())
    for key, value in (("observation.sensors.imu", {"dtype": "object"}), ("../../x", {}),
                       ("observation.sensors.imu", {"rate_hz": "fast"})):
        streams = dict(declared["streams"])
        streams[key] = {**declared["streams"]["observation.sensors.imu"], **value}
        path.write_text(json.dumps({**declared, "streams": streams}))
        problems = [str(p) for p in validate(copy)]
        changed = [p for p in problems if p.startswith(f"{fmt.SENSORS_META_PATH} ") and "committed" in p]
        assert len(changed) == 1, problems  # its checksum: the declaration changed since its commit
        problems.remove(changed[0])
        assert len(problems) == 1 and "lerec_sensors.json" in problems[0], problems
        with DatasetReader(copy) as reader, pytest.raises(DatasetError, match="lerec_sensors.json"):
            reader.stream(0, "imu")


# --- shown ----------------------------------------------------------------------------------------------------------
def test_info_lists_the_streams_with_rate_and_size(recorded, capsys):
    assert main(["info", str(recorded), "--json"]) == 0
    streams = json.loads(capsys.readouterr().out)["sensor_streams"]
    imu, mic = streams["observation.sensors.imu"], streams["observation.audio.mic"]
    assert imu["rate_hz"] == 200 and imu["channels"] == 6 and imu["bytes"] > 0
    assert abs(imu["samples"] - 3 * 0.5 * 200) <= 3 and abs(imu["measured_hz"] - 200) <= 2
    assert mic["codec"] == "flac" and abs(mic["samples"] - 3 * 0.5 * 16000) <= 3 * 80
    assert main(["info", str(recorded)]) == 0
    assert "observation.audio.mic: synthetic_audio, 1 channel(s) at 16000 Hz" in capsys.readouterr().out


def test_view_plots_the_streams(recorded, tmp_path):
    from test_view import rrd_rows

    pytest.importorskip("rerun")
    out = tmp_path / "episode.rrd"
    assert main(["view", str(recorded), "--episode", "1", "--save", str(out)]) == 0
    rows = rrd_rows(out)
    with DatasetReader(recorded) as reader:
        imu = len(reader.stream(1, "imu")[0])
        mic = len(reader.stream(1, "mic")[0])
    assert rows["observation.sensors.imu@Scalars"] == imu  # every IMU sample, at its capture time
    assert rows["observation.audio.mic@Scalars"] == mic // 160  # the envelope: one point per 10 ms


def test_sensors_from_a_file(tmp_path):
    from lerec.cli.sensor_options import parse_sensors

    spec = tmp_path / "sensors.yaml"
    spec.write_text("imu: {type: synthetic_imu, hz: 400}\nmic:\n  type: synthetic_audio\n  sample_rate: 48000\n")
    for text in (str(spec), f"@{spec}"):
        sensors = parse_sensors(text)
        assert sensors["imu"].hz == 400 and sensors["mic"].sample_rate == 48000
    with pytest.raises(SettingsError, match="--sensors=@nope.yaml: file nope.yaml does not exist"):
        parse_sensors("@nope.yaml")


@pytest.mark.parametrize("times, channels, message", [([3, 2, 1], 6, "capture times do not strictly increase"),
                                                       ([1, 2, 3], 4, "a batch of 4 channel"),
                                                       ([1.0, 2.0, 3.0], 6, "a batch of 6 channel.s. with float64 times")])
def test_a_sensor_breaking_its_spec_is_named(times, channels, message):
    import numpy as np

    from lerec.recording.sensor_reader import SensorReader
    from lerec.sensors import SampleBatch, Sensor, SensorSpec

    class Wrong(Sensor):
        name = "wrong"
        spec = SensorSpec("numeric", 100.0, 6)

        async def open(self):
            pass

        async def close(self):
            pass

        async def batches(self):
            yield SampleBatch(np.asarray(times), np.zeros((3, channels), dtype=np.float32))

    reader = SensorReader("wrong", Wrong(), SyntheticImuConfig())
    anyio.run(reader.run)
    with pytest.raises(SensorError, match=f"sensor 'wrong': {message}"):
        reader.raise_if_failed()
