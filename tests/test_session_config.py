"""A session's settings are declared once, as SessionConfig's fields: Recorder.create takes each as a keyword with
the field's default, `lerec record` and `lerec rollout` have the field's flag with its default and help, and a
bad value is refused naming the setting as the user wrote it (the keyword in Python, the flag on the command
line)."""

import argparse
import inspect
import re

import attrs
import pytest

from lerec import Recorder
from lerec.cli import build_parser, main
from lerec.cli.rollout import SESSION_FLAGS
from lerec.errors import SettingsError
from lerec.recording import SessionConfig

FIELDS = attrs.fields(SessionConfig)


def command_parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices[name]


def test_recorder_create_takes_every_setting_with_the_fields_default():
    parameters = inspect.signature(Recorder.create).parameters
    for field in FIELDS:
        assert field.name in parameters, field.name
        if field.name != "fps":  # Recorder.create's second positional argument: no default in Python
            assert parameters[field.name].default == field.default, field.name


@pytest.mark.parametrize("command, names", [("record", None), ("rollout", SESSION_FLAGS)])
def test_the_commands_flags_are_the_fields(command, names):
    actions = {action.dest: action for action in command_parser(command)._actions}
    flagged = [f for f in FIELDS if f.metadata["flag"] and (names is None or f.name in names)]
    assert {f.name for f in flagged} >= {"fps", "encoder_threads", "video", "resume"}
    for field in flagged:
        action = actions[field.name]
        assert action.option_strings == [field.metadata["flag"]] and action.default == field.default, field.name
        assert field.metadata["help"] in action.help, field.name
    if command == "record":
        assert {f.name for f in flagged} == {f.name for f in FIELDS} - {"camera_timeout_s", "robot_type"}


def test_a_bare_resume_means_true_and_a_bool_flag_reads_false():
    args = command_parser("record").parse_args(["--resume", "--dataset.video=false"])
    assert args.resume is True and args.video is False and args.fps == 30 and args.encoder_queue_maxsize == 10


@pytest.mark.parametrize("options, expected", [
    ({"fps": 0}, "fps=0: the dataset's fps must be an integer from 1 to 1000"),
    ({"encoder_queue_maxsize": -1}, "encoder_queue_maxsize=-1: "),
    ({"camera_timeout_s": 0}, "camera_timeout_s=0: must be a number of seconds > 0"),
    ({"max_frame_age_s": float("nan")}, "max_frame_age_s=nan: must be a number of seconds > 0"),
    ({"max_frame_age_s": {"a": 1.0, "b": -1}}, "max_frame_age_s of camera 'b'=-1: "),
])
def test_a_bad_setting_is_refused_naming_the_keyword(options, expected):
    with pytest.raises(SettingsError, match=re.escape(expected)):
        SessionConfig(**options)


def test_the_config_is_frozen_and_its_frame_ages_are_by_camera():
    config = SessionConfig(max_frame_age_s={"b": 0.5}).for_cameras({"a": None, "b": None})
    assert dict(config.max_frame_age_s) == {"a": None, "b": 0.5}
    assert dict(SessionConfig(max_frame_age_s=3).for_cameras({"a": None}).max_frame_age_s) == {"a": 3}
    with pytest.raises(TypeError):
        config.max_frame_age_s["a"] = 1.0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.fps = 10
    with pytest.raises(SettingsError, match="no camera 'c'"):
        SessionConfig(max_frame_age_s={"c": 1.0}).for_cameras({"a": None})


def test_rollout_refuses_a_bad_session_flag_naming_it_before_writing(tmp_path, capsys):
    root = tmp_path / "r"
    status = main(["rollout", "--policy.type=scripted", f"--dataset.root={root}", "--dataset.encoder_threads=0"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "--dataset.encoder_threads=0: threads per encoder" in err and len(err.splitlines()) == 1
    assert not root.exists()
