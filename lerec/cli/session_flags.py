"""The session's flags (``--dataset.fps``, ``--resume``, ...), one for each :class:`SessionConfig` field that has
one, and the dataset folder the ``--dataset.root``/``--dataset.repo_id`` flags name."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lerec.cli.lerobot_flags import flag_bool
from lerec.dataset.reading.remote import lerobot_home
from lerec.recording.session_config import flagged


def add_session_arguments(group: argparse._ActionsContainer, names: tuple[str, ...] | None = None) -> None:
    """Add the flag of every flagged field (only ``names``, when given), ``dest`` the field's name, ``default``
    its default and ``help`` its help."""
    for field in flagged(names):
        flag, help_text = field.metadata["flag"], field.metadata["help"]
        parse = flag_bool if field.metadata["parse"] is bool else field.metadata["parse"]
        if field.metadata["bare"]:
            group.add_argument(flag, dest=field.name, type=parse, nargs="?", const=True, default=field.default,
                               metavar="true|false", help=f"(bare {flag} means true) {help_text}")
        else:
            group.add_argument(flag, dest=field.name, type=parse, default=field.default, help=help_text)


def session_values(args: argparse.Namespace, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The settings the flags give, by field name: ``Recorder.create``'s keywords."""
    return {field.name: getattr(args, field.name) for field in flagged(names)}


def check_session_flags(args: argparse.Namespace, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """:func:`session_values` checked, each SettingsError naming the flag (``--dataset.fps=0: ...``)."""
    values = session_values(args, names)
    for field in flagged(names):
        check = field.metadata["check"]
        if check is not None:
            values[field.name] = check(values[field.name], field.metadata["flag"])
    return values


def root_of(args: argparse.Namespace) -> Path:
    """``--dataset.root``, or ``$HF_LEROBOT_HOME/REPO_ID`` as LeRobot places a dataset."""
    if args.root is not None:
        return Path(args.root)
    return lerobot_home() / args.repo_id
