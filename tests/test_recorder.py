"""The recorder's invariant: every video of every episode has exactly `length` frames at k/fps == parquet rows."""

import json
import os
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from lerec import Recorder, RGBEncoderConfig
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import CameraError, DatasetError, LerecError

from recording_fixtures import STATE, CountingRobot, barcodes, decode_file, episode_frames, record, small_camera

FRONT = "observation.images.front"
WRIST = "observation.images.wrist"


def rows_of(root, episode):
    tables = [pq.read_table(p) for p in sorted((root / "data").glob("chunk-*/file-*.parquet"))]
    rows = [r for t in tables for r in t.to_pylist()]
    return [r for r in rows if r["episode_index"] == episode]


def check_invariant(root, keys):
    meta = DatasetMeta.load(root)
    for row in meta.episodes:
        e, length = row["episode_index"], row["length"]
        rows = rows_of(root, e)
        assert len(rows) == length
        assert [r["frame_index"] for r in rows] == list(range(length))
        assert [r["timestamp"] for r in rows] == pytest.approx([k / 30 for k in range(length)])
        assert [r["index"] for r in rows] == list(range(row["dataset_from_index"], row["dataset_to_index"]))
        for key in keys:
            frames = episode_frames(root, key, e)
            assert len(frames) == length, f"episode {e} {key}: {len(frames)} frames for {length} rows"
            assert barcodes(frames) == row[f"lerec/{key}/camera_seq"]
    return meta


async def test_two_cameras_three_episodes_frames_equal_rows(dataset_root):
    cams = {"front": small_camera(), "wrist": small_camera(width=80, height=60)}
    reports = await record(dataset_root, cams, episodes=3, num_frames=25)
    meta = check_invariant(dataset_root, [FRONT, WRIST])
    assert [r.length for r in reports] == [25, 25, 25]
    assert meta.info["total_episodes"] == 3 and meta.info["total_frames"] == 75
    # Episodes share one video file per camera, one after another.
    assert {(r[f"videos/{FRONT}/file_index"], r[f"videos/{FRONT}/from_timestamp"]) for r in meta.episodes} == {
        (0, 0.0), (0, 25 / 30), (0, 50 / 30)}
    # Rows carry step()'s values tick by tick.
    assert [r["observation.state"][0] for r in rows_of(dataset_root, 1)] == list(range(25, 50))


async def test_decoded_pixels_are_close_to_the_camera_frames(dataset_root):
    from lerec.cameras.synthetic import synthetic_rgb

    good = RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=18)  # yuv420p conversion alone costs ~2.3
    await record(dataset_root, {"front": small_camera(width=160, height=120)}, num_frames=10, rgb_encoder=good)
    meta = DatasetMeta.load(dataset_root)
    seqs = meta.episodes[0][f"lerec/{FRONT}/camera_seq"]
    for frame, seq in zip(episode_frames(dataset_root, FRONT, 0), seqs):
        error = np.abs(frame.astype(int) - synthetic_rgb(seq, 160, 120).astype(int)).mean()
        assert error < 4, f"mean abs error {error:.1f} for camera frame {seq}"


async def test_info_json_holds_stream_facts_and_encoder_settings(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=5)
    info = json.loads((dataset_root / "meta/info.json").read_text())
    feature = info["features"][FRONT]
    assert feature["dtype"] == "video" and feature["shape"] == [48, 64, 3]
    assert feature["info"]["video.codec"] == "h264" and feature["info"]["video.pix_fmt"] == "yuv420p"
    assert feature["info"]["video.fps"] == 30 and feature["info"]["video.g"] == 2
    assert feature["info"]["video.preset"] == "ultrafast" and feature["info"]["is_depth_map"] is False
    assert info["features"]["observation.state"]["names"] == ["x", "y", "z"]
    stats = json.loads((dataset_root / "meta/stats.json").read_text())
    assert np.asarray(stats[FRONT]["mean"]).shape == (3, 1, 1)
    assert 0 < np.asarray(stats[FRONT]["mean"]).min() < 1
    assert stats["observation.state"]["max"] == [4.0, 4.0, 4.0]


