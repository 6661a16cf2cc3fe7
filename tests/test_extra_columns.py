"""Columns lerec does not write are kept: LeRobot's language annotations and a user's own columns come through
merge, delete, split, re-encode and convert with their values and types, and the results validate."""

import importlib.util
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerec.cli import main
from lerec.dataset.reading.validate import validate

from test_edit import make_image_dataset

_spec = importlib.util.spec_from_file_location(
    "add_language_columns", Path(__file__).resolve().parents[1] / "scripts" / "add_language_columns.py")
language = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(language)

DATA_COLUMNS = (*language.LANGUAGE_COLUMNS, "user_label")


def data_columns(root: Path) -> tuple[dict[int, dict[str, list]], dict[str, pa.DataType]]:
    """Per episode, the values of the extra data columns in frame order; and their types."""
    per_episode: dict[int, dict[str, list]] = {}
    types = {}
    for path in sorted(root.glob("data/*/*.parquet")):
        table = pq.read_table(path)
        types.update({name: table.schema.field(name).type for name in DATA_COLUMNS})
        rows = table.select(["episode_index", "frame_index", *DATA_COLUMNS]).to_pylist()
        for row in sorted(rows, key=lambda r: (r["episode_index"], r["frame_index"])):
            episode = per_episode.setdefault(row["episode_index"], {name: [] for name in DATA_COLUMNS})
            for name in DATA_COLUMNS:
                episode[name].append(row[name])
    return per_episode, types


def episode_columns(root: Path) -> tuple[dict[int, dict], dict[str, pa.DataType]]:
    per_episode, types = {}, {}
    for path in sorted(root.glob("meta/episodes/*/*.parquet")):
        table = pq.read_table(path)
        types.update({name: table.schema.field(name).type for name in language.EPISODE_COLUMNS})
        for row in table.select(["episode_index", *language.EPISODE_COLUMNS]).to_pylist():
            per_episode[row.pop("episode_index")] = row
    return per_episode, types


def assert_kept(out: Path, sources: list[tuple[Path, int]]) -> None:
    """Episode ``i`` of ``out`` holds the extra columns of episode ``sources[i]``, typed alike; it validates."""
    assert validate(out) == []
    got_data, got_types = data_columns(out)
    got_episodes, got_episode_types = episode_columns(out)
    assert sorted(got_data) == list(range(len(sources)))
    for e, (source, se) in enumerate(sources):
        want_data, want_types = data_columns(source)
        want_episodes, want_episode_types = episode_columns(source)
        # Values of the frames themselves (the language timestamps refer to the source's indices: kept as they are).
        assert got_data[e] == want_data[se], f"episode {e} (episode {se} of {source})"
        assert got_episodes[e] == want_episodes[se], f"episode {e} (episode {se} of {source})"
        assert got_types == want_types and got_episode_types == want_episode_types


@pytest.fixture
def annotated(recorded, copy_of):
    root = copy_of(recorded)
    language.annotate(root, user_data_column=True)
    assert validate(root) == []
    return root


def test_merge_keeps_every_extra_column(annotated, recorded_b, copy_of, tmp_path):
    b = copy_of(recorded_b)
    language.annotate(b, user_data_column=True)
    out = tmp_path / "merged"
    assert main(["merge", str(annotated), str(b), "--output", str(out)]) == 0
    assert_kept(out, [(annotated, 0), (annotated, 1), (annotated, 2), (b, 0), (b, 1)])
    # The languages' own types, the extension type of their JSON tool calls included.
    schema = pq.read_schema(out / "data/chunk-000/file-000.parquet")
    assert schema.field("language_persistent").type == language.PERSISTENT
    assert schema.field("language_events").type == language.EVENTS


def test_delete_and_split_keep_every_extra_column(annotated, tmp_path):
    out = tmp_path / "deleted"
    assert main(["edit", str(annotated), "--output", str(out), "delete", "--episodes", "1"]) == 0
    assert_kept(out, [(annotated, 0), (annotated, 2)])
    split = tmp_path / "split"
    assert main(["edit", str(annotated), "--output", str(split), "split", "--episodes", "2;0,1"]) == 0
    assert_kept(split / "train", [(annotated, 2)])
    assert_kept(split / "val", [(annotated, 0), (annotated, 1)])


def test_reencode_keeps_every_extra_column(annotated, tmp_path):
    out = tmp_path / "reencoded"
    assert main(["edit", str(annotated), "--output", str(out), "reencode", "--rgb_encoder.crf=45"]) == 0
    assert_kept(out, [(annotated, e) for e in range(3)])


def test_convert_keeps_every_extra_column(recorded, copy_of, tmp_path):
    src = copy_of(recorded)
    make_image_dataset(src)
    language.annotate(src, user_data_column=True)
    out = tmp_path / "converted"
    assert main(["edit", str(src), "--output", str(out), "convert", "--rgb_encoder.vcodec=h264",
                 "--rgb_encoder.preset=ultrafast"]) == 0
    assert_kept(out, [(src, e) for e in range(3)])


def retype(root: Path, files: str, column: str, typ: pa.DataType) -> None:
    """Store ``column`` of ``root``'s ``files`` (a glob) as ``typ``, values unchanged."""
    for path in sorted(root.glob(files)):
        table = pq.read_table(path)
        i = table.schema.get_field_index(column)
        table = table.set_column(i, pa.field(column, typ), table.column(column).cast(typ))
        pq.write_table(table, path)


@pytest.mark.parametrize("executor", [[], ["--executor", "local"]], ids=["one-process", "job"])
@pytest.mark.parametrize("files, column", [("data/*/*.parquet", "user_label"), ("meta/episodes/*/*.parquet", "score")])
def test_merge_refuses_an_extra_column_typed_differently(annotated, recorded_b, copy_of, tmp_path, capsys, files,
                                                         column, executor):
    if executor:
        pytest.importorskip("datatrove", reason="needs lerec[scale]")
    b = copy_of(recorded_b)
    language.annotate(b, user_data_column=True)
    retype(b, files, column, pa.int64())
    assert validate(b) == []
    out = tmp_path / "merged"
    assert main(["merge", str(annotated), str(b), "--output", str(out), *executor]) == 2  # sources that differ
    message = capsys.readouterr().err
    assert column in message and "int32" in message and "int64" in message
    assert str(annotated) in message and str(b) in message
    assert not out.exists()
