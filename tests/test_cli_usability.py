"""What a newcomer meets first: errors that say what to do instead of tracebacks, and help that reads clean."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from lerec.cli import main
from lerec.cli.convert_depth import _progress_printer

from recording_fixtures import record, small_camera

LEREC = [sys.executable, "-m", "lerec"]


@pytest.mark.parametrize("command", ["info", "validate"])
def test_a_missing_folder_is_named_as_missing(command, tmp_path, capsys):
    assert main([command, str(tmp_path / "nope")]) == 1
    assert f"{tmp_path / 'nope'} does not exist" in capsys.readouterr().err


def test_info_into_a_closed_pipe_ends_without_a_traceback(recorded):
    proc = subprocess.Popen([*LEREC, "info", str(recorded)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader (``| head``) is gone before lerec writes
    err = proc.stderr.read().decode()
    assert proc.wait() in (0, 141), err
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.parametrize("seconds", ["-1", "0", "nan"])
def test_encoder_bench_refuses_a_time_that_is_not_positive(seconds, capsys):
    assert main(["encoders", "--bench", "--seconds", seconds]) == 2
    assert f"--seconds {seconds}" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["missing.yaml", "@missing.yaml", "conf/cams.json"])
def test_a_cameras_file_that_does_not_exist_is_named(value, tmp_path, capsys):
    assert main(["record", f"--dataset.root={tmp_path / 'ds'}", f"--cameras={value}"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and value.lstrip("@") in err
    assert not (tmp_path / "ds").exists()


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == "lerec 0.1.0"


def test_help_texts_read_clean(capsys):
    for command in (["record"], ["convert-depth"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
    out = capsys.readouterr().out
    assert "--resume [true|false]" in out and "[RESUME]" not in out
    assert "``" not in out


def test_convert_depth_progress_into_a_file_has_no_carriage_returns():
    stream = io.StringIO()
    show = _progress_printer(stream)
    path = Path("videos/observation.images.wrist_depth/chunk-000/file-000.mp4")
    for done in range(1, 11):
        show(done, 10, path)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 1 and "10/10 frames" in lines[0]


async def test_info_of_one_episode_recorded_from_python(tmp_path, capsys):
    await record(tmp_path / "ds", {"front": small_camera()}, episodes=1, num_frames=5)
    assert main(["info", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "1 episode, 5 frames" in out
    assert "robot None" not in out and "no robot type recorded" in out


def test_vcodec_auto_choice_is_logged_once_for_all_cameras(tmp_path):
    cameras = "{a: {type: synthetic, width: 64, height: 48, fps: 30}, b: {type: synthetic, width: 64, height: 48, fps: 30}}"
    proc = subprocess.run(
        [*LEREC, "record", f"--dataset.root={tmp_path / 'ds'}", "--dataset.num_episodes=1",
         "--dataset.episode_time_s=0.2", f"--cameras={cameras}", "--dataset.rgb_encoder.vcodec=auto"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("vcodec=auto:") == 1, proc.stderr


@pytest.mark.parametrize(("argv", "command", "hint", "help"), [
    (["record", "--dataset.fsp=30"], "lerec record", "did you mean --dataset.fps?", "lerec record --help"),
    (["record", "--dataset.rgb_encoder.crff", "30"], "lerec record", "did you mean --dataset.rgb_encoder.crf?",
     "lerec record --help"),
    (["info", "x", "--jsno"], "lerec info", "did you mean --json?", "lerec info --help"),
    (["info", "x", "-v"], "lerec info", "-v goes before the command: lerec -v info", "lerec info --help"),
    (["edit", "x", "delete", "--episodes", "1", "--ouptut", "y"], "lerec edit", "did you mean --output?",
     "lerec edit ROOT delete --help"),
])
def test_an_unknown_flag_is_one_line_with_the_closest_flag_and_where_help_is(argv, command, hint, help, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"{command}: error: unrecognized argument") and hint in err and help in err
    assert "usage:" not in err


@pytest.mark.parametrize("argv", [
    ["record", "--dataset.num_episode=1"],  # a prefix of --dataset.num_episodes
    ["record", "--dataset.root", "x", "--cam", "{a: {type: synthetic}}"],
    ["info", "x", "--js"],
    ["edit", "x", "delete", "--episodes", "1", "--outp", "y"],  # a subcommand's subcommand
    ["encoders", "--ben"],
])
def test_no_flag_is_taken_by_its_prefix(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "unrecognized argument" in err and "did you mean" in err, err