async def test_slow_encoder_spills_to_disk_and_loses_nothing(dataset_root):
    # x264 veryslow on textured VGA runs at about a third of real time here: with a one-frame queue the encoder
    # falls behind, frames wait on disk, none is dropped.
    slow = RGBEncoderConfig(vcodec="h264", preset="veryslow", crf=10)
    cams = {"front": small_camera(width=640, height=480, noise=8)}
    reports = await record(dataset_root, cams, num_frames=30, rgb_encoder=slow, encoder_queue_maxsize=1)
    stream = reports[0].streams[FRONT]
    assert stream.spilled > 0 and stream.frames == 30
    check_invariant(dataset_root, [FRONT])


async def test_encoding_after_the_episode_keeps_the_invariant(dataset_root):
    reports = await record(dataset_root, {"front": small_camera()}, episodes=2, num_frames=15,
                           streaming_encoding=False)
    assert reports[0].streams[FRONT].spilled == 15
    check_invariant(dataset_root, [FRONT])


async def test_slow_camera_repeats_its_last_frame(dataset_root):
    reports = await record(dataset_root, {"front": small_camera(fps=10), "wrist": small_camera()}, num_frames=30)
    meta = check_invariant(dataset_root, [FRONT, WRIST])
    report = reports[0]
    for key in (FRONT, WRIST):
        seqs = meta.episodes[0][f"lerec/{key}/camera_seq"]
        assert seqs == sorted(seqs)
        assert report.streams[key].repeated == len(seqs) - len(set(seqs))
    # A camera never delivers a frame before it is due: in the episode's span the 10 fps camera gives at most
    # one frame per 100 ms (plus the one it had at the first tick), however late a loaded machine runs the ticks.
    front_seqs = meta.episodes[0][f"lerec/{FRONT}/camera_seq"]
    assert len(set(front_seqs)) <= report.duration_s * 10 + 2
    assert report.streams[FRONT].repeated >= 30 - (report.duration_s * 10 + 2)


async def test_stalled_camera_is_counted_not_fatal(dataset_root):
    # A pause the camera is allowed (max_frame_age_s): its last frame is repeated, counted, not an error. The camera
    # gives frame 0 and then nothing for an hour, so every later tick repeats it, however loaded the machine.
    reports = await record(dataset_root, {"front": small_camera(stall_at=1, stall_s=3600)}, num_frames=30,
                           max_frame_age_s=7200)
    assert reports[0].streams[FRONT].repeated == 29
    meta = check_invariant(dataset_root, [FRONT])
    assert meta.episodes[0][f"lerec/{FRONT}/camera_seq"] == [0] * 30


async def test_failing_camera_ends_the_episode_and_keeps_saved_ones(dataset_root):
    cams = {"front": small_camera(), "wrist": small_camera()}
    robot = CountingRobot()

    def step():
        if robot.tick == 10 + 5:  # episode 1, tick 5: the wrist camera fails
            rec.readers["wrist"].camera.fail("unplugged")
        return robot()

    async with Recorder.create(dataset_root, 30, cams, STATE, rgb_encoder=RGBEncoderConfig(vcodec="h264")) as rec:
        await rec.record_episode("ok", num_frames=10, step=robot)
        with pytest.raises(CameraError, match=r"camera 'wrist' stream 'color'.*unplugged") as err:
            await rec.record_episode("breaks", num_frames=600, step=step)
        assert err.value.camera == "wrist"
        with pytest.raises(CameraError, match="wrist"):  # the camera stays failed
            await rec.record_episode("again", num_frames=5, step=robot)
    meta = check_invariant(dataset_root, [FRONT, WRIST])
    assert meta.info["total_episodes"] == 1 and meta.tasks == ["ok"]
    assert not (dataset_root / ".lerec").exists()


