"""One exit-code rule for every command (docs/cli.md): a usage or configuration error exits 2, a failure while
working exits 1, Ctrl-C exits 130; each with one line ``lerec CMD: error: ...`` (or ``interrupted``) on stderr and
no traceback."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lerec.cameras.registry import camera_types
from lerec.cli import SUBCOMMANDS, main
from test_full_disk import disk  # noqa: F401 (a fixture: a small tmpfs)

USAGE, FAILURE, INTERRUPTED = 2, 1, 130
LEREC = [sys.executable, "-m", "lerec"]
SMALL = "--cameras={front: {type: synthetic, width: 64, height: 48, fps: 30}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


def run(argv, capsys) -> tuple[int, str]:
    """``lerec ARGV`` in this process: its exit status and its stderr (argparse's exits included)."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr().err


def one_line(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("INFO ", "WARNING "))]
    assert len(lines) == 1 and lines[0].startswith(f"lerec {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def record_args(root, *extra):
    return ["record", f"--dataset.root={root}", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
            SMALL, *FAST, *extra]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A dataset `lerec record` made: two episodes of one small synthetic camera, the synthetic robot and teleop."""
    root = tmp_path_factory.mktemp("exit") / "demo"
    assert main([*record_args(root), "--dataset.num_episodes=2"]) == 0
    return root


ARGS = {"info": ["x"], "validate": ["x"], "merge": ["a", "b", "--output", "o"], "view": ["x", "--episode", "0"],
        "edit": ["x", "--output", "o", "delete", "--episodes", "0"], "convert-depth": ["x"], "label": ["x"],
        "push": ["x", "--repo-id", "org/name"], "review": ["x"], "replay": ["x", "--episode", "0"]}


@pytest.mark.parametrize("command", [name.replace("_", "-") for name in SUBCOMMANDS])
def test_an_unknown_flag_is_a_usage_error_in_every_command(command, capsys):
    status, err = run([command, *ARGS.get(command, []), "--no-such-flag"], capsys)
    assert status == USAGE
    assert "unrecognized argument: --no-such-flag" in one_line(err, command)


@pytest.mark.parametrize(("argv", "expected"), [
    (["merge", "{demo}", "--output", "{tmp}/m"], "merge needs at least two datasets"),
    (["merge", "{demo}", "{demo}", "--output", "{demo}"], "overlaps the source"),
    (["edit", "{demo}", "delete", "--episodes", "0", "--output", "{full}"], "exists and is not empty"),
    (["edit", "{demo}", "delete", "--episodes", "0,1", "--output", "{tmp}/d"], "would leave none"),
    (["edit", "{demo}", "delete", "--episodes", "7", "--output", "{tmp}/d"], "episode 7 does not exist"),
    (["edit", "{demo}", "split", "--fractions", "a,b", "--output", "{tmp}/s"], "--fractions 'a,b'"),
    (["edit", "{demo}", "reencode", "--output", "{tmp}/r"], "reencode needs at least one"),
    (["cameras", "--options", "kinect"], "unknown camera type kinect"),
    (["robots", "--type", "no_such_arm"], "unknown robot/teleop type no_such_arm"),
    (["convert-depth", "{demo}", "--output", "{tmp}/c"], "give --executor and --output"),
    (["view", "{demo}", "--episode", "0", "--save", "{tmp}/no/such/folder/x.rrd"], "does not exist"),
    (["encoders", "--bench", "--seconds", "0"], "--seconds 0"),
    (["view", "{demo}", "--episode", "2", "--save", "{tmp}/x.rrd"], "--episode 2: "),
])
def test_usage_errors_of_the_tools_exit_2(argv, expected, demo, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("kept")
    argv = [a.format(demo=demo, tmp=tmp_path, full=tmp_path / "full") for a in argv]
    status, err = run(argv, capsys)
    assert status == USAGE, err
    assert expected in one_line(err, argv[0])


@pytest.mark.parametrize(("extra", "expected"), [
    (["--cameras={a: {type: kinect}}"], "unknown camera type 'kinect'"),
    (["--robot.type=no_such_arm", "--teleop.type=synthetic"], "unknown robot type 'no_such_arm'"),
    (["--robot={type: synthetic, joints: 6}", "--teleop={type: synthetic, joints: 3}"], "gives actions"),
    (["--teleop.type=synthetic", "--robot=none"], "--teleop needs --robot"),
    (["--dataset.num_episode=1"], "unrecognized argument: --dataset.num_episode=1"),
    (["--cameras={a: {type: synthetic}, a: {type: synthetic}}"], "camera 'a' is given twice"),
])
def test_record_configuration_errors_exit_2_and_write_nothing(extra, expected, tmp_path, capsys):
    status, err = run(record_args(tmp_path / "ds", *extra), capsys)
    assert status == USAGE, err
    assert expected in one_line(err, "record")
    assert not (tmp_path / "ds").exists()


def test_recording_into_an_existing_dataset_without_resume_exits_2_naming_the_flag(demo, capsys):
    before = sorted(p.stat().st_mtime_ns for p in demo.rglob("*") if p.is_file())
    status, err = run(record_args(demo), capsys)
    line = one_line(err, "record")
    assert status == USAGE and "already holds a dataset; add --resume" in line and "resume=True" not in line
    assert sorted(p.stat().st_mtime_ns for p in demo.rglob("*") if p.is_file()) == before


@pytest.mark.parametrize(("extra", "expected"), [
    (["--dataset.fps=15"], "was recorded at fps=30; this recording asks fps=15"),
    (["--cameras={side: {type: synthetic, width: 64, height: 48}}"], "a resumed dataset keeps its camera set"),
    (["--dataset.rgb_encoder.crf=40"], "other encoder settings"),
])
def test_resuming_with_other_settings_exits_2(extra, expected, demo, capsys):
    status, err = run([*record_args(demo, "--resume"), *extra], capsys)
    assert status == USAGE, err
    assert expected in one_line(err, "record")


@pytest.mark.skipif("opencv" not in camera_types(), reason="needs a camera type that is not synthetic")
def test_a_task_is_required_unless_every_device_is_synthetic(tmp_path, capsys):
    status, err = run(["record", f"--dataset.root={tmp_path / 'ds'}",
                       "--cameras={cam: {type: opencv, index_or_path: 99}}"], capsys)
    assert status == USAGE and "--dataset.single_task is required" in one_line(err, "record")
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("command", ["info", "validate", "view", "convert-depth"])
def test_a_missing_dataset_is_a_failure_exit_1(command, tmp_path, capsys):
    argv = [command, str(tmp_path / "nope"), *(["--episode", "0", "--save", str(tmp_path / "x.rrd")]
                                               if command == "view" else [])]
    status, err = run(argv, capsys)
    assert status == FAILURE, err
    assert f"{tmp_path / 'nope'} does not exist" in one_line(err, command)


@pytest.mark.parametrize("argv", [
    ["merge", "{demo}", "{demo}", "--output", "/proc/lerec-test/out"],
    ["edit", "{demo}", "delete", "--episodes", "0", "--output", "/proc/lerec-test/out"],
    ["record", "--dataset.root=/proc/lerec-test/ds", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
     SMALL, *FAST],
])
def test_a_folder_that_cannot_be_created_is_one_line_exit_1(argv, demo, capsys):
    argv = [a.replace("{demo}", str(demo)) for a in argv]
    status, err = run(argv, capsys)
    assert status == FAILURE, err
    assert "/proc/lerec-test" in one_line(err, argv[0])


@pytest.fixture
def read_only(demo, disk):
    """A copy of the demo dataset on a tmpfs remounted read-only (skipped where mounting is not permitted)."""
    shutil.copytree(demo, disk / "ds")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    return disk


@pytest.mark.parametrize(("argv", "status", "expected"), [
    (["edit", "{ro}/ds", "delete", "--episodes", "0", "--output", "{ro}/out"], USAGE, "read-only file system"),
    (["merge", "{ro}/ds", "{ro}/ds", "--output", "{ro}/out"], USAGE, "read-only file system"),
    (["convert-depth", "{ro}/ds"], FAILURE, "read-only file system"),
    (["validate", "--decode", "--executor", "local", "{ro}/ds"], FAILURE, "cannot create the job's work folder"),
])
def test_a_read_only_file_system_is_one_line_without_record_resume(argv, status, expected, read_only, capsys):
    if "--executor" in argv:
        pytest.importorskip("datatrove")
    argv = [a.replace("{ro}", str(read_only)) for a in argv]
    got, err = run(argv, capsys)
    line = one_line(err, argv[0])
    assert got == status and expected in line and "--resume" not in line, err


def test_a_busy_dataset_is_a_failure_exit_1(demo, capsys):
    from lerec.dataset.store.lock import dataset_lock

    with dataset_lock(demo, "the test"):
        status, err = run(record_args(demo, "--resume"), capsys)
    assert status == FAILURE and "is in use by" in one_line(err, "record")


def _kernel_wait(pid: int) -> str:
    """Where the main thread of process ``pid`` sleeps in the kernel (``/proc/PID/wchan``), "" once it has ended."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


@pytest.mark.parametrize("command", ["info", "validate", "merge", "edit", "convert-depth", "view"])
def test_ctrl_c_exits_130_in_every_tool(command, tmp_path):
    """The command blocks reading a dataset's info.json, a FIFO: Ctrl-C then, whatever the command is doing."""
    root = tmp_path / "ds"
    (root / "meta").mkdir(parents=True)
    fifo = root / "meta" / "info.json"
    os.mkfifo(fifo)
    argv = {"info": [str(root)], "validate": [str(root)], "merge": [str(root), str(root), "--output", "out"],
            "edit": [str(root), "--output", "out", "delete", "--episodes", "0"], "convert-depth": [str(root)],
            "view": [str(root), "--episode", "0", "--save", str(tmp_path / "x.rrd")]}[command]
    proc = subprocess.Popen([*LEREC, command, *argv], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    writer = None
    try:
        deadline = time.monotonic() + 120
        while writer is None:  # the FIFO opens for writing once lerec has it open for reading
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.05)
        # Ctrl-C once lerec sleeps in read(): a signal that lands between open() and read() is handled before the
        # read starts, which then waits for ever (nothing is written to the FIFO). The kernel names the wait.
        while "pipe_read" not in _kernel_wait(proc.pid):  # anon_pipe_read on newer kernels
            assert proc.poll() is None and time.monotonic() < deadline, _kernel_wait(proc.pid)
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=120)[1]
    finally:
        if writer is not None:
            os.close(writer)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == INTERRUPTED, err
    assert err.strip() == f"lerec {command}: interrupted", err
