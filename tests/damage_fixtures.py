"""Damaged copies of a recorded dataset: each kind of damage a disk, a crash, a bad tool or a person can leave.

``DAMAGES`` maps a name to a function that damages the dataset at ``root`` in place. Each names what it breaks,
so a test can check that the error a tool gives names the same file.

``HOSTILE`` holds the datasets of issue 11's items 2 and 3 (built with tests/hostile.py's helpers): values that
lead outside the root, or that ask for huge sizes. Their targets lie in ``ROOT/../../elsewhere``, a canary tree
(the layout of tests/test_hostile_paths.py, where ``../../../elsewhere/k`` under ``videos/`` leads).
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hostile import edit_info, lead_key_outside, link_outside, plant_journal, set_episode_column

INFO = "meta/info.json"
STATS = "meta/stats.json"
TASKS = "meta/tasks.parquet"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"
DATA = "data/chunk-000/file-000.parquet"
FRONT = "observation.images.front"
VIDEO = f"videos/{FRONT}/chunk-000/file-000.mp4"
JOURNAL = ".lerec/convert-depth.json"
METADATA_FILES = (INFO, STATS, TASKS, EPISODES, DATA)


def _edit_info(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        info = json.loads((root / INFO).read_text())
        replaced = change(info)
        (root / INFO).write_text(json.dumps(info if replaced is None else replaced))

    return damage


def _set(**values) -> Callable[[Path], None]:
    return _edit_info(lambda info: info.update(values))


def _drop_key(*path: str) -> Callable[[Path], None]:
    def change(info: dict) -> None:
        for key in path[:-1]:
            info = info[key]
        del info[path[-1]]

    return _edit_info(change)


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        (root / rel).write_bytes(data)

    return damage


def _truncate(rel: str, fraction: float) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        data = (root / rel).read_bytes()
        (root / rel).write_bytes(data[: int(len(data) * fraction)])

    return damage


def _remove(rel: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        target = root / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return damage


def _drop_column(rel: str, column: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        table = pq.read_table(root / rel)
        pq.write_table(table.drop_columns([column]), root / rel)

    return damage


def _replace_column(rel: str, column: str, values: Callable[[int], pa.Array]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        table = pq.read_table(root / rel)
        i = table.column_names.index(column)
        pq.write_table(table.set_column(i, column, values(len(table))), root / rel)

    return damage


def _cut_mid_fragment(rel: str) -> Callable[[Path], None]:
    """Cut the file in the middle of its last fragment's ``mdat`` (a crash while appending an episode)."""
    def damage(root: Path) -> None:
        data = (root / rel).read_bytes()
        last_moof = data.rfind(b"moof") - 4
        (root / rel).write_bytes(data[: last_moof + (len(data) - last_moof) // 2])

    return damage


def _flip(rel: str, seed: int, flips: int) -> Callable[[Path], None]:
    return lambda root: flip_bytes(root / rel, seed, flips)


def _set_shape(key: str, shape: list[int]) -> Callable[[Path], None]:
    return _edit_info(lambda info: info["features"][key].update(shape=shape))


def _declare_size(key: str, height: int, width: int) -> Callable[[Path], None]:
    """Declare another frame size for ``key``, in its shape and its probed video.height/width alike."""
    def change(info: dict) -> None:
        feature = info["features"][key]
        feature["shape"] = [height, width, feature["shape"][2]]
        feature["info"].update({"video.height": height, "video.width": width})

    return _edit_info(change)


def _garbage(n: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


# name -> (damage, the file whose damage it is)
DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    # meta/info.json
    "info missing": (_remove(INFO), INFO),
    "info invalid JSON": (_write(INFO, b'{"fps": 30, "features": '), INFO),
    "info a list": (_write(INFO, b"[1, 2, 3]"), INFO),
    "info no fps": (_drop_key("fps"), INFO),
    "info no features": (_drop_key("features"), INFO),
    "info no data_path": (_drop_key("data_path"), INFO),
    "info fps 0": (_set(fps=0), INFO),
    "info fps negative": (_set(fps=-30), INFO),
    "info fps a string": (_set(fps="30"), INFO),
    "info features a list": (_set(features=["observation.state"]), INFO),
    "info feature no dtype": (_drop_key("features", "action", "dtype"), INFO),
    "info feature dtype a list": (_edit_info(lambda info: info["features"]["action"].update(dtype=["float32"])), INFO),
    "info feature shape a string": (_edit_info(lambda info: info["features"]["action"].update(shape="3")), INFO),
    "info video_path null": (_set(video_path=None), INFO),
    "info total_episodes a string": (_set(total_episodes="3"), INFO),
    "info total_episodes too many": (_set(total_episodes=5), INFO),
    "info wrong codebase_version": (_set(codebase_version="v2.1"), INFO),
    "info total_frames wrong": (_set(total_frames=59), INFO),
    "info video shape 1e9x1e9": (_set_shape(FRONT, [10**9, 10**9, 3]), INFO),
    "info video shape unlike its stream": (_set_shape(FRONT, [480, 640, 3]), INFO),
    "info video size unlike its stream": (_declare_size(FRONT, 480, 640), INFO),
    # data/ parquet
    "data missing": (_remove(DATA), DATA),
    "data truncated": (_truncate(DATA, 0.6), DATA),
    "data garbage": (_write(DATA, _garbage()), DATA),
    "data no timestamp column": (_drop_column(DATA, "timestamp"), DATA),
    "data no declared feature column": (_drop_column(DATA, "observation.state"), DATA),
    "data task_index strings": (_replace_column(DATA, "task_index", lambda n: pa.array(["a"] * n)), DATA),
    # meta/episodes parquet
    "episodes folder missing": (_remove("meta/episodes"), EPISODES),
    "episodes truncated": (_truncate(EPISODES, 0.5), EPISODES),
    "episodes garbage": (_write(EPISODES, _garbage()), EPISODES),
    "episodes no length column": (_drop_column(EPISODES, "length"), EPISODES),
    "episodes no video location": (_drop_column(EPISODES, f"videos/{FRONT}/from_timestamp"), EPISODES),
    "episodes length strings": (_replace_column(EPISODES, "length", lambda n: pa.array(["20"] * n)), EPISODES),
    "episodes length null": (_replace_column(EPISODES, "length", lambda n: pa.nulls(n, pa.int64())), EPISODES),
    # meta/tasks.parquet
    "tasks missing": (_remove(TASKS), TASKS),
    "tasks garbage": (_write(TASKS, _garbage(300)), TASKS),
    "tasks no task column": (_drop_column(TASKS, "task"), TASKS),
    # meta/stats.json
    "stats invalid JSON": (_write(STATS, b'{"action": {"min": [0'), STATS),
    "stats entry not a dict": (_write(STATS, b'{"action": 5}'), STATS),
    "stats missing": (_remove(STATS), STATS),
    # videos/
    "video missing": (_remove(VIDEO), VIDEO),
    "video empty": (_write(VIDEO, b""), VIDEO),
    "video not an MP4": (_write(VIDEO, _garbage(20000)), VIDEO),
    "video cut mid-fragment": (_cut_mid_fragment(VIDEO), VIDEO),
    "video cut in its header": (_truncate(VIDEO, 0.01), VIDEO),
    "video 2000 flipped bits": (_flip(VIDEO, 2, 2000), VIDEO),
}


def _elsewhere(root: Path) -> Path:
    return root.parent.parent / "elsewhere"


def _key_outside(absolute: bool) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        lead_key_outside(root, FRONT, str(_elsewhere(root) / "k") if absolute else "../../../elsewhere/k")
        edit_info(root, total_episodes=2, total_frames=40)  # an unfinished third episode: --resume would cut it

    return damage


def _link_outside(rel: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        link_outside(root, rel, _elsewhere(root) / f"linked-{Path(rel).name}")
        edit_info(root, total_episodes=2, total_frames=40)

    return damage


def _journal_outside(root: Path) -> None:
    (_elsewhere(root) / "file-001.mp4").write_bytes(b"an mp4 that must not move")
    plant_journal(root, ["../../elsewhere/file-001.mp4", str(_elsewhere(root) / "precious.txt")])


def _edit(change: Callable[..., None], *args, **kwargs) -> Callable[[Path], None]:
    return lambda root: change(root, *args, **kwargs)


DEPTH_VIDEO = "videos/observation.images.wrist_depth/chunk-000/file-000.mp4"
# convert-depth reads meta/info.json and the depth videos only
BUT_CONVERT_DEPTH = ("info", "validate", "merge", "delete", "split", "view", "reader", "resume")
# name -> (damage, the file named in the error, the tools that must refuse it: None for every tool)
HOSTILE: dict[str, tuple[Callable[[Path], None], str, tuple[str, ...] | None]] = {
    "key ../../../elsewhere/k": (_key_outside(absolute=False), INFO, None),
    "key absolute": (_key_outside(absolute=True), INFO, None),
    "video a symlink to outside": (_link_outside(DEPTH_VIDEO), DEPTH_VIDEO, None),
    "data a symlink to outside": (_link_outside(DATA), DATA, BUT_CONVERT_DEPTH),
    "episode length 1e9": (_edit(set_episode_column, "length", 1e9, episode=0), EPISODES,
                           BUT_CONVERT_DEPTH),
    "data_path of width 9999999999": (
        _edit(edit_info, data_path="data/chunk-{chunk_index:>9999999999}/file-{file_index:03d}.parquet"), INFO, None),
    "video_path without video_key": (
        _edit(edit_info, video_path="videos/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"), INFO, None),
    "data_path {": (_edit(edit_info, data_path="{"), INFO, None),
    "journal leading outside": (_journal_outside, JOURNAL, ("convert-depth", "resume")),
}


def flip_bytes(path: Path, seed: int, flips: int = 1) -> None:
    """Flip ``flips`` random bits of the file at ``path`` (reproducibly, from ``seed``)."""
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        if data:
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


HOSTILE_VALUES = (None, -1, 0, 2**63, 1e308, float("nan"), "", "x", "{", [], {}, True)


def mutate_json(path: Path, seed: int, mutations: int = 2) -> None:
    """Replace ``mutations`` random values anywhere in the JSON file at ``path`` by values of other types and
    sizes: damage that stays valid JSON, which a bit flip rarely does."""
    value = json.loads(path.read_text())
    rng = random.Random(seed)
    for _ in range(mutations):
        slots: list[tuple[dict | list, object]] = []
        stack = [value]
        while stack:
            node = stack.pop()
            children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, child in children:
                slots.append((node, key))
                stack.append(child)
        if slots:
            container, key = rng.choice(slots)
            container[key] = rng.choice(HOSTILE_VALUES)  # type: ignore[index]
    path.write_text(json.dumps(value))
