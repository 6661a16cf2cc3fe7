"""LeRobot's record flags: honoured (--play_sounds, --resume), noted and ignored (what lerec has no need for), or
refused before anything is written (what lerec cannot do), each with one line."""

from __future__ import annotations

import os
import pty
import select
import stat

import pytest

from lerec.cli import main
from lerec.cli.cues import Cues
from lerec.dataset.store.metadata import DatasetMeta

from test_cli_record import FAST, SMALL, lerec

QUICK = [f"--cameras={SMALL}", *FAST, "--dataset.episode_time_s=0.2"]


@pytest.mark.parametrize(("flag", "message"), [
    ("--dataset.rename_map={a: b}", "not supported by lerec: --dataset.rename_map={a: b}"),
    ("--policy.path=user/policy", "not supported by lerec: --policy.path=user/policy (lerec record takes"),
    ("--display_mode=foxglove", "not supported by lerec: --display_mode=foxglove (lerec's live display is rerun's)"),
    ("--dataset.no_stamp=maybe", "--dataset.no_stamp='maybe': expected true or false"),
    ("--dataset.num_image_writer_processes=-1", "--dataset.num_image_writer_processes='-1': expected a whole"),
])
def test_what_lerec_cannot_do_fails_early_with_one_line(tmp_path, capsys, flag, message):
    root = tmp_path / "never"
    assert main(["record", f"--dataset.root={root}", flag, *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lerec record: error: ") and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not root.exists()


def test_what_lerec_needs_not_is_noted_and_ignored_and_push_off_passes(tmp_path):
    root = tmp_path / "ds"
    done = lerec("record", f"--dataset.root={root}", "--dataset.num_episodes=1", *QUICK,
                 "--dataset.push_to_hub=false", "--dataset.private=false",
                 "--dataset.num_image_writer_processes=0", "--dataset.num_image_writer_threads_per_camera=4",
                 "--dataset.video_encoding_batch_size=1", "--dataset.no_stamp=true", "--display_mode=rerun",
                 "--dataset.no_stamp=false")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "not supported by lerec" in line]
    assert [line.split("=")[0] for line in notes] == [
        "lerec record: not supported by lerec: --dataset.num_image_writer_processes",
        "lerec record: not supported by lerec: --dataset.num_image_writer_threads_per_camera",
        "lerec record: not supported by lerec: --dataset.video_encoding_batch_size",
        "lerec record: not supported by lerec: --dataset.no_stamp"]  # =false, LeRobot's default; =true passes
    assert all(line.endswith("; ignored") for line in notes)
    assert len(DatasetMeta.load(root).episodes) == 1


def test_resume_counts_num_episodes_as_additional_episodes(tmp_path):
    root = tmp_path / "ds"
    assert lerec("record", f"--dataset.root={root}", "--dataset.num_episodes=2", *QUICK).returncode == 0
    resumed = lerec("record", f"--dataset.root={root}", "--resume=true", "--dataset.num_episodes=2", *QUICK)
    assert resumed.returncode == 0, resumed.stderr
    assert "saved 2 episode(s)" in resumed.stdout and "(4 in the dataset)" in resumed.stdout
    assert len(DatasetMeta.load(root).episodes) == 4


def speaker_on_path(folder, said) -> dict[str, str]:
    """A real ``spd-say`` program first on PATH that writes what it is asked to say into ``said``."""
    folder.mkdir()
    program = folder / "spd-say"
    program.write_text(f"#!/bin/sh\necho \"$*\" >> '{said}'\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_play_sounds_speaks_each_episode_start_and_end_and_the_reset(tmp_path):
    said = tmp_path / "said.txt"
    env = speaker_on_path(tmp_path / "bin", said)
    done = lerec("record", f"--dataset.root={tmp_path / 'ds'}", "--dataset.num_episodes=2",
                 "--dataset.reset_time_s=0.1", "--play_sounds=true", *QUICK, env=env)
    assert done.returncode == 0, done.stderr
    assert said.read_text().splitlines() == [
        "Recording episode 0", "Episode 0 saved", "Reset the environment", "Recording episode 1", "Episode 1 saved",
        "Stop recording"]
    quiet = lerec("record", f"--dataset.root={tmp_path / 'quiet'}", "--dataset.num_episodes=1", *QUICK, env=env)
    assert quiet.returncode == 0 and len(said.read_text().splitlines()) == 6  # off by default


def test_without_a_speech_program_the_cue_is_the_terminal_bell(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no spd-say, espeak or say
    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as terminal:
        cues = Cues(True, terminal)
        assert cues.speaker is None
        cues.episode_start(0)
        cues.reset()
        rang = b""
        while len(rang) < 2 and select.select([master], [], [], 10)[0]:  # each bell may arrive on its own
            rang += os.read(master, 16)
        assert rang == b"\a\a"
    os.close(master)


def test_a_flag_lerec_honours_is_left_to_its_own_definition():
    import argparse

    from lerec.cli.lerobot_flags import add_lerobot_arguments, check_lerobot_flags
    from lerec.errors import SettingsError

    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset.push_to_hub", dest="push_to_hub", default="false")  # a later lerec's own
    add_lerobot_arguments(parser)
    args = parser.parse_args(["--dataset.push_to_hub=true", "--dataset.rename_map={a: b}"])
    assert args.push_to_hub == "true"
    with pytest.raises(SettingsError, match="not supported by lerec: --dataset.rename_map"):
        check_lerobot_flags(args)
