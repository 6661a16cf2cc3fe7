"""Keyboard control of ``lerec record``, as lerobot-record's: -> or n ends the episode and saves it, <- or r
discards it to record it again, Esc or q saves it and ends the session; and lerec's labels: s marks the episode
being recorded (between episodes: the last one saved) a success, f a failure.

Keys are read from the terminal in cbreak mode (no display server needed: works over SSH and on Wayland); when
stdin is not a terminal, or ``LEREC_KEYBOARD=off``, there is no keyboard control.
"""

from __future__ import annotations

import contextlib
import os
import sys
import termios
import tty
from collections.abc import Callable, Iterator

import anyio

ESC_WAIT_S = 0.05  # how long a lone Esc waits for the rest of an arrow key's sequence (curses' ESCDELAY)
ARROWS = {b"C": "end", b"D": "rerecord"}  # ESC [ C / ESC O C: right; D: left
LETTERS = {b"n": "end", b"r": "rerecord", b"q": "stop", b"s": "success", b"f": "failure"}
HELP = ("keys: -> or n: end the episode and save it; <- or r: discard it and record it again; Esc or q: save and "
        "stop; s / f: label the episode a success / a failure")


def parse_keys(data: bytes, extra: dict[bytes, str] | None = None) -> tuple[list[str], bytes]:
    """The commands in ``data`` ("end", "rerecord", "stop", "success", "failure", and those of ``extra`` keys,
    which take precedence) and what is left of an unfinished escape sequence."""
    commands, i = [], 0
    letters = {**LETTERS, **(extra or {})}
    while i < len(data):
        byte = data[i:i + 1]
        if byte != b"\x1b":
            if byte.lower() in letters:
                commands.append(letters[byte.lower()])
            i += 1
            continue
        if i + 1 == len(data):
            return commands, data[i:]  # a lone Esc so far: maybe the start of an arrow
        if data[i + 1:i + 2] not in (b"[", b"O"):
            commands.append("stop")
            i += 1
            continue
        if i + 2 == len(data):
            return commands, data[i:]
        end = i + 2
        while end < len(data) and not (0x40 <= data[end] <= 0x7E):  # a CSI sequence ends with its final byte
            end += 1
        if end == len(data):
            return commands, data[i:]
        if data[end:end + 1] in ARROWS:
            commands.append(ARROWS[data[end:end + 1]])
        i = end + 1
    return commands, b""


@contextlib.contextmanager
def cbreak(fd: int) -> Iterator[None]:
    """The terminal in cbreak mode (keys arrive one by one, not echoed; Ctrl-C still interrupts), restored after."""
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def keyboard_available(stream=None) -> bool:
    """Whether keys can steer the session: stdin is a terminal, and ``LEREC_KEYBOARD`` is not ``off``."""
    stream = stream or sys.stdin
    if os.environ.get("LEREC_KEYBOARD", "").lower() in ("0", "off", "false", "no"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


async def read_commands(on_command: Callable[[str], None], fd: int | None = None,
                        extra: dict[bytes, str] | None = None) -> None:
    """Call ``on_command`` for every key command typed on the terminal ``fd`` (stdin), until cancelled; ``extra``
    adds keys (``{b" ": "pause"}``)."""
    fd = sys.stdin.fileno() if fd is None else fd
    with cbreak(fd):
        pending = b""
        while True:
            data = b""
            if pending:
                with anyio.move_on_after(ESC_WAIT_S):
                    await anyio.wait_readable(fd)
                    data = os.read(fd, 64)
                if not data:  # nothing followed: the Esc key alone (or a cut sequence, dropped)
                    commands, pending = (["stop"] if pending == b"\x1b" else []), b""
            else:
                await anyio.wait_readable(fd)
                data = os.read(fd, 64)
                if not data:
                    return
            if data:
                commands, pending = parse_keys(pending + data, extra)
            for command in commands:
                on_command(command)
