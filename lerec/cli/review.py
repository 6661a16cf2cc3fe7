"""``lerec review ROOT``: a local web app to look through a dataset's episodes, label them and delete some."""

from __future__ import annotations

from pathlib import Path

from lerec.errors import SettingsError

WEB_EXTRA = "the web app needs lerec's web extra: pip install 'lerec[web]'"


def add_server_arguments(p, port: int = 8000) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this machine only); any other, such as 0.0.0.0, "
                   "requires a random token, printed in the URL, on every request")
    p.add_argument("--port", type=int, default=port, help=f"port (default: {port}; 0: any free port)")


def check_port(port: int, flag: str = "--port") -> int:
    if not 0 <= port <= 65535:
        raise SettingsError(f"{flag}={port}: a port is 0 (any free one) to 65535")
    return port


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "review", help="review, label and curate a dataset in the browser",
        description="Serve a local web app on the dataset ROOT: the episodes as a sortable, filterable table "
        "with a thumbnail per camera; an episode page playing every camera in sync with the state and action "
        "plotted under them (space: play, <- and ->: one frame); success/failure, tags and notes written back "
        "to meta/episodes; episodes marked for deletion written as a new dataset to --output. Ctrl-C stops it.")
    p.add_argument("root", help="the dataset folder")
    add_server_arguments(p)
    p.add_argument("--read-only", dest="read_only", action="store_true",
                   help="look only: no labels written, no deletion applied")
    p.add_argument("--output", default=None,
                   help="where applying a deletion writes the new dataset (must not exist or be empty; the source "
                   "is never changed); without it, deletions cannot be applied")
    p.set_defaults(func=run)


def run(args) -> int:
    check_port(args.port)
    root = Path(args.root)
    if args.output is not None and Path(args.output).resolve() == root.resolve():
        raise SettingsError(f"--output={args.output}: is the dataset under review; give a new folder")
    try:
        from lerec.web.app import WebServer, create_app
        from lerec.web.guard import is_loopback, new_token
        from lerec.web.review import Review
    except ImportError as exc:
        raise SettingsError(f"{WEB_EXTRA} ({exc})") from None
    review = Review(root, read_only=args.read_only, output=args.output)
    try:
        token = None if is_loopback(args.host) else new_token()
        app = create_app(review, token=token, loopback=token is None, read_only=args.read_only)
        server = WebServer(app, args.host, args.port, token)
        print(f"lerec review: {root} ({review.summary()['episodes']} episodes) at {server.url}", flush=True)
        print("Ctrl-C stops it", flush=True)
        server.run()
    finally:
        review.close()
    return 0
