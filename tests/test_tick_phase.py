"""An episode's ticks are placed between the cameras' frame arrivals, not among them: a tick that falls inside a
camera's arrival window takes the frame before at some ticks and the one after at others (repeated, then skipped
frames) though the camera kept its rate."""

import random
from types import SimpleNamespace

import numpy as np

import lerec.recording.tick_phase as tick_phase
from lerec.recording.tick_phase import ARRIVALS_KEPT, ARRIVALS_NEEDED, MARGIN_NS, first_tick_ns, first_tick_of

from recording_fixtures import record, small_camera

PERIOD = 33_333_333  # 30 fps
MS = 1_000_000
START = PERIOD * 30_000_000  # a clock value ~11 days up, at a period's start: phases are the clock's own


def arrivals_at(phase_ns, jitter_ns, count=ARRIVALS_KEPT, start=START, seed=0):
    """A camera at 30 fps whose frames arrive ``phase_ns`` into each period, plus 0..jitter_ns."""
    rng = random.Random(seed)
    return [start + n * PERIOD + phase_ns + rng.randrange(jitter_ns + 1) for n in range(count)]


def after_window(tick_ns, arrivals):
    """How long after the window's last arrival (by phase) the tick comes."""
    return min((tick_ns - t) % PERIOD for t in arrivals)


def near(tick_ns, arrivals):
    """How many arrivals came within the margin of the tick's phase, before or after it."""
    return sum(d < MARGIN_NS for d in distances(tick_ns, arrivals))


def distances(tick_ns, arrivals):
    """How far (either way round the period) the tick's phase is from each arrival's."""
    out = []
    for t in arrivals:
        d = (tick_ns - t) % PERIOD
        out.append(min(d, PERIOD - d))
    return out


def stream(name, arrivals):
    """What first_tick_of reads of a camera stream: its reader's arrivals and its name."""
    return SimpleNamespace(stream=SimpleNamespace(name=name), reader=SimpleNamespace(arrivals={name: arrivals}))


def test_streams_with_too_few_arrivals_yet_are_left_out():
    steady = arrivals_at(10 * MS, 1 * MS)
    fresh = arrivals_at(25 * MS, 1 * MS, count=ARRIVALS_NEEDED - 1)  # a camera that has just opened
    tick = first_tick_of([stream("color", steady), stream("depth", fresh)], 30, START)
    assert tick == first_tick_ns(START, [steady], PERIOD)
    assert first_tick_of([stream("color", fresh)], 30, START + 7) == START + 7  # none has enough: now


def test_no_arrivals_ticks_now():
    assert first_tick_ns(123_456_789, [], PERIOD) == 123_456_789
    assert first_tick_ns(123_456_789, [[], []], PERIOD) == 123_456_789


def test_the_first_tick_comes_just_after_one_cameras_arrivals_within_a_period():
    for now in (START + 5, START + 20 * MS, 7 * 10**17 + 12_345):  # any clock value, any moment of the period
        arrivals = arrivals_at(10 * MS, 2 * MS)
        tick = first_tick_ns(now, [arrivals], PERIOD)
        assert now <= tick < now + PERIOD
        assert near(tick, arrivals) <= len(arrivals) // 10  # a tenth may be near: the window's late tail
        # Just after the window (the freshest frames), not anywhere in the gap after it.
        assert after_window(tick, arrivals) <= MARGIN_NS


def test_a_window_across_the_period_boundary():
    arrivals = arrivals_at(PERIOD - 1 * MS, 2 * MS)  # from 1 ms before the period's end to 1 ms after it
    tick = first_tick_ns(START, [arrivals], PERIOD)
    assert near(tick, arrivals) <= len(arrivals) // 10
    assert after_window(tick, arrivals) <= MARGIN_NS  # just after the window's end, 1 ms into the next period
    assert 0 <= (tick - START) % PERIOD <= 1 * MS + MARGIN_NS


def test_two_cameras_at_different_phases_are_both_avoided():
    front, wrist = arrivals_at(4 * MS, 1 * MS, seed=1), arrivals_at(20 * MS, 2 * MS, seed=2)
    tick = first_tick_ns(START, [front, wrist], PERIOD)
    assert near(tick, front) + near(tick, wrist) <= 2 * ARRIVALS_KEPT // 10
    # In one of the two gaps, just after a window (either way the frames' ages add up alike).
    assert min(after_window(tick, front), after_window(tick, wrist)) <= MARGIN_NS


