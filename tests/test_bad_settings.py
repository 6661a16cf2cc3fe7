"""Bad settings are refused before anything is written: one line naming the flag or option, the value and what
is allowed, exit status 2, and no file or folder created (the dataset's, the hub cache's or the current one's)."""

import pytest

from lerec import Recorder
from lerec.cli import main
from lerec.errors import SettingsError

from recording_fixtures import small_camera

CAMERA = "--cameras={a: {type: synthetic, width: 64, height: 48}}"


def camera(options: str) -> str:
    return f"--cameras={{a: {{type: synthetic, {options}}}}}"


CASES = {
    "fps": (["--dataset.fps=100000"], ["--dataset.fps=100000", "1 to 1000"]),
    "episode shorter than a frame": (["--dataset.episode_time_s=0.001"],
                                     ["--dataset.episode_time_s=0.001", "one frame"]),
    "empty task": (["--dataset.single_task="], ["--dataset.single_task=''", "needs a task"]),
    "fractional width": ([camera("width: 320.5")], ["camera 'a'", "width", "320.5", "integer from 1 to 8192"]),
    "text width": ([camera("width: abc")], ["camera 'a'", "width", "'abc'", "integer from 1 to 8192"]),
    "huge width": ([camera("width: 70000")], ["camera 'a'", "width", "70000", "8192"]),
    "text stall_at": ([camera("stall_at: soon")], ["camera 'a'", "stall_at", "'soon'", "integer >= 0"]),
    "text depth": ([camera("depth: maybe")], ["camera 'a'", "depth", "'maybe'", "true or false"]),
    "negative max_frame_age_s": ([camera("max_frame_age_s: -1")], ["camera 'a'", "max_frame_age_s=-1", "> 0"]),
    "camera name ../x": (["--cameras={../x: {type: synthetic}}"], ["--cameras", "'../x'", "letters, digits"]),
    "camera name a/b": (["--cameras={a/b: {type: synthetic}}"], ["--cameras", "'a/b'", "letters, digits"]),
    "empty camera name": (["--cameras={'': {type: synthetic}}"], ["--cameras", "name ''", "letters, digits"]),
    "negative reset": (["--dataset.reset_time_s=-5"], ["--dataset.reset_time_s=-5", ">= 0"]),
    "nan reset": (["--dataset.reset_time_s=nan"], ["--dataset.reset_time_s=nan", ">= 0"]),
    "negative queue": (["--dataset.encoder_queue_maxsize=-1"], ["--dataset.encoder_queue_maxsize=-1", ">= 0"]),
    "threads": (["--dataset.encoder_threads=100000"], ["--dataset.encoder_threads=100000", "1 to 64"]),
    "max_frame_age_s": (["--dataset.max_frame_age_s=nan"], ["--dataset.max_frame_age_s=nan", "> 0"]),
    "camera given twice": (["--cameras={a: {type: synthetic}, a: {type: synthetic, width: 32}}"],
                           ["--cameras", "camera 'a' is given twice", "line 1, column 24"]),
    "option given twice": ([camera("width: 64, width: 32")], ["--cameras", "key 'width' is given twice"]),
    "YAML syntax": (["--cameras={a: {type: synthetic}"], ["--cameras is not valid YAML/JSON", "expected ',' or '}'",
                                                         "line 1, column"]),
    "binary cameras file": (["--cameras=/bin/sh"], ["--cameras=/bin/sh: not a text file"]),
    "robot YAML syntax": (["--robot={type: synthetic", "--teleop.type=synthetic"],
                          ["--robot is not valid YAML/JSON", "line 1, column"]),
}


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Where a bad run might write: the target, the hub cache (the default root) and the current folder."""
    hub, cwd = tmp_path / "hub", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HF_LEROBOT_HOME", str(hub))
    monkeypatch.chdir(cwd)
    return tmp_path / "target", hub, cwd


def run_record(args, capsys):
    status = main(["record", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
                   "--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast", *args])
    err = capsys.readouterr().err.strip()
    return status, err


@pytest.mark.parametrize("case", sorted(CASES) + ["root is a file", "root under a file", "empty root"])
def test_bad_setting_is_refused_before_anything_is_written(case, places, capsys):
    target, hub, cwd = places
    if case in CASES:
        args, expected = CASES[case]
        args = [f"--dataset.root={target}", *([CAMERA] if not any(a.startswith("--cameras") for a in args) else []),
                *args]
    elif case == "empty root":
        args, expected = ["--dataset.root=", CAMERA], ["--dataset.root=''", "empty path"]
    else:
        target.write_text("not a folder")
        root = target if case == "root is a file" else target / "inner"
        args, expected = [f"--dataset.root={root}", CAMERA], ["--dataset.root=", str(root), "a file, not a folder"]
    status, err = run_record(args, capsys)
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    if target.exists():
        assert target.read_text() == "not a folder"
    assert not hub.exists() and not any(cwd.iterdir())


@pytest.mark.parametrize("options, expected", [
    ({"fps": 0}, "fps=0"),
    ({"encoder_threads": 0}, "encoder_threads=0"),
    ({"max_frame_age_s": {"b": 1.0}}, "no camera 'b'"),
    ({"root": ""}, "root=''"),
])
async def test_recorder_create_checks_its_arguments_first(tmp_path, options, expected):
    kwargs = {"root": tmp_path / "r", "fps": 30, "cameras": {"a": small_camera()}, **options}
    with pytest.raises(SettingsError, match=expected):
        async with Recorder.create(**kwargs):
            pass
    assert not (tmp_path / "r").exists()


async def test_recorder_refuses_a_camera_name_that_is_a_path(tmp_path):
    with pytest.raises(SettingsError, match=r"camera name '\.\./x'"):
        async with Recorder.create(tmp_path / "r", 30, {"../x": small_camera()}):
            pass
    assert not (tmp_path / "r").exists()
