"""``lerec record --web``: the web app's operate page wired to the recorder (the web package never imports it).

The page reads what the terminal view reads (the recorder's status, each camera's newest frame), from the web
server's own thread; its buttons call the recorder's requests, which only set flags the control loop reads at its
next tick. Success and failure label the episode being recorded (or the last saved, between episodes) as the
``s``/``f`` keys do: the recorder writes the label after that episode's save.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

import numpy as np

from lerec.cli.review import WEB_EXTRA
from lerec.errors import SettingsError

DEFAULT_ADDRESS = "127.0.0.1:8000"
STALLED_S = 1.0  # a camera whose newest frame is older than this (and half its limit) is shown as stalled
LOW_DISK_BYTES = 2 << 30


def parse_address(text: str, flag: str = "--web") -> tuple[str, int]:
    """``HOST:PORT`` (or ``PORT``, on 127.0.0.1) of ``--web``."""
    host, _, port = text.rpartition(":") if ":" in text else ("127.0.0.1", "", text)
    if not port.isdigit() or int(port) > 65535:
        raise SettingsError(f"{flag}={text}: expected HOST:PORT with a port 0 (any free one) to 65535, like "
                            f"{DEFAULT_ADDRESS}")
    return host.strip("[]") or "127.0.0.1", int(port)


class RecorderSession:
    """A :class:`~lerec.web.live.LiveSession` over a running :class:`~lerec.recording.Recorder`."""

    def __init__(self, rec, first_episode: int):
        self.rec = rec
        self.first = first_episode
        self.labels: dict[int, bool] = {}
        self.ended = False

    def streams(self) -> list[str]:
        return list(self.rec.sources)

    def newest_frame(self, key: str) -> np.ndarray | None:
        src = self.rec.sources.get(key)
        frame = src.reader.latest.get(src.stream.name) if src is not None else None
        return frame.data if frame is not None else None

    def status(self) -> dict[str, Any]:
        rec, s = self.rec, self.rec.status
        streams, warnings = [], []
        for key, src in rec.sources.items():
            age = src.reader.age_s(src.stream.name)
            spilled = s.spilled.get(key, 0)
            streams.append({"key": key, "frames": s.frames_received.get(key, 0), "queue": s.queue_depth.get(key, 0),
                            "spilled": spilled, "age_s": min(age, 1e6), "image": True})
            if age > max(STALLED_S, src.max_frame_age_ns / 2e9):
                warnings.append(f"{key}: no new frame for {age:.1f} s (stalled camera)")
            if spilled:
                warnings.append(f"{key}: {spilled} frames spilled to disk (the encoder is behind)")
        free = shutil.disk_usage(rec.root).free if rec.root.exists() else None
        if free is not None and free < LOW_DISK_BYTES:
            warnings.append(f"disk: {free / 2**30:.1f} GiB free at {rec.root}")
        episodes = rec.num_episodes if rec.writer is not None else 0
        return {"phase": "ended" if self.ended else s.phase, "episode_index": s.episode_index, "tick": s.tick,
                "length": s.length, "fps": s.fps, "episodes": episodes, "saved": episodes - self.first,
                "streams": streams, "warnings": warnings,
                "labels": {str(e): v for e, v in sorted(self.labels.items())}}

    def command(self, name: str) -> str:
        rec = self.rec
        if name == "next":
            rec.end_episode()
            return "ending the episode (it is saved)"
        if name == "rerecord":
            rec.rerecord_episode()
            return "discarding the episode to record it again"
        if name == "stop":
            rec.stop()
            print("\nstopping (from the web page): saving the current episode", file=sys.stderr)
            return "stopping: the current episode is saved"
        episode = rec.label_target()
        if episode is None or episode < self.first:
            return "no episode of this session to label yet"
        rec.mark_success(name == "success")  # written after the episode's save, as the keys' labels are
        self.labels[episode] = name == "success"
        return f"episode {episode}: {name}"


class LiveWeb:
    """The web app beside a recording: ``serve`` in the session's task group."""

    def __init__(self, rec, first_episode: int, address: str):
        try:
            from lerec.web.app import WebServer, create_app
            from lerec.web.guard import is_loopback, new_token
        except ImportError as exc:
            raise SettingsError(f"--web: {WEB_EXTRA} ({exc})") from None
        host, port = parse_address(address)
        self.session = RecorderSession(rec, first_episode)
        token = None if is_loopback(host) else new_token()
        app = create_app(live=self.session, token=token, loopback=token is None)
        self.server = WebServer(app, host, port, token)

    async def serve(self) -> None:
        try:
            await self.server.serve_beside(lambda url: print(f"web page: {url}", file=sys.stderr, flush=True))
        finally:
            self.session.ended = True
