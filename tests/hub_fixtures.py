"""A local Hub (tests/hub_server.py) and ``lerec`` run against it as a user would: a subprocess whose environment
points huggingface_hub's real client at the server (HF_ENDPOINT, HF_TOKEN; Xet off, since the server speaks the
LFS protocol)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hub_server import HubServer
from lerec.dataset.spec import format as fmt

pytest.importorskip("huggingface_hub")

ALICE = "hf_alice_token"  # may write to alice/* and lerec-org/*
TOKENS = {ALICE: {"name": "alice", "orgs": ["lerec-org"]}}
SECRET = "other-org/secret"  # a private repo alice cannot see


@pytest.fixture
def hub(tmp_path):
    with HubServer(tmp_path / "hub", TOKENS) as server:
        server.state.repos[SECRET] = server.state.create(SECRET, private=True)
        yield server


@pytest.fixture
def hub_env(hub, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(HF_ENDPOINT=hub.endpoint, HF_TOKEN=ALICE, HF_HUB_DISABLE_XET="1", HF_HUB_OFFLINE="0",
               HF_HOME=str(tmp_path / "hf-home"), HF_LEROBOT_HOME=str(tmp_path / "lerobot-home"),
               HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1", LEREC_KEYBOARD="off")
    return env


def lerec(args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "lerec", *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def published(root: Path) -> dict[str, bytes]:
    """The files of the dataset at ``root`` that a push publishes, with their bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and fmt.is_published(p.relative_to(root).as_posix())}


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (scratch too) and its SHA-256: what 'untouched' compares."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_scratch(root: Path) -> None:
    """What lerec and LeRobot leave in a dataset that is not the dataset: none of it may be published."""
    for relative in (".lerec/staging/front.spill", ".lerec/convert-depth.json", ".lerec/rollback/x.parquet",
                     "meta/.info.json.lerec-123-4-abcd.tmp", "images/observation.images.front/frame-000000.png",
                     ".cache/huggingface/download/meta/info.json.metadata"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(b"scratch")
