"""Helpers lerec offers camera plugin authors: run a camera against the contract without a recorder.

    from lerec.testing import check_camera

    async def test_my_camera():
        frames = await check_camera(MyCamera("front", MyConfig()), frames_per_stream=10)
        assert frames["color"][0].data.mean() > 0
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import av
import numpy as np

from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta


class ContractViolation(AssertionError):
    """A camera broke the camera contract (``lerec.cameras.base``); the message says how."""


def check_frame(camera: str, spec: StreamSpec, frame: Frame) -> None:
    """Check that ``frame`` has the dtype and shape its stream promises."""
    where = f"camera {camera!r} stream {spec.name!r} frame {frame.seq}"
    data = frame.data
    if not isinstance(data, np.ndarray):
        raise ContractViolation(f"{where}: data is {type(data).__name__}, not a numpy array")
    if spec.kind == "rgb":
        expected_shape, expected_dtype = (spec.height, spec.width, 3), np.dtype(np.uint8)
    else:
        expected_shape = (spec.height, spec.width)
        expected_dtype = np.dtype(np.uint16 if spec.depth_unit == "mm" else np.float32)
    if data.shape != expected_shape or data.dtype != expected_dtype:
        raise ContractViolation(
            f"{where}: got {data.dtype} {data.shape}, the stream declares {expected_dtype} {expected_shape}"
        )


async def read_frames(camera: Camera, frames_per_stream: int, timeout_s: float = 10.0) -> dict[str, list[Frame]]:
    """Read frames from an open camera until every stream has ``frames_per_stream`` (or the camera stops)."""
    by_stream: dict[str, list[Frame]] = {spec.name: [] for spec in camera.streams}
    with anyio.fail_after(timeout_s):
        async for frame in camera.frames():
            if frame.stream not in by_stream:
                raise ContractViolation(
                    f"camera {camera.name!r} yielded stream {frame.stream!r}, not one of {sorted(by_stream)}"
                )
            by_stream[frame.stream].append(frame)
            if all(len(frames) >= frames_per_stream for frames in by_stream.values()):
                break
    return by_stream


async def check_camera(
    camera: Camera, frames_per_stream: int = 5, timeout_s: float = 10.0, allow_fewer: bool = False
) -> dict[str, list[Frame]]:
    """Open ``camera``, read ``frames_per_stream`` frames of each stream, check them against the contract, close.

    Checks: streams are declared after ``open()`` with unique names; every frame belongs to a declared stream and
    has its dtype and shape; sequence numbers increase and timestamps never decrease, per stream; timestamps are
    on the ``time.monotonic_ns()`` clock (not in the future); ``close()`` may be called twice. ``allow_fewer``
    accepts a camera that stops early (a video file). Returns the frames read, by stream name.
    """
    try:
        await camera.open()
        streams = camera.streams
        if not streams:
            raise ContractViolation(f"camera {camera.name!r} declares no streams after open()")
        names = [spec.name for spec in streams]
        if len(set(names)) != len(names):
            raise ContractViolation(f"camera {camera.name!r} declares duplicate streams: {names}")
        by_stream = await read_frames(camera, frames_per_stream, timeout_s)
    finally:
        await camera.close()
    await camera.close()
    after_ns = time.monotonic_ns()

    specs = {spec.name: spec for spec in streams}
    for name, frames in by_stream.items():
        if len(frames) < (1 if allow_fewer else frames_per_stream):
            raise ContractViolation(f"camera {camera.name!r} stream {name!r}: got {len(frames)} frames")
        for frame in frames:
            check_frame(camera.name, specs[name], frame)
            if not frame.timestamp_ns <= after_ns:
                raise ContractViolation(
                    f"camera {camera.name!r} stream {name!r} frame {frame.seq}: timestamp {frame.timestamp_ns} is "
                    "in the future; timestamps must be on the time.monotonic_ns() clock"
                )
        for earlier, later in zip(frames, frames[1:]):
            if later.seq <= earlier.seq:
                raise ContractViolation(f"camera {camera.name!r} stream {name!r}: seq {later.seq} after {earlier.seq}")
            if later.timestamp_ns < earlier.timestamp_ns:
                raise ContractViolation(
                    f"camera {camera.name!r} stream {name!r}: frame {later.seq} is timestamped before frame "
                    f"{earlier.seq}"
                )
    return by_stream


def episode_video(root: str | Path, key: str, episode: int) -> tuple[list[np.ndarray], list[int]]:
    """One episode of a video feature as recorded: its decoded frames (RGB ``uint8``, or a depth feature's
    ``uint16`` quantization codes, see :func:`lerec.encoding.depth.quantize_depth`) and, per row, the camera
    frame (``seq``) the row took."""
    root = Path(root)
    meta = DatasetMeta.load(root)
    row = meta.episodes[episode]
    path = meta.video_file(key, row)
    location = row.videos[key]
    start, end = location.from_timestamp, location.to_timestamp
    depth = fmt.is_depth_feature(meta.features[key])
    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if start - 1e-6 <= float(frame.pts * stream.time_base) < end - 1e-6:
                frames.append(frame.to_ndarray() if depth else frame.to_ndarray(format="rgb24"))
    return frames, list(row.extra[fmt.provenance_column(key, "camera_seq")])


def record_with_cli(root: str | Path, cameras: str, *, seconds: float = 0.5, episodes: int = 1, timeout_s: float = 120,
                    task: str = "test the camera"):
    """Run ``lerec record`` as a user would, with fast lossless-looking h264 (crf 18) so pixels can be checked;
    returns the finished process (``returncode``, ``stdout``, ``stderr``)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", f"--dataset.num_episodes={episodes}",
         f"--dataset.episode_time_s={seconds}", f"--cameras={cameras}", "--dataset.rgb_encoder.vcodec=h264",
         "--dataset.rgb_encoder.preset=ultrafast", "--dataset.rgb_encoder.crf=18", f"--dataset.single_task={task}"],
        capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL,  # no keyboard control
    )