async def test_camera_failing_after_the_last_tick_keeps_that_episode(dataset_root):
    import anyio

    cams = {"front": small_camera(), "wrist": small_camera()}
    async with Recorder.create(dataset_root, 30, cams, STATE) as rec:
        robot = CountingRobot()

        async def step():
            values = robot()
            if robot.tick == 8:  # the last tick: its frames are taken; the camera fails before the save
                rec.readers["wrist"].camera.fail("unplugged")
                while rec.readers["wrist"].error is None:
                    await anyio.sleep(0.01)
            return values

        report = await rec.record_episode("ok", num_frames=8, step=step)
        assert report.length == 8
        with pytest.raises(CameraError, match="wrist"):
            await rec.record_episode("next", num_frames=5, step=robot)
    meta = check_invariant(dataset_root, [FRONT, WRIST])
    assert meta.info["total_episodes"] == 1 and meta.episodes[0]["length"] == 8


async def test_resume_appends_and_refuses_other_settings(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=10)
    await record(dataset_root, {"front": small_camera()}, num_frames=12, resume=True)
    meta = check_invariant(dataset_root, [FRONT])
    assert [r["length"] for r in meta.episodes] == [10, 12]
    assert meta.episodes[1]["dataset_from_index"] == 10
    with pytest.raises(DatasetError, match=r"video.crf: 30 -> 20"):
        await record(dataset_root, {"front": small_camera()}, resume=True,
                     rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=20))
    with pytest.raises(DatasetError, match=r"camera streams \['observation.images.front'\].*wrist"):
        await record(dataset_root, {"front": small_camera(), "wrist": small_camera()}, resume=True)
    with pytest.raises(DatasetError, match="already holds a dataset"):
        await record(dataset_root, {"front": small_camera()})


async def test_step_errors_name_the_feature(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE,
                               rgb_encoder=RGBEncoderConfig(vcodec="h264")) as rec:
        with pytest.raises(DatasetError, match=r"did not return feature 'action' at tick 0"):
            await rec.record_episode("t", num_frames=3, step=lambda: {"observation.state": [1, 2, 3]})
        with pytest.raises(LerecError, match="needs a task"):
            await rec.record_episode("", num_frames=3, step=lambda: {})
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 0


async def test_a_failed_save_is_cut_and_the_next_episode_follows_on(dataset_root):
    # The bad episode's video is appended while its rows are checked; the failed save must take it back out.
    robot = CountingRobot()

    def loses_action():
        values = robot()
        return values if robot.tick <= 4 else {"observation.state": values["observation.state"]}

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE,
                               rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast")) as rec:
        await rec.record_episode("ok", num_frames=10, step=robot)
        robot.tick = 0
        with pytest.raises(DatasetError, match=r"did not return feature 'action' at tick 4"):
            await rec.record_episode("bad", num_frames=8, step=loses_action)
        await rec.record_episode("ok again", num_frames=12, step=robot)
    meta = check_invariant(dataset_root, [FRONT])
    assert [r["length"] for r in meta.episodes] == [10, 12] and meta.tasks == ["ok", "ok again"]
    assert len(decode_file(meta.video_file(FRONT, meta.episodes[1]))) == 22
    assert len(pq.read_table(dataset_root / "data/chunk-000/file-000.parquet")) == 22


async def test_features_are_inferred_from_step_when_not_declared(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()},
                               rgb_encoder=RGBEncoderConfig(vcodec="h264")) as rec:
        await rec.record_episode("t", num_frames=4, step=lambda: {"gripper": 0.5, "joints": [1.0, 2.0]})
    features = DatasetMeta.load(dataset_root).features
    assert features["gripper"] == {"dtype": "float32", "shape": [1], "names": None}
    assert features["joints"]["shape"] == [2]
    assert [r["gripper"] for r in rows_of(dataset_root, 0)] == [0.5] * 4


async def test_video_files_roll_over_by_size(dataset_root):
    robot = CountingRobot()
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE,
                               rgb_encoder=RGBEncoderConfig(vcodec="h264")) as rec:
        rec.writer.meta.info["video_files_size_in_mb"] = 0  # every episode overflows the current file
        for _ in range(3):
            await rec.record_episode("t", num_frames=5, step=robot)
    meta = check_invariant(dataset_root, [FRONT])
    assert [r[f"videos/{FRONT}/file_index"] for r in meta.episodes] == [0, 1, 2]
    assert [r[f"videos/{FRONT}/from_timestamp"] for r in meta.episodes] == [0.0, 0.0, 0.0]


