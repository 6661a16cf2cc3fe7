"""Add to a dataset, in place, the columns that lerec does not write and must keep: LeRobot's language annotations
(``language_persistent`` and ``language_events``, typed as LeRobot's ``lerobot/datasets/language.py`` types them,
declared in info.json with dtype ``language`` as its annotation pipeline does) in the data files, and a user's own
columns in ``meta/episodes`` (``operator``, a string; ``score``, int32).

    python scripts/add_language_columns.py DATASET_ROOT [--user-data-column]

``--user-data-column`` also adds an undeclared int32 column ``user_label`` to the data files (LeRobot 0.6.1 loads
only the data columns info.json declares, so leave it out for a dataset LeRobot must load).
Only pyarrow is needed: the script runs in LeRobot's interpreter as well as in lerec's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

JSON = pa.json_() if hasattr(pa, "json_") else pa.string()  # LeRobot's choice, on older pyarrow too
PERSISTENT = pa.list_(pa.struct([
    pa.field("role", pa.string(), nullable=False), pa.field("content", pa.string()), pa.field("style", pa.string()),
    pa.field("timestamp", pa.float32(), nullable=False), pa.field("camera", pa.string()),
    pa.field("tool_calls", pa.list_(JSON)),
]))
EVENTS = pa.list_(pa.struct([
    pa.field("role", pa.string(), nullable=False), pa.field("content", pa.string()), pa.field("style", pa.string()),
    pa.field("camera", pa.string()), pa.field("tool_calls", pa.list_(JSON)),
]))
LANGUAGE_COLUMNS = ("language_persistent", "language_events")
EPISODE_COLUMNS = ("operator", "score")


def _storage(typ: pa.DataType) -> pa.DataType:
    """``typ`` with extension types (JSON) replaced by their storage: pyarrow builds those from Python values."""
    if hasattr(typ, "storage_type"):
        return typ.storage_type
    if pa.types.is_list(typ):
        return pa.list_(pa.field(typ.value_field.name, _storage(typ.value_type), typ.value_field.nullable))
    if pa.types.is_struct(typ):
        return pa.struct([pa.field(f.name, _storage(f.type), f.nullable) for f in typ])
    return typ


def typed_array(values: list, typ: pa.DataType) -> pa.Array:
    return pa.array(values, _storage(typ)).cast(typ)


def language_values(index: int, fps: int) -> tuple[list, list]:
    """The annotations of the frame with global ``index``: a subtask every 10 frames, an interjection every 7."""
    persistent = [{"role": "assistant", "content": f"subtask {index // 10}", "style": "subtask",
                   "timestamp": (index // 10 * 10) / fps, "camera": None, "tool_calls": None}]
    events = [] if index % 7 else [{"role": "user", "content": f"stop at {index}", "style": "interjection",
                                    "camera": None, "tool_calls": [json.dumps({"name": "say", "index": index})]}]
    return persistent, events


def annotate(root: str | Path, user_data_column: bool = False) -> None:
    root = Path(root)
    info_path = root / "meta/info.json"
    info = json.loads(info_path.read_text())
    for path in sorted(root.glob("data/*/*.parquet")):
        table = pq.read_table(path)
        values = [language_values(i, info["fps"]) for i in table.column("index").to_pylist()]
        table = table.append_column(pa.field("language_persistent", PERSISTENT),
                                    typed_array([v[0] for v in values], PERSISTENT))
        table = table.append_column(pa.field("language_events", EVENTS), typed_array([v[1] for v in values], EVENTS))
        if user_data_column:
            labels = [i % 3 for i in table.column("index").to_pylist()]
            table = table.append_column(pa.field("user_label", pa.int32()), pa.array(labels, pa.int32()))
        pq.write_table(table, path)
    for path in sorted(root.glob("meta/episodes/*/*.parquet")):
        table = pq.read_table(path)
        episodes = table.column("episode_index").to_pylist()
        table = table.append_column(pa.field("operator", pa.string()), pa.array([f"op{e}" for e in episodes]))
        table = table.append_column(pa.field("score", pa.int32()), pa.array([10 * e + 1 for e in episodes], pa.int32()))
        pq.write_table(table, path)
    for name in LANGUAGE_COLUMNS:
        info["features"][name] = {"dtype": "language", "shape": [1], "names": None}
    info.pop("lerec_checksums", None)  # LeRobot drops the keys it does not know when it rewrites info.json
    info_path.write_text(json.dumps(info, indent=4))


if __name__ == "__main__":
    annotate(sys.argv[1], "--user-data-column" in sys.argv[2:])
