"""An episode's save as one object: a failing part stops the others and surfaces once, as the very error raised;
abandoning runs on a worker thread that an interrupt cannot stop half-way; a camera's or encoder's error reaches
the caller as the object that was raised, with its cause."""

import hashlib
import threading
import traceback

import anyio
import numpy as np
import pytest

from lerec import Recorder
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.writing.episode_save import EpisodeSave
from lerec.dataset.writing.writer import DatasetWriter
from lerec.errors import CameraError, EncoderError, leaf_errors

from recording_fixtures import FAST_H264, STATE, CountingRobot, record, small_camera
from test_recorder import FRONT, WRIST, check_invariant


def file_hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("data", "videos", "meta") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def state_columns(length):
    state = np.arange(length * 3, dtype=np.float32).reshape(length, 3)
    return {"observation.state": state, "action": state + 0.5}


async def test_a_failing_part_cancels_the_others_and_surfaces_once_leaving_the_files_as_before(dataset_root):
    await record(dataset_root, {"front": small_camera(), "wrist": small_camera()}, num_frames=20)
    before = file_hashes(dataset_root)
    writer = await anyio.to_thread.run_sync(DatasetWriter.resume, dataset_root)
    broken = OSError("the video could not be read")
    waiting = []

    async def columns():
        return state_columns(7), {}

    async def failing_video():
        await anyio.sleep(0.05)  # the rows are written meanwhile: abandoning has something to put back
        raise broken

    async def video_never_ready():
        try:
            await anyio.sleep_forever()
        finally:
            waiting.append("cancelled")

    with pytest.raises(BaseExceptionGroup) as caught:
        async with EpisodeSave.open(writer, "a task never committed") as save:
            save.begin(7)
            save.write_frames(columns)
            save.add_video(FRONT, failing_video)
            save.add_video(WRIST, video_never_ready)
    assert leaf_errors(caught.value) == [broken] and leaf_errors(caught.value)[0] is broken
    assert waiting == ["cancelled"]
    assert file_hashes(dataset_root) == before
    assert not (dataset_root / ".lerec/rollback").exists() and writer.pending is None


async def test_abandoning_runs_off_the_event_loop_even_when_an_interrupt_cancelled_the_save(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=20)
    before = file_hashes(dataset_root)
    writer = await anyio.to_thread.run_sync(DatasetWriter.resume, dataset_root)
    undoing, release = threading.Event(), threading.Event()
    written = anyio.Event()
    seen = {}

    def undo():  # runs where the abandoning runs, before the dataset's files are put back
        seen["thread"] = threading.current_thread()
        undoing.set()
        seen["released"] = release.wait(timeout=30)  # only the event loop, running meanwhile, releases it

    async def columns():
        return state_columns(7), {}

    async def save_until_cancelled(scope):
        with scope:
            async with EpisodeSave.open(writer, "a task never committed", undo=[undo]) as save:
                save.begin(7)
                save.write_frames(columns)
                while not save.pending.frames_written:
                    await anyio.sleep(0.01)
                written.set()
                await anyio.sleep_forever()

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(save_until_cancelled, scope)
        await written.wait()
        assert file_hashes(dataset_root) != before
        scope.cancel()  # an interrupt: the save is abandoned inside a cancelled scope
        assert await anyio.to_thread.run_sync(undoing.wait, 30), "the cancelled save was not abandoned"
        await anyio.sleep(0.05)
        release.set()
    assert scope.cancelled_caught
    assert seen["thread"] is not threading.main_thread() and seen["released"]
    assert file_hashes(dataset_root) == before
    assert not (dataset_root / ".lerec/rollback").exists() and writer.pending is None


async def test_an_encoder_that_cannot_open_its_file_ends_the_episode_with_one_error_and_its_cause(dataset_root):
    cams = {"front": small_camera(), "wrist": small_camera()}
    robot = CountingRobot()
    async with Recorder.create(dataset_root, 30, cams, STATE, rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("ok", num_frames=10, step=robot)
        # A folder where the wrist encoder writes its episode: opening it fails, as on a broken file system.
        (rec.writer.staging / "ep000001-wrist-color.mp4").mkdir()
        with pytest.raises(EncoderError, match=r"encoder for camera 'wrist' stream 'color': IsADirectoryError") as err:
            await rec.record_episode("breaks", num_frames=300, step=robot)
        assert isinstance(err.value.__cause__, IsADirectoryError)
        assert not any(rec.writer.staging.iterdir())  # the other encoder's files went with the episode
        await rec.record_episode("ok", num_frames=5, step=robot)
    meta = check_invariant(dataset_root, [FRONT, WRIST])
    assert meta.info["total_episodes"] == 2 and meta.tasks == ["ok"]


async def test_a_failing_camera_raises_its_own_error_object(dataset_root):
    cams = {"front": small_camera(), "wrist": small_camera(fail_at=20)}
    async with Recorder.create(dataset_root, 30, cams, STATE, rgb_encoder=FAST_H264) as rec:
        with pytest.raises(CameraError, match=r"camera 'wrist' stream 'color': synthetic failure at frame 20") as err:
            await rec.record_episode("breaks", num_frames=600, step=CountingRobot())
    # Its traceback leads into the camera that raised it, not to a copy made from its message.
    assert "in frames" in "".join(traceback.format_tb(err.value.__traceback__))
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 0