async def test_parquet_files_roll_over_by_rows(dataset_root):
    # Parquet files are replaced whole per episode, so lerec bounds their rows: here 2 episodes per file.
    from lerec.dataset.reading.validate import validate

    robot = CountingRobot()
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE,
                               rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast")) as rec:
        rec.writer.data_file_max_rows = 25
        rec.writer.episodes_file_max_rows = 2
        for _ in range(2):
            await rec.record_episode("t", num_frames=10, step=robot)
        with pytest.raises(DatasetError, match="did not return feature"):  # a failed episode in between
            await rec.record_episode("t", num_frames=10, step=lambda: {"observation.state": [0, 0, 0]})
        for _ in range(3):
            await rec.record_episode("t", num_frames=10, step=robot)
    meta = check_invariant(dataset_root, [FRONT])
    assert [(r["data/file_index"], r["meta/episodes/file_index"]) for r in meta.episodes] == [
        (0, 0), (0, 0), (1, 1), (1, 1), (2, 2)]
    assert [len(pq.read_table(dataset_root / f"data/chunk-000/file-00{i}.parquet")) for i in range(3)] == [20, 20, 10]
    assert validate(dataset_root) == []


async def test_image_dataset_stores_lossless_pngs_in_the_parquet(dataset_root):
    from lerec.cameras.synthetic import synthetic_depth, synthetic_rgb
    from lerec.encoding.png import decode_png

    await record(dataset_root, {"front": small_camera(depth=True)}, num_frames=6, video=False)
    meta = DatasetMeta.load(dataset_root)
    assert meta.info["video_path"] is None and meta.video_keys == []
    assert meta.features[FRONT]["dtype"] == "image"
    assert meta.features[FRONT + "_depth"]["info"] == {"is_depth_map": True, "depth_unit": "mm"}
    rows = rows_of(dataset_root, 0)
    seqs = meta.episodes[0][f"lerec/{FRONT}/camera_seq"]
    assert len(rows) == 6 == len(seqs)
    for row, seq in zip(rows, seqs):
        assert np.array_equal(decode_png(row[FRONT]["bytes"]), synthetic_rgb(seq, 64, 48))
        assert np.array_equal(decode_png(row[FRONT + "_depth"]["bytes"]), synthetic_depth(seq, 64, 48))


async def test_streams_share_the_cores_among_their_encoders(dataset_root):
    # x264 writes its settings into the stream (an SEI message): the threads each encoder really ran with.
    from lerec.recording.session_setup import threads_per_stream

    cams = {name: small_camera(width=320, height=240) for name in ("a", "b", "c")}
    await record(dataset_root, cams, num_frames=4, rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast"))
    share = threads_per_stream(3)
    assert share == max(1, len(os.sched_getaffinity(0)) // 3)
    for name in cams:
        data = (dataset_root / f"videos/observation.images.{name}/chunk-000/file-000.mp4").read_bytes()
        threads = int(re.search(rb" threads=(\d+) ", data).group(1))
        assert threads <= share, f"{name}: x264 ran {threads} threads, the share is {share}"


async def test_report_times_the_save_from_the_end_of_the_last_frame(dataset_root):
    (report,) = await record(dataset_root, {"front": small_camera()}, num_frames=12)
    # The episode lasts its 12 periods; the last tick is one period before that end.
    assert report.duration_s >= 12 / 30
    assert 0 <= report.save_after_last_tick_s - report.save_latency_s <= 1 / 30 + 1e-6
    assert report.achieved_fps <= 30.0


async def test_the_session_freezes_its_heap_out_of_the_collector(dataset_root):
    import gc

    from lerec.recording.interpreter import FROZEN_AT_IMPORT

    assert gc.get_freeze_count() <= FROZEN_AT_IMPORT  # nothing frozen but what Python 3.12 starts with
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}) as rec:
        frozen = gc.get_freeze_count()
        await rec.record_episode("pick the cube", num_frames=3)
        cycle = [None]
        cycle[0] = cycle
        del cycle
        assert gc.collect() >= 1  # what the session makes is still collected
    assert frozen > 1000
    assert gc.get_freeze_count() == 0
