import os

import anyio
import numpy as np
import pytest

from lerec.recording.backlog import FrameBacklog


async def test_frames_past_memory_spill_to_disk_and_come_back_in_order(tmp_path):
    backlog = FrameBacklog(tmp_path / "s.spill", memory_frames=3)
    frames = [np.full((4, 5, 3), i, dtype=np.uint8) for i in range(10)]
    got = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(backlog.run_spiller)
        for i, frame in enumerate(frames):
            backlog.put(i, 0, frame)
        assert backlog.spilled_frames == 7 and backlog.max_depth == 10
        with anyio.fail_after(60):  # the spiller writes them to disk meanwhile, however loaded the machine
            while backlog._to_spill:
                await anyio.sleep(0.01)
        assert (tmp_path / "s.spill").stat().st_size == 7 * frames[0].nbytes
        backlog.put(10, 0, frames[0])  # still spilling: the spill is not drained, order must hold
        backlog.close()
        while (item := await backlog.get()) is not None:
            got.append((item.index, item.data is None, int(backlog.load(item)[0, 0, 0])))
    assert [(i, v) for i, _, v in got] == [(i, i) for i in range(10)] + [(10, 0)]
    assert [on_disk for _, on_disk, _ in got[3:10]] == [True] * 7
    backlog.discard()
    assert not (tmp_path / "s.spill").exists()
    assert not _open_on(tmp_path / "s.spill"), "the spill file's handles are closed with it"


def _open_on(path):
    """This process's file descriptors open on ``path`` (deleted or not)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.removesuffix(" (deleted)") == str(path):
            found.append(fd)
    return found


async def test_get_waits_for_put(tmp_path):
    backlog = FrameBacklog(tmp_path / "s.spill", memory_frames=2)
    got = []

    async def consumer():
        while (item := await backlog.get()) is not None:
            got.append(item.index)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consumer)
        for i in range(5):
            await anyio.sleep(0.001)
            backlog.put(i, 0, np.zeros((2, 2), np.uint16))
        backlog.close()
    assert got == [0, 1, 2, 3, 4]


async def _spilled(backlog: FrameBacklog) -> None:
    with anyio.fail_after(60):  # the spiller writes them to disk meanwhile, however loaded the machine
        while backlog._to_spill:
            await anyio.sleep(0.01)


async def test_places_read_back_take_the_next_frames(tmp_path):
    """The spill file grows to the deepest backlog, not to every frame spilled: a frame goes where one was read."""
    backlog = FrameBacklog(tmp_path / "s.spill", memory_frames=0)
    frame_bytes = 4 * 5 * 3
    values = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(backlog.run_spiller)
        for i in range(4):
            backlog.put(i, 0, np.full((4, 5, 3), i, dtype=np.uint8))
        await _spilled(backlog)
        for _ in range(3):
            values.append(int(backlog.load(await backlog.get())[0, 0, 0]))
        for i in range(4, 7):
            backlog.put(i, 0, np.full((4, 5, 3), i, dtype=np.uint8))
        await _spilled(backlog)
        assert (tmp_path / "s.spill").stat().st_size == 4 * frame_bytes
        backlog.put(7, 0, np.full((4, 5, 3), 7, dtype=np.uint8))  # no place free: at the end
        await _spilled(backlog)
        assert (tmp_path / "s.spill").stat().st_size == 5 * frame_bytes
        backlog.close()
        while (item := await backlog.get()) is not None:
            assert item.data is None  # every frame came from the file
            pixels = backlog.load(item)
            assert (pixels == pixels[0, 0, 0]).all()
            values.append(int(pixels[0, 0, 0]))
    assert values == list(range(8))


async def test_a_frame_of_another_size_is_not_spilled_over_its_neighbours(tmp_path):
    backlog = FrameBacklog(tmp_path / "s.spill", memory_frames=0)
    backlog.put(0, 0, np.zeros((4, 5, 3), np.uint8))
    backlog.put(1, 0, np.zeros((8, 5, 3), np.uint8))
    backlog.close()
    with pytest.raises(ValueError, match=r"a frame of \(8, 5, 3\) in a stream of \(4, 5, 3\) frames"):
        await backlog.run_spiller()
