"""lerec's local web app (the ``web`` extra: Starlette on uvicorn, plain HTML/JS pages): review a dataset
(``lerec review``: episodes, videos in sync, labels, deletion) and operate a recording (``lerec record --web``).

Imported by the CLI only; it reads datasets through :mod:`lerec.dataset` and never imports the recorder: the CLI
hands it a :class:`~lerec.web.live.LiveSession`.
"""
