from pathlib import Path

import pytest


@pytest.fixture
def dataset_root(tmp_path: Path) -> Path:
    return tmp_path / "dataset"
