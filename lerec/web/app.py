"""The web app (Starlette): review pages for a dataset, the operate page for a live session, their JSON API.

:func:`create_app` builds it for a :class:`~lerec.web.review.Review`, a :class:`~lerec.web.live.LiveSession` or
both; :class:`WebServer` serves it with uvicorn, on this thread (``lerec review``) or beside a recording.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from lerec.dataset.spec import layout
from lerec.errors import DatasetError, LerecError
from lerec.web.guard import BadRequest, Guard
from lerec.web.live import LiveFrames, LiveSession, command
from lerec.web.media import cut_response, jpeg_response
from lerec.web.review import Review, whole_file

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"review": "review.html", "episode": "episode.html", "live": "live.html"}
MAX_BODY = 1 << 20


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest(413, f"a request body is at most {MAX_BODY} bytes")
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise BadRequest(400, "the request body is not JSON") from None


def dataset_file(root: Path, raw_path: str) -> Path:
    """The file of the dataset at ``raw_path`` (the URL's path after ``/files/``, still percent-encoded):
    encoded characters, ``..``, absolute paths and symlinks are refused, and it must resolve inside ``root``."""
    if "%" in raw_path or "\\" in raw_path or "\0" in raw_path:
        raise BadRequest(400, "a file path is plain: no encoded characters or backslashes")
    parts = raw_path.split("/")
    if not raw_path or raw_path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise BadRequest(400, f"{raw_path!r}: a path relative to the dataset, without '..' or empty parts")
    for i in range(1, len(parts) + 1):
        if (root / Path(*parts[:i])).is_symlink():
            raise BadRequest(403, f"{raw_path!r}: symbolic links are not served")
    try:
        path = layout.confine(root, raw_path)
    except DatasetError:
        raise BadRequest(403, f"{raw_path!r} is outside the dataset") from None
    if not path.is_file():
        raise BadRequest(404, f"{raw_path!r}: no such file in the dataset")
    return path


def create_app(review: Review | None = None, live: LiveSession | None = None, *, token: str | None = None,
               loopback: bool = True, read_only: bool = False) -> Guard:
    """The app for ``review`` and/or ``live``, behind the guard (token, Host header, writes, clean errors)."""
    frames = LiveFrames(live) if live is not None else None

    def need_review() -> Review:
        if review is None:
            raise BadRequest(404, "no dataset under review here")
        return review

    def need_live() -> LiveFrames:
        if frames is None:
            raise BadRequest(404, "no recording session here (lerec record --web)")
        return frames

    def page(name: str):
        async def endpoint(request: Request) -> Response:
            if name == "episode":
                need_review()._check_episode(request.path_params["e"])
            html = (STATIC / PAGES[name]).read_text(encoding="utf-8")
            return Response(html, media_type="text/html", headers={"Cache-Control": "no-store"})
        return endpoint

    async def home(request: Request) -> Response:
        target = "/review" if review is not None else "/live"
        return RedirectResponse(target + (f"?{request.url.query}" if request.url.query else ""), 303)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        files = {p.name: p for p in STATIC.iterdir() if p.suffix in (".js", ".css")}
        if name not in files:
            raise BadRequest(404, f"no static file {name!r}")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(files[name].read_bytes(), media_type=kind, headers={"Cache-Control": "no-store"})

    async def about(request: Request) -> Response:
        out = {"review": review.summary() if review is not None else None, "live": live is not None,
               "read_only": read_only or bool(review and review.read_only)}
        return JSONResponse(out)

    async def episodes(request: Request) -> Response:
        return JSONResponse(await need_review().run(need_review().episodes))

    async def episode(request: Request) -> Response:
        return JSONResponse(await need_review().run(need_review().episode, request.path_params["e"]))

    async def video(request: Request) -> Response:
        cut, _ = await need_review().run(need_review().cut, request.path_params["e"], request.path_params["key"])
        return cut_response(cut, request.headers.get("range"), request.method)

    async def frame(request: Request) -> Response:
        p = request.path_params
        return jpeg_response(await need_review().run(need_review().frame, p["e"], p["key"], p["i"]))

    async def thumbnail(request: Request) -> Response:
        p = request.path_params
        return jpeg_response(await need_review().run(need_review().thumbnail, p["e"], p["key"]))

    async def label(request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse(await need_review().run(need_review().label, request.path_params["e"], body))

    async def delete(request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse(await need_review().run(need_review().delete, body))

    async def raw_file(request: Request) -> Response:
        raw = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
        path = dataset_file(need_review().root, raw[len("/files/"):])
        kind = "video/mp4" if path.suffix == ".mp4" else "application/octet-stream"
        return cut_response(whole_file(path), request.headers.get("range"), request.method, kind)

    async def live_status(request: Request) -> Response:
        return JSONResponse({**need_live().session.status(), "read_only": read_only})

    async def live_frame(request: Request) -> Response:
        live_frames = need_live()
        return jpeg_response(await anyio.to_thread.run_sync(live_frames.jpeg, request.path_params["key"]))

    async def live_command(request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse(await anyio.to_thread.run_sync(command, need_live().session, body, read_only))

    routes = [
        Route("/", home), Route("/review", page("review")), Route("/episodes/{e:int}", page("episode")),
        Route("/live", page("live")), Route("/static/{name}", static),
        Route("/api/about", about), Route("/api/episodes", episodes), Route("/api/episodes/{e:int}", episode),
        Route("/api/episodes/{e:int}/video/{key}", video, methods=["GET", "HEAD"]),
        Route("/api/episodes/{e:int}/frames/{key}/{i:int}", frame),
        Route("/api/episodes/{e:int}/thumbnail/{key}", thumbnail),
        Route("/api/episodes/{e:int}/label", label, methods=["POST"]),
        Route("/api/delete", delete, methods=["POST"]),
        Route("/files/{path:path}", raw_file, methods=["GET", "HEAD"]),
        Route("/api/live/status", live_status), Route("/api/live/frames/{key}", live_frame),
        Route("/api/live/command", live_command, methods=["POST"]),
    ]
    handlers = {BadRequest: _refused, LerecError: _failed}
    return Guard(Starlette(routes=routes, exception_handlers=handlers), token=token, loopback=loopback)


async def _refused(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), getattr(exc, "status", 400))


async def _failed(request: Request, exc: Exception) -> Response:
    """A dataset that cannot be read as asked (a damaged file, say): its one-line error, no traceback."""
    log.warning("lerec web: %s %s: %s", request.method, request.url.path, exc)
    return PlainTextResponse(str(exc), 500)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; LerecError naming them when it cannot."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise LerecError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise LerecError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class WebServer:
    """uvicorn serving ``app`` on ``host:port`` (port 0: any free one), listening from construction."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8000, token: str | None = None):
        self.host, self.token = host, token
        self.socket = listen(host, port)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
        self.server = uvicorn.Server(config)

    @property
    def url(self) -> str:
        port = self.socket.getsockname()[1]
        shown = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{shown}]" if ":" in shown else shown
        return f"http://{host}:{port}/" + (f"?token={self.token}" if self.token else "")

    def run(self) -> None:
        """Serve on this thread until Ctrl-C (uvicorn's own handling) or :meth:`stop`."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def stop(self) -> None:
        self.server.should_exit = True

    async def serve_beside(self, on_started) -> None:
        """Serve on a thread of its own (its own event loop: a page's requests never run on the caller's loop)
        until cancelled; ``on_started(url)`` once serving."""
        thread = threading.Thread(target=self.run, name="lerec-web", daemon=True)
        thread.start()
        try:
            while not self.server.started and thread.is_alive():
                await anyio.sleep(0.05)
            on_started(self.url)
            await anyio.sleep_forever()
        finally:
            self.stop()
            with anyio.CancelScope(shield=True):
                while thread.is_alive():  # joined: uvicorn checks should_exit every 0.1 s
                    await anyio.sleep(0.05)
