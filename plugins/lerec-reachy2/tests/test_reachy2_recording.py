"""Recording from a loopback Reachy 2 video service: frames and depth from the first tick; a dead server ends the
episode with an error naming the camera, and earlier episodes stay intact."""

from __future__ import annotations


import anyio
import numpy as np
import pytest
from reachy2_sdk_api import video_pb2

from lerec import Recorder, RGBEncoderConfig
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import quantize_depth
from lerec.errors import CameraError
from lerec.testing import episode_video, record_with_cli
from lerec_reachy2.config import Reachy2CameraConfig
from lerec_reachy2.loopback_server import HEIGHT, WIDTH, served_color, served_depth_mm, start_video_server

FAST_H264 = RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=18)  # crf 18: pixels stay close
HEAD, TORSO_DEPTH = "observation.images.head", "observation.images.torso_depth"


@pytest.fixture
def video_server():
    server, port = start_video_server()
    yield server, port
    server.stop(None)


def check_episode(root, episode: int) -> None:
    colors, color_seqs = episode_video(root, HEAD, episode)
    assert len(colors) == DatasetMeta.load(root).episodes[episode]["length"]
    for frame, seq in zip(colors, color_seqs):
        np.testing.assert_allclose(frame.mean(axis=(0, 1)), served_color(seq, video_pb2.LEFT)[0, 0], atol=6)
    codes, depth_seqs = episode_video(root, TORSO_DEPTH, episode)
    assert len(codes) == len(colors)
    for code, seq in zip(codes, depth_seqs):
        assert np.abs(code.astype(int) - quantize_depth(served_depth_mm(seq), DepthEncoderConfig())).max() <= 1


async def test_record_teleop_and_depth_then_lose_the_server(video_server, tmp_path):
    server, port = video_server
    cameras = {
        "head": Reachy2CameraConfig(name="teleop", image_type="left", host="127.0.0.1", port=port),
        "torso": Reachy2CameraConfig(name="depth", image_type="depth", host="127.0.0.1", port=port),
    }
    root = tmp_path / "ds"
    async with Recorder.create(root, 30, cameras, rgb_encoder=FAST_H264, camera_timeout_s=2) as rec:
        first = await rec.record_episode("look", num_frames=20, step=lambda: {})
        assert first.length == 20
        seqs = DatasetMeta.load(root).episodes[0][f"lerec/{HEAD}/camera_seq"]
        assert first.streams[HEAD].repeated == len(seqs) - len(set(seqs))  # counted from the frames sampled

        async def kill_server_soon():
            await anyio.sleep(0.3)
            server.stop(None)

        async with anyio.create_task_group() as tg:
            tg.start_soon(kill_server_soon)
            with pytest.raises(CameraError, match=rf"camera '(head|torso)'.*127.0.0.1:{port}") as err:
                await rec.record_episode("robot goes away", num_frames=150, step=lambda: {})
        assert err.value.camera in ("head", "torso")
    meta = DatasetMeta.load(root)
    assert meta.info["total_episodes"] == 1 and meta.tasks == ["look"]
    for key in (HEAD, TORSO_DEPTH):  # the first tick already had a frame of each camera (its age depends on load)
        assert meta.episodes[0][f"lerec/{key}/capture_age_us"][0] >= 0
    check_episode(root, 0)


def test_lerec_record_with_reachy2_cameras(video_server, tmp_path):
    _, port = video_server
    root = tmp_path / "cli"
    cameras = (f"{{head: {{type: reachy2, host: 127.0.0.1, port: {port}}}, "
               f"torso: {{type: reachy2, name: depth, image_type: depth, host: 127.0.0.1, port: {port}}}}}")
    done = record_with_cli(root, cameras)
    assert done.returncode == 0, done.stderr
    meta = DatasetMeta.load(root)
    assert meta.features[TORSO_DEPTH]["info"]["is_depth_map"] is True
    assert meta.features[HEAD]["shape"][:2] == [HEIGHT, WIDTH]
    check_episode(root, 0)
