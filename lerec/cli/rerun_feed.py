"""The live display's own process: reads frames and values from its stdin and logs them to rerun, so that rerun's
work (serialising, compressing, sending) never takes the recording process's time.

Run as ``python -m lerec.cli.rerun_feed SETTINGS_JSON``. Its first line on stdout is ``ready <what it shows on>``
or ``error <message>``; then each message on stdin is a JSON header line followed by ``nbytes`` of payload.
End of stdin ends it (a web viewer it started stops with it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from typing import Any, BinaryIO

import numpy as np

SERVER_START_S = 20.0  # how long the web viewer's server may take to listen


def _wait_listening(port: int, server: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the rerun web viewer exited with status {server.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the rerun web viewer did not listen on 127.0.0.1:{port} within {SERVER_START_S:g} s")


def open_sink(rr, settings: dict[str, Any]) -> tuple[str, subprocess.Popen | None]:
    """Where the display goes, as the settings say: a file, a remote viewer, a viewer spawned on this screen, or
    a web viewer served on 127.0.0.1. Returns a description (the URL to open, for the web viewer) and the server
    process it started, if any."""
    limit = settings["memory_limit"]
    if settings.get("save"):
        rr.save(settings["save"])
        return f"saving to {settings['save']}", None
    if settings.get("connect"):
        url = f"rerun+http://{settings['connect']}/proxy"
        rr.connect_grpc(url)
        return f"sending to the viewer at {url}", None
    if settings.get("screen"):
        rr.spawn(port=settings["grpc_port"], memory_limit=limit, executable_path=settings["viewer"])
        return "a rerun viewer on this screen", None
    grpc, web = settings["grpc_port"], settings["web_port"]
    server = subprocess.Popen(
        [settings["viewer"], "--serve-web", "--bind", "127.0.0.1", "--port", str(grpc), "--web-viewer-port",
         str(web), "--server-memory-limit", limit], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_listening(grpc, server)
    except BaseException:
        stop_server(server)
        raise
    rr.connect_grpc(f"rerun+http://127.0.0.1:{grpc}/proxy")
    return f"http://127.0.0.1:{web}/?url=rerun%2Bhttp://127.0.0.1:{grpc}/proxy", server


def stop_server(server: subprocess.Popen) -> None:
    """End the web viewer and what it started (the ``rerun`` on PATH may be a launcher of the real one)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the group is the server's
        server.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        server.wait()


class JpegEncoder:
    """RGB images as JPEG (LeRobot's ``--display_compressed_images``): smaller for a viewer across a network and
    in the viewer's memory. One MJPEG encoder per image size."""

    def __init__(self) -> None:
        self._encoders: dict[tuple[int, int], Any] = {}
        self._reformatter: Any = None  # one swscale context for every image, not a new one per frame

    def encode(self, image: np.ndarray) -> bytes:
        import av

        height, width = image.shape[:2]
        encoder = self._encoders.get((width, height))
        if encoder is None:
            encoder = self._encoders[(width, height)] = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
            encoder.time_base = Fraction(1, 1000)
        if self._reformatter is None:
            from av.video.reformatter import VideoReformatter

            self._reformatter = VideoReformatter()
        frame = self._reformatter.reformat(av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format="rgb24"),
                                           format="yuvj420p")
        return b"".join(bytes(packet) for packet in encoder.encode(frame))


def log_message(rr, header: dict[str, Any], payload: bytes, jpeg: JpegEncoder | None = None) -> None:
    rr.set_time("time", duration=header["t"])
    kind, path = header["kind"], header["path"]
    if kind == "scalars":
        rr.log(path, rr.Scalars(np.asarray(header["values"], dtype=np.float64)))
        return
    image = np.frombuffer(payload, dtype=header["dtype"]).reshape(header["shape"])
    if kind == "depth":
        rr.log(path, rr.DepthImage(image.reshape(image.shape[:2]), meter=1000.0, colormap="turbo"))
    elif jpeg is not None and image.ndim == 3 and image.shape[-1] == 3 and image.dtype == np.uint8:
        rr.log(path, rr.EncodedImage(contents=jpeg.encode(image), media_type="image/jpeg"))
    else:
        rr.log(path, rr.Image(image if image.shape[-1] != 1 else image[..., 0]))


def feed(rr, stdin: BinaryIO, jpeg: JpegEncoder | None = None) -> None:
    while header_line := stdin.readline():
        header = json.loads(header_line)
        nbytes = header.get("nbytes", 0)
        payload = stdin.read(nbytes) if nbytes else b""
        if len(payload) != nbytes:
            return  # the recording process ended mid-message
        log_message(rr, header, payload, jpeg)


def main(argv: list[str]) -> int:
    settings = json.loads(argv[0])
    server = None
    try:
        import rerun as rr

        rr.init("lerec_record", recording_id=settings.get("recording_id"))
        where, server = open_sink(rr, settings)
    except Exception as exc:  # told to the recording process, which says it in one line
        print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
        return 1
    print(f"ready {where}", flush=True)
    try:
        feed(rr, sys.stdin.buffer, JpegEncoder() if settings.get("compress") else None)
    except KeyboardInterrupt:
        pass
    finally:
        rr.disconnect()
        if server is not None:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
