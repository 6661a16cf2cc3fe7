import anyio
import numpy as np

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
