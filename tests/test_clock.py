"""The dataset clock counts in integer nanoseconds, so a period's length never depends on when the clock started;
its sleep returns at the deadline, never before it."""

import random
import time

import anyio
import pytest

from lerec.recording.clock import NS_PER_S, SPIN_NS, sleep_until, tick_offset_ns


@pytest.mark.parametrize("fps", [1, 7, 15, 24, 30, 60, 90])
def test_a_tick_is_never_due_before_its_time_at_any_clock_value(fps):
    rng = random.Random(fps)
    for _ in range(2000):
        t0_ns = rng.randrange(10**18)  # monotonic clocks of machines up for years
        k = rng.randrange(1, 100_000)
        elapsed_ns = (t0_ns + tick_offset_ns(k, fps)) - t0_ns
        assert elapsed_ns / NS_PER_S >= k / fps
        assert elapsed_ns - k * NS_PER_S / fps < 1  # rounded up by less than a nanosecond


def test_float_seconds_lost_the_period_where_nanoseconds_do_not():
    # The bug this clock fixes: at a large monotonic value, (t0 + 12/30) - t0 < 12/30 in float seconds.
    t0 = 1_234_567.891
    assert (t0 + 12 / 30) - t0 < 12 / 30
    t0_ns = 1_234_567_891_000_000
    assert ((t0_ns + tick_offset_ns(12, 30)) - t0_ns) / NS_PER_S >= 12 / 30


async def test_sleep_until_never_returns_before_its_deadline_and_lets_other_tasks_run():
    turns = 0

    async def other():
        nonlocal turns
        while True:
            turns += 1
            await anyio.sleep(0)

    yielded = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(other)
        for k in range(60):  # deadlines inside and beyond the last millisecond, which is waited out by yielding
            deadline_ns = time.monotonic_ns() + k * SPIN_NS // 20
            before = turns
            await sleep_until(deadline_ns)
            assert time.monotonic_ns() >= deadline_ns, k
            yielded.append(turns > before)
        tg.cancel_scope.cancel()
    assert any(yielded[41:])  # waits of 2 ms and more: the other task ran meanwhile (any: the machine may be busy)
