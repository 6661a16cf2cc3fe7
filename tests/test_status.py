"""The live status follows the encoders' drain after the last tick, and stops following the moment they have all
taken their last frame: the episode's save waits for it."""

import anyio

from lerec.recording.status import RecorderStatus


class Draining:
    """What follow_draining reads of a stream's encoder."""

    def __init__(self, waiting: int):
        self.backlog = [None] * waiting
        self.lag_s = 0.5
        self.encoded = 0
        self.frames_encoded = anyio.Event()

    def take_all(self):
        self.encoded += len(self.backlog)
        self.backlog = []
        self.lag_s = 0.0
        self.frames_encoded.set()


async def test_following_the_drain_ends_when_the_last_encoder_has_its_last_frame_not_at_the_next_interval():
    encoders = {"a": Draining(3), "b": Draining(5)}
    status = RecorderStatus()
    with anyio.fail_after(30):  # the interval is an hour: only the encoders' events can end it in time
        async with anyio.create_task_group() as tg:
            tg.start_soon(status.follow_draining, encoders, 3600)
            await anyio.sleep(0)
            assert status.queue_depth == {"a": 3, "b": 5} and status.encode_lag_s == {"a": 0.5, "b": 0.5}
            encoders["a"].take_all()
            await anyio.sleep(0.05)
            encoders["b"].take_all()
    assert status.queue_depth == {"a": 0, "b": 0} and status.encoded == {"a": 3, "b": 5}
    assert status.encode_lag_s == {"a": 0.0, "b": 0.0}
