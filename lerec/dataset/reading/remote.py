"""Datasets on the Hugging Face Hub as a source: a repo id ``ORG/NAME`` downloaded (or found in the local cache) as
LeRobot does, huggingface_hub imported on first use, and its errors turned into one line each. A local path that
exists always wins over a repo id. Publishing is :mod:`lerec.hub`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote
from typing import Any

from lerec.dataset.spec.format import CODEBASE_VERSION
from lerec.errors import HubError, SettingsError, one_line

# The Hub's rule for a namespace and a repo name (huggingface_hub's validate_repo_id, without the length limit).
TIMEOUT_ENV = "LEREC_HUB_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 300.0
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


def is_repo_id(text: str) -> bool:
    return _REPO_ID.fullmatch(text) is not None and ".." not in text and not text.endswith((".git", "."))


def check_repo_id(value: str, flag: str) -> str:
    if not is_repo_id(value):
        raise SettingsError(f"{flag}={value!r}: a Hub repo id is ORG/NAME (letters, digits, '-', '_', '.')")
    return value


def import_hub() -> Any:
    """The ``huggingface_hub`` module, or a one-line SettingsError saying how to install it."""
    try:
        import huggingface_hub
        import huggingface_hub.errors
    except ImportError:
        raise SettingsError("the Hugging Face Hub needs huggingface_hub: pip install 'lerec[hub]'") from None
    for name in ("httpx", "httpx2"):  # one INFO line per request otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    _give_timeouts(huggingface_hub.get_session())
    return huggingface_hub


def hub_timeout_s() -> float:
    """Seconds a Hub connection may stay silent: ``$LEREC_HUB_TIMEOUT_S``, else 300."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SettingsError(f"{TIMEOUT_ENV}={text!r}: must be a number of seconds > 0")
    return value


def _give_timeouts(client: Any) -> None:
    """huggingface_hub's shared client waits for ever where a request names no timeout (uploads, commits), so a
    network that goes silent would hang a push: such requests get :func:`hub_timeout_s` (connecting: at most
    30 s). A client made with timeouts of its own (``huggingface_hub.set_client_factory``) keeps them."""
    timeout = getattr(client, "timeout", None)
    if timeout is None or timeout.read is not None:
        return
    seconds = hub_timeout_s()
    client.timeout = type(timeout)(seconds, connect=min(seconds, 30.0))


def lerobot_home() -> Path:
    """LeRobot's datasets folder: ``$HF_LEROBOT_HOME``, else ``~/.cache/huggingface/lerobot``."""
    return Path(os.environ.get("HF_LEROBOT_HOME") or Path.home() / ".cache/huggingface/lerobot").expanduser()


def download_folder(repo_id: str, revision: str) -> Path:
    """Where Hub dataset ``repo_id`` at ``revision`` is downloaded: ``$HF_LEROBOT_HOME/downloads/ORG/NAME/REV``.
    Real files, not the Hub cache's links into its blobs (lerec reads no file through a link leading outside a
    dataset), and never a folder ``lerec record`` writes by default (``$HF_LEROBOT_HOME/ORG/NAME``)."""
    return lerobot_home() / "downloads" / repo_id / quote(revision, safe="")


def _transport_error(exc: BaseException) -> bool:
    """A connection that failed or timed out (httpx's or httpx2's TransportError, whichever the client uses)."""
    return any(cls.__name__ == "TransportError" for cls in type(exc).__mro__)


def _describe(exc: BaseException, hf: Any, revision: str | None) -> str | None:
    """What went wrong, in a few words, for an error of huggingface_hub (or one it wrapped); None if not one."""
    errors = hf.errors
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"no revision {revision!r} on the Hub"
    if isinstance(exc, errors.RepositoryNotFoundError):
        return "repository not found, or private and this token cannot read it"
    if isinstance(exc, errors.LocalEntryNotFoundError):
        cause = exc.__cause__
        if cause is not None and _transport_error(cause):
            return f"{hf.constants.ENDPOINT} does not answer ({one_line(cause)}), and it is not in the local cache"
        return "not in the local cache, and HF_HUB_OFFLINE=1 forbids downloading it"
    if isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        if status == 401:
            return "the Hub refused the token (401): run `hf auth login` or set HF_TOKEN"
        if status == 403:
            return "this token has no rights to write to it (403 Forbidden)"
        return f"the Hub answered {status}: {one_line(exc).split(' for url')[0]}"
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE=1 forbids reaching the Hub"
    if _transport_error(exc) and "Timeout" in type(exc).__name__ and "Connect" not in type(exc).__name__:
        return (f"{hf.constants.ENDPOINT} went silent for {hub_timeout_s():g} s, so the request was given up "
                f"(set {TIMEOUT_ENV} to wait longer)")
    if _transport_error(exc):
        return f"{hf.constants.ENDPOINT} does not answer ({one_line(exc)})"
    return None


@contextmanager
def hub_errors(repo_id: str, revision: str | None = None) -> Iterator[None]:
    """Turn what huggingface_hub raises into a :class:`HubError` of one line naming ``repo_id``: its own errors,
    a failed connection, and those it wraps (an upload thread's error comes as the cause of a RuntimeError)."""
    hf = import_hub()
    try:
        yield
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None:
            text = _describe(cause, hf, revision)
            if text is not None:
                raise HubError(f"{repo_id}: {text}") from None
            cause = cause.__cause__ or cause.__context__
        raise


def dataset_root(source: str | os.PathLike, revision: str | None = None) -> Path:
    """The local folder of dataset ``source``: a path as it is when it exists (or is no repo id); else the Hub
    dataset ``ORG/NAME`` at ``revision`` (default LeRobot's ``v3.0`` tag, as LeRobot loads it), downloaded (what
    is already there and unchanged is not downloaded again) or, with ``HF_HUB_OFFLINE=1``, found there."""
    path = Path(source)
    if path.exists() or not is_repo_id(os.fspath(source)):
        return path
    repo_id, revision = os.fspath(source), revision or CODEBASE_VERSION
    hf = import_hub()
    with hub_errors(repo_id, revision):
        return Path(hf.snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                         local_dir=download_folder(repo_id, revision)))
