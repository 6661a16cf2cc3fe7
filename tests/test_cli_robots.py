"""`lerec record` with a robot and a teleop, `lerec robots`, and keyboard control through a real terminal."""

import os
import pty
import re
import select
import subprocess
import sys
import termios
import time

import numpy as np
import pyarrow.parquet as pq

from lerec.cli.keyboard import parse_keys
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.robots.synthetic import synthetic_action

SMALL = "--cameras={front: {type: synthetic, width: 64, height: 48}, wrist: {type: synthetic, width: 64, height: 48}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


def lerec(*args):
    return subprocess.run([sys.executable, "-m", "lerec", *args], capture_output=True, text=True, timeout=120)


def rows(root):
    return [r for p in sorted((root / "data").glob("chunk-*/file-*.parquet")) for r in pq.read_table(p).to_pylist()]


def test_default_record_has_the_synthetic_robot_and_teleop(tmp_path):
    root = tmp_path / "d"
    done = lerec("record", f"--dataset.root={root}", "--dataset.num_episodes=2", "--dataset.episode_time_s=0.3",
                 SMALL, *FAST)
    assert done.returncode == 0, done.stderr
    meta = DatasetMeta.load(root)
    assert meta.info["robot_type"] == "synthetic"
    assert meta.features["observation.state"]["names"] == [f"joint_{i}.pos" for i in range(6)]
    recorded = rows(root)
    assert len(recorded) == 18
    for n, row in enumerate(recorded):
        np.testing.assert_array_equal(np.float32(row["action"]), synthetic_action(n))
        np.testing.assert_array_equal(np.float32(row["observation.state"]),
                                      synthetic_action(n - 1) if n else np.zeros(6, np.float32))


def test_robot_and_teleop_flags_inline_dotted_and_from_a_file(tmp_path):
    spec = tmp_path / "teleop.yaml"
    spec.write_text("type: synthetic\njoints: 3\nperiod_ticks: 10\n")
    root = tmp_path / "r"
    done = lerec("record", f"--dataset.root={root}", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
                 "--robot={type: synthetic, joints: 3}", "--robot.gain", "0.5", "--robot.id=007",
                 f"--teleop={spec}", SMALL, *FAST)
    assert done.returncode == 0, done.stderr
    recorded = rows(root)
    assert [r["action"] for r in recorded] == [synthetic_action(n, 3, 10).tolist() for n in range(6)]
    state = np.float32(recorded[2]["observation.state"])  # half way from the state before to the last action
    np.testing.assert_allclose(state, np.float32(recorded[1]["observation.state"]) * 0.5 + synthetic_action(1, 3, 10) * 0.5,
                               rtol=1e-6)


def test_device_flag_errors_name_the_flag(tmp_path):
    alone = lerec("record", f"--dataset.root={tmp_path / 'a'}", "--robot.type=synthetic", SMALL)
    assert alone.returncode == 2 and "--robot needs --teleop" in alone.stderr
    bad = lerec("record", f"--dataset.root={tmp_path / 'b'}", "--robot.type=synthetic", "--robot.port=/dev/ttyACM0",
                "--teleop.type=synthetic", SMALL)
    assert bad.returncode == 2
    assert "robot type 'synthetic' has no option 'port'; its options are: fail_at, gain, id, joints" in bad.stderr
    unknown = lerec("record", f"--dataset.root={tmp_path / 'c'}", "--robot.type=no_such_arm", "--teleop={type: x}")
    assert unknown.returncode == 2 and "unknown robot type 'no_such_arm'; installed: " in unknown.stderr
    assert "synthetic" in unknown.stderr.partition("installed: ")[2]  # plus whatever plugins this venv has
    assert not any(tmp_path.iterdir())
    elsewhere = lerec("info", "--robot.type=synthetic", str(tmp_path))
    assert elsewhere.returncode == 2 and "unrecognized argument: --robot.type=synthetic" in elsewhere.stderr


def test_cameras_only_with_robot_none(tmp_path):
    root = tmp_path / "n"
    done = lerec("record", f"--dataset.root={root}", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
                 "--robot=none", SMALL, *FAST)
    assert done.returncode == 0, done.stderr
    assert "action" not in DatasetMeta.load(root).features


def test_lerec_robots_lists_robot_and_teleop_types():
    done = lerec("robots")
    assert done.returncode == 0, done.stderr
    assert re.search(r"robot\s+synthetic\s+lerec ", done.stdout)
    assert re.search(r"teleop\s+synthetic\s+lerec ", done.stdout)
    found = lerec("robots", "--find")
    assert found.returncode == 0 and "# robot synthetic (lerec): cannot list devices" in found.stdout


