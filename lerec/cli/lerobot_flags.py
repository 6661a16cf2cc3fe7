"""LeRobot's ``lerobot-record`` flags that lerec does not honour, in one table, so that a LeRobot command line
carries over: each is accepted and answered with one line, ``not supported by lerec: FLAG (why)``.

A value that asks for what lerec cannot do (``--display_mode=foxglove``) fails before anything is opened or
written (exit 2), one that asks for what lerec does anyway (``--display_mode=rerun``) passes, and a flag lerec has
no need for (``--dataset.num_image_writer_processes``) is noted and ignored.
When lerec learns to do what a row describes, delete the row and add the flag where it is honoured.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import attrs
import yaml

from lerec.errors import SettingsError

NO_PNG = ("not needed: lerec writes no PNG files while recording; every camera stream is encoded as it records, "
          "on threads of its own")


def flag_bool(text: str) -> bool:
    """``true``/``false`` (and 1/0, yes/no, on/off) as LeRobot's flags take them."""
    if text.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if text.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError("expected a whole number >= 0")
    return value


def _yaml(text: str) -> Any:
    """A list or mapping as draccus takes it (``'["a","b"]'``, ``'{a: b}'``) or a comma-separated list."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if isinstance(value, (list, dict)):
        return value
    return [part.strip() for part in text.split(",") if part.strip()]


def _never(value: Any) -> bool:
    return False


def _always(value: Any) -> bool:
    return True


def _off(value: Any) -> bool:
    return not value


@attrs.frozen
class Unsupported:
    """A LeRobot flag lerec does not honour: how its value reads, why, the values that fail (asking for what lerec
    cannot do) and the values that pass silently (asking for what lerec does anyway); the others are noted and
    ignored."""

    flag: str
    parse: Callable[[str], Any]
    why: str
    refused: Callable[[Any], bool] = bool
    quiet: Callable[[Any], bool] = _off

    @property
    def dest(self) -> str:
        return "lerobot_" + self.flag.lstrip("-").replace(".", "_")


UNSUPPORTED = (
    Unsupported("--dataset.num_image_writer_processes", _whole, NO_PNG, _never, _never),
    Unsupported("--dataset.num_image_writer_threads_per_camera", _whole, NO_PNG, _never, _never),
    Unsupported("--dataset.video_encoding_batch_size", _whole, "not needed: lerec encodes while it records and "
                "appends each episode's videos when the episode is saved; there is no batch to wait for",
                _never, _never),
    Unsupported("--dataset.no_stamp", flag_bool, "lerec keeps --dataset.repo_id as given, without a date-time "
                "stamp", _never, bool),
    Unsupported("--display_mode", str, "lerec's live display is rerun's", lambda mode: mode != "rerun",
                lambda mode: mode == "rerun"),
    Unsupported("--dataset.rename_map", _yaml, "it renames features for a policy, and lerec record runs none"),
    Unsupported("--policy.path", str, "lerec record takes the actions from a teleoperator; a policy drives a "
                "session from Python (Recorder.record_episode(step=policy))", _always),
)


def add_lerobot_arguments(parser: argparse.ArgumentParser) -> None:
    """Accept every flag of :data:`UNSUPPORTED` (as text: :func:`check_lerobot_flags` reads them), but those the
    parser has already (added before this call, where lerec honours them)."""
    group = parser.add_argument_group("LeRobot flags lerec does not honour (each answered with one line)")
    for row in UNSUPPORTED:
        if row.flag in parser._option_string_actions:
            continue
        group.add_argument(row.flag, dest=row.dest, default=None, metavar="VALUE",
                           help=f"not supported by lerec: {row.why}")


def check_lerobot_flags(args: argparse.Namespace, out=None) -> None:
    """A SettingsError for the first unsupported flag whose value asks for what lerec cannot do, or a bad value;
    one line on ``out`` (stderr) for each other one given, which is ignored."""
    notes = []
    for row in UNSUPPORTED:
        raw = getattr(args, row.dest, None)
        if raw is None:
            continue
        try:
            value = row.parse(raw)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise SettingsError(f"{row.flag}={raw!r}: {exc}") from None
        if row.refused(value):
            raise SettingsError(f"not supported by lerec: {row.flag}={raw} ({row.why})")
        if not row.quiet(value):
            notes.append(f"not supported by lerec: {row.flag}={raw} ({row.why}); ignored")
    for note in notes:
        print(f"lerec record: {note}", file=out or sys.stderr)