def test_a_few_late_arrivals_do_not_push_the_ticks_away_from_the_rest():
    # While an episode is saved, a camera's frames may come late; a tenth of the window at most is ignored.
    steady = arrivals_at(5 * MS, 1 * MS, count=ARRIVALS_KEPT - 8)
    late = [START + n * PERIOD + 17 * MS for n in range(8)]
    tick = first_tick_ns(START, [steady + late], PERIOD)
    assert near(tick, steady + late) <= ARRIVALS_KEPT // 10
    assert (tick - START) % PERIOD < 12 * MS  # just after the steady ones, not after the late ones
    # More late ones than a tenth: they are avoided too.
    late = [START + n * PERIOD + 17 * MS for n in range(20)]
    tick = first_tick_ns(START, [steady + late], PERIOD)
    assert near(tick, late) == 0 and near(tick, steady) <= (len(steady) + len(late)) // 10


def test_arrivals_all_over_the_period_still_give_a_tick_within_it():
    rng = np.random.default_rng(3)
    arrivals = [int(x) for x in rng.integers(0, PERIOD, size=200)]
    tick = first_tick_ns(5 * 10**14, [arrivals], PERIOD)
    assert 5 * 10**14 <= tick < 5 * 10**14 + PERIOD


async def test_the_recorder_starts_each_episode_where_the_phase_was_chosen(dataset_root, monkeypatch):
    calls = []

    def spy(now_ns, arrivals, period_ns):  # the real function; the spy only keeps what it was given and gave
        arrivals = [list(a) for a in arrivals]
        tick = first_tick_ns(now_ns, arrivals, period_ns)
        calls.append((now_ns, arrivals, tick))
        return tick

    monkeypatch.setattr(tick_phase, "first_tick_ns", spy)
    reports = await record(dataset_root, {"front": small_camera(), "wrist": small_camera(width=80, height=60)},
                           episodes=2, num_frames=2 * ARRIVALS_NEEDED)
    assert [r.length for r in reports] == [2 * ARRIVALS_NEEDED] * 2
    assert len(calls) == 2
    for now_ns, arrivals, tick in calls:
        # Each stream's own arrivals, once it has enough of them (the first episode may come too soon after the
        # cameras opened: then the ticks start now).
        assert len(arrivals) <= 2 and all(ARRIVALS_NEEDED <= len(a) <= ARRIVALS_KEPT for a in arrivals)
        assert all(a == sorted(a) and a[-1] <= now_ns for a in arrivals)
        assert now_ns <= tick < now_ns + PERIOD
    assert len(calls[1][1]) == 2  # by the second episode both streams have given more frames than the first took


def test_the_choice_is_the_freshest_of_the_phases_few_arrivals_come_near_checked_by_brute_force():
    rng = random.Random(7)
    for case in range(200):
        streams = [arrivals_at(rng.randrange(PERIOD), rng.randrange(8 * MS), count=rng.randrange(1, 40),
                               seed=case * 10 + s) for s in range(rng.randrange(1, 5))]
        if rng.random() < 0.3:  # some arrivals anywhere: late frames, a camera at another rate
            streams.append([START + rng.randrange(60 * PERIOD) for _ in range(rng.randrange(1, 20))])
        every = [t for stream in streams for t in stream]
        tick = first_tick_ns(START + rng.randrange(PERIOD), streams, PERIOD)

        def score(c):  # arrivals within the margin of a tick at phase c, and the frames' ages summed there
            return near(c, every), sum((c - t) % PERIOD for t in every)

        options = [score((t + MARGIN_NS) % PERIOD) for t in every]
        allowed = max(min(o[0] for o in options), len(every) // 10)
        best_age = min(age for count, age in options if count <= allowed)
        count, age = score(tick % PERIOD)
        assert count <= allowed and age == best_age, case


def test_at_a_high_rate_the_margin_is_a_quarter_period():
    period = 1_000_000  # 1000 fps
    arrivals = [START + n * period + 100_000 for n in range(50)]
    tick = first_tick_ns(START, [arrivals], period)
    assert START <= tick < START + period
    assert (tick - START) % period == 100_000 + period // 4
