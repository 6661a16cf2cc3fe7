"""``lerec record --dataset.push_to_hub=true``: publish the session's episodes to the Hugging Face Hub, after the
session and, with ``--dataset.push_every=N`` or ``--dataset.push_every_s=S``, while it records.

Each upload is a ``lerec push`` child process, owned by the session's task group: the control loop and the saves
never wait for the network. While recording, a child sends only the files the session has closed (``--only-closed``:
data and video files no episode will be appended to; no metadata), in a session of its own (a Ctrl-C meant for the
recording does not stop it) and at a lower CPU priority. A failed upload is retried with a growing delay and a
warning; the recording goes on. When the session ends, the last upload runs in the foreground with huggingface_hub's
progress bars: the rest of the files, the metadata, the card and the tag, in one commit. Ctrl-C there stops it; the
local dataset is complete, and the line printed says how to finish: ``lerec push ROOT --repo-id ...``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from lerec.cli.lerobot_flags import flag_bool
from lerec.cli.push import parse_tags, resume_command
from lerec.dataset.reading.remote import check_repo_id
from lerec.errors import HubError, Interrupted, SettingsError

RETRY_DELAYS_S = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0)  # then every 300 s while the session records
FINAL_RETRY_DELAYS_S = (2.0, 10.0)  # the upload after the session: three attempts in all


def add_push_arguments(group) -> None:
    """LeRobot's ``--dataset.push_to_hub``, ``--dataset.private``, ``--dataset.tags``, and the background uploads."""
    group.add_argument("--dataset.push_to_hub", dest="push_to_hub", type=flag_bool, default=False, metavar="true|false",
                       help="upload the dataset to the Hub repo --dataset.repo_id when the session ends, if it saved "
                       "an episode (default: false: a recording never needs the network)")
    group.add_argument("--dataset.private", dest="private", type=flag_bool, default=False, metavar="true|false",
                       help="create the Hub repo private (default: false)")
    group.add_argument("--dataset.tags", dest="tags", default="", help="tags for the dataset card: a,b or [a, b]")
    group.add_argument("--dataset.push_every", dest="push_every", type=int, default=0, metavar="N",
                       help="with push_to_hub: also upload while recording, every N saved episodes (the files the "
                       "session has closed; default: 0, off)")
    group.add_argument("--dataset.push_every_s", dest="push_every_s", type=float, default=0.0, metavar="S",
                       help="with push_to_hub: also upload while recording, at most every S seconds (default: 0, off)")


def check_push_settings(args) -> None:
    """The push flags, and a token when pushing: SettingsError (exit 2) before a camera opens."""
    if args.push_every < 0 or not (math.isfinite(args.push_every_s) and args.push_every_s >= 0):
        raise SettingsError(f"--dataset.push_every={args.push_every}, --dataset.push_every_s={args.push_every_s:g}: "
                            "must be >= 0 (0: off)")
    if not args.push_to_hub:
        if args.push_every or args.push_every_s:
            raise SettingsError("--dataset.push_every and --dataset.push_every_s need --dataset.push_to_hub=true")
        return
    check_repo_id(args.repo_id, "--dataset.repo_id")
    if args.repo_id.split("/")[0] == "local":
        raise SettingsError(f"--dataset.push_to_hub=true: --dataset.repo_id={args.repo_id!r} is a local name; give "
                            "ORG/NAME of a Hub account or organization")
    parse_tags(args.tags, "--dataset.tags")
    from lerec.hub.push import require_token

    require_token()


def _push_command(root: Path, args, only_closed: bool) -> list[str]:
    tags = parse_tags(args.tags, "--dataset.tags")
    return [sys.executable, "-m", "lerec", "push", str(root), "--repo-id", args.repo_id,
            *(["--private"] if args.private else []), *([f"--tags={','.join(tags)}"] if tags else []),
            *(["--only-closed"] if only_closed else [])]


def _last_line(output: bytes | None) -> str:
    lines = (output or b"").decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "no output"


