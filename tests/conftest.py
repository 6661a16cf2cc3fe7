from pathlib import Path

import pytest


@pytest.fixture
def dataset_root(tmp_path: Path) -> Path:
    return tmp_path / "dataset"


# Recorded datasets shared by the dataset tool tests (session-scoped, so recorded once per run).
from dataset_fixtures import copy_of, recorded, recorded_b  # noqa: E402,F401