def test_keys_from_escape_sequences():
    assert parse_keys(b"n") == (["end"], b"")
    assert parse_keys(b"\x1b[C\x1bOD") == (["end", "rerecord"], b"")
    assert parse_keys(b"Rq") == (["rerecord", "stop"], b"")
    assert parse_keys(b"\x1b[1;5C") == (["end"], b"")  # Ctrl-right
    assert parse_keys(b"\x1b") == ([], b"\x1b")  # Esc, or the start of an arrow: the reader waits a moment
    assert parse_keys(b"\x1b[") == ([], b"\x1b[")
    assert parse_keys(b"x\x1bx") == (["stop"], b"")


class Terminal:
    """`lerec record` with a pseudo-terminal as stdin, its log read line by line."""

    def __init__(self, *args):
        self.master, self.slave = pty.openpty()
        self.modes = termios.tcgetattr(self.slave)
        env = {k: v for k, v in os.environ.items() if k != "LEREC_KEYBOARD"}  # conftest turns keys off
        self.proc = subprocess.Popen([sys.executable, "-m", "lerec", *args], stdin=self.slave,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.log: list[str] = []
        self.partial = ""

    def wait_for(self, pattern: str, count: int = 1, timeout_s: float = 90) -> re.Match:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            matches = [m for m in map(re.compile(pattern).search, self.log) if m]
            if len(matches) >= count:
                return matches[count - 1]
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.5)
            if ready:
                # os.read, not readline: a buffered reader keeps the lines after the first, which select cannot
                # see, and the test waited for the next write (an episode later once nothing prints every 5 s).
                chunk = os.read(self.proc.stderr.fileno(), 65536).decode()
                if not chunk and self.proc.poll() is not None:
                    break
                *lines, self.partial = (self.partial + chunk).split("\n")
                self.log.extend(line + "\n" for line in lines)
        raise AssertionError(f"no {pattern!r} (x{count}) in:\n{''.join(self.log)}")

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)


def test_keyboard_ends_rerecords_and_stops_through_a_terminal(tmp_path):
    root = tmp_path / "k"
    term = Terminal("record", f"--dataset.root={root}", "--dataset.num_episodes=5", "--dataset.episode_time_s=60",
                    SMALL, *FAST)
    try:
        term.wait_for(r"episode 0: recording")
        term.press(b"n")  # ends episode 0, saved
        term.wait_for(r"episode 1: recording")
        term.press(b"\x1b[D")  # left: discards the take of episode 1
        discarded = int(term.wait_for(r"episode 1: discarded after (\d+) frames").group(1))
        term.wait_for(r"episode 1: recording", count=2)
        term.press(b"\x1b[C")  # right: ends the new take of episode 1, saved
        term.wait_for(r"episode 2: recording")
        term.press(b"\x1b")  # Esc: saves episode 2 and ends the session
        out, err = term.proc.communicate(timeout=90)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        restored = termios.tcgetattr(term.slave)
        os.close(term.slave)
        os.close(term.master)
    assert term.proc.returncode == 0, "".join(term.log) + err
    assert restored == term.modes  # cbreak mode undone
    assert "saved 3 episode(s)" in out
    meta = DatasetMeta.load(root)
    lengths = [r["length"] for r in meta.episodes]
    assert len(lengths) == 3 and all(0 < n < 1800 for n in lengths)
    assert validate(root) == []
    assert not (root / ".lerec").exists()
    # The discarded take left no row; the teleop kept counting through it.
    first_of_1 = next(r for r in rows(root) if r["episode_index"] == 1)
    assert first_of_1["frame_index"] == 0
    np.testing.assert_array_equal(np.float32(first_of_1["action"]), synthetic_action(lengths[0] + discarded))


def test_keyboard_only_on_a_terminal_and_not_when_turned_off(monkeypatch):
    from lerec.cli.keyboard import keyboard_available

    master, slave = pty.openpty()
    with os.fdopen(slave, "r") as terminal, open(os.devnull) as pipe:
        monkeypatch.delenv("LEREC_KEYBOARD")
        assert keyboard_available(terminal) and not keyboard_available(pipe)
        monkeypatch.setenv("LEREC_KEYBOARD", "off")
        assert not keyboard_available(terminal)
    os.close(master)