class SessionPush:
    """The uploads of one session (:func:`session_push` runs them); ``episodes_saved(n)`` after each episode."""

    def __init__(self, args, root: Path, interrupts=None):
        self.args = args
        self.root = Path(root)
        self.interrupts = interrupts  # record's Ctrl-C handler: it cancels `setup` when no recorder is set
        self.enabled = bool(args.push_to_hub)
        self.background = self.enabled and bool(args.push_every or args.push_every_s)
        self.saved = 0  # episodes saved by this session
        self.pushed = 0  # of them, those the last background upload saw
        self.closing = anyio.Event()
        self._wake = anyio.Event()

    def episodes_saved(self, count: int) -> None:
        """Called after each episode with the number of episodes this session saved so far; never blocks."""
        self.saved = count
        if self.args.push_every and self.saved - self.pushed >= self.args.push_every:
            self._wake.set()

    def resume(self) -> str:
        return resume_command(self.root, self.args.repo_id, self.args.private,
                              parse_tags(self.args.tags, "--dataset.tags"))

    def interruptible(self, scope: anyio.CancelScope) -> None:
        """From now on (the recorder is closed), Ctrl-C cancels ``scope``."""
        if self.interrupts is not None:
            self.interrupts.recorder, self.interrupts.setup = None, scope

    def _due(self, last: float) -> bool:
        if self.saved == self.pushed:
            return False
        every, every_s = self.args.push_every, self.args.push_every_s
        return bool((every and self.saved - self.pushed >= every) or (every_s and time.monotonic() - last >= every_s))

    async def run_background(self) -> None:
        """Upload the closed files when due, one upload at a time, until the session closes (an upload under way
        then finishes first)."""
        failures, last = 0, time.monotonic()
        while not self.closing.is_set():
            async with anyio.create_task_group() as waiting:  # the first of: an episode, the period, the end
                async def wait(event: anyio.Event) -> None:
                    await event.wait()
                    waiting.cancel_scope.cancel()

                waiting.start_soon(wait, self._wake)
                waiting.start_soon(wait, self.closing)
                if self.args.push_every_s:
                    waiting.cancel_scope.deadline = anyio.current_time() + self.args.push_every_s
            self._wake = anyio.Event()
            if self.closing.is_set() or not self._due(last):
                continue
            seen, last = self.saved, time.monotonic()
            env = dict(os.environ, HF_HUB_DISABLE_PROGRESS_BARS="1")
            done = await anyio.run_process(_push_command(self.root, self.args, True), check=False, env=env,
                                           start_new_session=True, stdin=subprocess.DEVNULL)
            if done.returncode == 0:
                failures, self.pushed = 0, seen
                print(f"push: {_last_line(done.stdout)}", file=sys.stderr)
                continue
            delay = RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S) - 1)]
            failures += 1
            print(f"push: warning: upload to {self.args.repo_id} failed ({_last_line(done.stderr)}); recording goes "
                  f"on, next try in {delay:g} s", file=sys.stderr)
            with anyio.move_on_after(delay):
                await self.closing.wait()
            self._wake.set()

    async def final(self) -> None:
        """The last upload: everything, in the foreground, retried twice; Ctrl-C stops it."""
        resume = self.resume()
        scope = anyio.CancelScope()
        self.interruptible(scope)
        print(f"uploading to {self.args.repo_id} (Ctrl-C stops; the dataset stays complete and `{resume}` "
              "finishes later)", file=sys.stderr)
        failure = "stopped"
        with scope:
            for delay in (*FINAL_RETRY_DELAYS_S, None):
                done = await anyio.run_process(_push_command(self.root, self.args, False), check=False,
                                               stdout=None, stderr=None, start_new_session=True,
                                               stdin=subprocess.DEVNULL)
                if done.returncode == 0:
                    return
                failure = "failed"
                if done.returncode == 2 or delay is None:
                    break
                print(f"push: retrying in {delay:g} s", file=sys.stderr)
                await anyio.sleep(delay)
        if scope.cancel_called:
            raise Interrupted(f"upload stopped: the episodes are saved in {self.root}; `{resume}` uploads them")
        raise HubError(f"the upload {failure}: the episodes are saved in {self.root}; `{resume}` uploads them")


@asynccontextmanager
async def session_push(args, root: Path, interrupts=None) -> AsyncIterator[SessionPush]:
    """``async with session_push(args, root, interrupts) as push:`` around the recorder: the background uploads
    run inside the block; leaving it (the recorder closed) waits for the one under way, then runs the last upload
    if the session saved an episode. An error in the block stops the uploads at once."""
    push = SessionPush(args, root, interrupts)
    async with anyio.create_task_group() as tg:
        if push.background:
            tg.start_soon(push.run_background)
        try:
            yield push
        except BaseException:
            tg.cancel_scope.cancel()
            raise
        push.closing.set()
        if push.background:
            push.interruptible(tg.cancel_scope)
    if not (push.enabled and push.saved):
        return
    if tg.cancel_scope.cancel_called or (interrupts is not None and interrupts.count >= 2):  # the user wants out
        raise Interrupted(f"the episodes are saved in {push.root}, not all uploaded: `{push.resume()}` uploads them")
    await push.final()
