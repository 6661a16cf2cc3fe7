import os
from pathlib import Path

import pytest

# `lerec record` reads keys when stdin is a terminal: the suite's subprocesses must not take the developer's
# terminal into cbreak mode (nor leave it so after a kill -9). The keyboard test turns it back on for its pty.
os.environ["LEREC_KEYBOARD"] = "off"


@pytest.fixture
def dataset_root(tmp_path: Path) -> Path:
    return tmp_path / "dataset"


# Recorded datasets shared by the dataset tool tests (session-scoped, so recorded once per run).
from dataset_fixtures import copy_of, recorded, recorded_b  # noqa: E402,F401
