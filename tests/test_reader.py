"""Reading back what the recorder wrote: rows, RGB frames (by barcode), depth in mm and m, random access."""

import random

import av
import numpy as np
import pytest

from lerec.cameras.synthetic import read_frame_index, synthetic_depth
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.video_decoder import VideoDecoder
from lerec.errors import DatasetError

from dataset_fixtures import DEPTH, FRONT, WRIST


def test_episodes_tasks_and_features(recorded):
    with DatasetReader(recorded) as reader:
        assert (reader.num_episodes, reader.num_frames, len(reader)) == (3, 60, 60)
        assert reader.tasks == ["pick the cube"]
        assert reader.video_keys == [FRONT, WRIST, DEPTH] and reader.depth_keys == [DEPTH]
        rows = reader.rows(1)
        assert list(rows["frame_index"]) == list(range(20))
        assert list(rows["index"]) == list(range(20, 40))
        # The counting robot's state is the tick number, continuing over episodes.
        assert rows["observation.state"].shape == (20, 3) and rows["observation.state"][0, 0] == 20


def test_every_frame_in_order_is_the_camera_frame_the_recorder_sampled(recorded):
    with DatasetReader(recorded) as reader:
        for e in range(reader.num_episodes):
            frames = reader.frames(e, keys=[FRONT, WRIST])
            for key in (FRONT, WRIST):
                assert frames[key].shape == (20, 48, 64, 3) and frames[key].dtype == np.uint8
                got = [read_frame_index(f) for f in frames[key]]
                assert got == list(reader.episode(e)[f"lerec/{key}/camera_seq"]), (e, key)


def test_random_items_hold_the_right_frames_and_depth(recorded):
    with DatasetReader(recorded) as reader:
        order = list(range(len(reader)))
        random.Random(3).shuffle(order)
        for index in order:
            item = reader[index]
            e, i = reader.locate(index)
            row = reader.episode(e)
            assert item["index"] == index and item["frame_index"] == i and item["task"] == "pick the cube"
            assert read_frame_index(item[FRONT]) == row[f"lerec/{FRONT}/camera_seq"][i]
            depth = item[DEPTH]
            assert depth.shape == (48, 64, 1) and depth.dtype == np.uint16
            want = synthetic_depth(row[f"lerec/{DEPTH}/camera_seq"][i], 64, 48).astype(int)
            # Log quantization steps are ~1.5 mm below 1.5 m; no-data pixels stay 0.
            assert np.abs(depth[..., 0].astype(int) - want).max() <= 2
            assert ((depth[..., 0] == 0) == (want == 0)).all()


def test_frames_read_at_random_are_pyav_own_conversion_pixel_for_pixel(recorded):
    path = next((recorded / "videos" / FRONT).rglob("*.mp4"))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        want = [(float(f.pts * stream.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    decoder = VideoDecoder(path)
    try:
        for k in random.Random(5).sample(range(len(want)), len(want)):
            assert np.array_equal(decoder.frame_at(want[k][0]), want[k][1]), k
    finally:
        decoder.close()


def test_depth_in_metres_and_by_timestamp(recorded):
    with DatasetReader(recorded, depth_output_unit="m") as reader:
        by_time = reader.frame_at(2, 7 / 30)
        by_index = reader.frame(2, 7)
        assert by_time[DEPTH].dtype == np.float32
        np.testing.assert_array_equal(by_time[DEPTH], by_index[DEPTH])
        seq = reader.episode(2)[f"lerec/{DEPTH}/camera_seq"][7]
        assert np.abs(by_time[DEPTH][..., 0] - synthetic_depth(seq, 64, 48, unit="m")).max() < 0.003
        with pytest.raises(DatasetError, match="no frame at"):
            reader.frame_at(2, 0.5 / 30)


def test_out_of_range_requests_name_the_episode(recorded):
    with DatasetReader(recorded) as reader:
        with pytest.raises(DatasetError, match="episode 1"):
            reader.frame(1, 20)
        with pytest.raises(DatasetError, match="episode 5 does not exist"):
            reader.frame(5, 0)
        with pytest.raises(DatasetError, match="out of range"):
            reader[60]
