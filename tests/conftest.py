import os
import signal
from pathlib import Path

import pytest

# `lerec record` reads keys when stdin is a terminal: the suite's subprocesses must not take the developer's
# terminal into cbreak mode (nor leave it so after a kill -9). The keyboard test turns it back on for its pty.
os.environ["LEREC_KEYBOARD"] = "off"


@pytest.fixture(scope="session", autouse=True)
def sigint_reaches_children():
    """A suite started in the background by a non-interactive shell (``nohup ./scripts/test.sh &``) ignores SIGINT,
    and its children inherit SIG_IGN: the commands the tests Ctrl-C would never see it. The children of a process
    with a Python handler start with the default instead."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


@pytest.fixture
def dataset_root(tmp_path: Path) -> Path:
    return tmp_path / "dataset"


# Recorded datasets shared by the dataset tool tests (session-scoped, so recorded once per run).
from dataset_fixtures import copy_of, recorded, recorded_b  # noqa: E402,F401
