"""Episode rows appended to a cached arrow table read back as if the file were written from all rows at once."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.store.tables import append_episode_row, append_rows, episodes_table, write_parquet


def _row(index: int, **extra):
    return {"episode_index": index, "tasks": ["pick"], "length": 10 + index,
            "stats/observation.state/mean": [0.5 * index, 1.0], "lerec/front/camera_seq": list(range(3)), **extra}


def test_appended_rows_equal_a_table_built_from_all_rows(tmp_path):
    rows = [_row(0), _row(1), _row(2)]
    table = episodes_table(rows[:1])
    for row in rows[1:]:
        table = append_episode_row(table, row)
    write_parquet(tmp_path / "episodes.parquet", table)
    assert pq.read_table(tmp_path / "episodes.parquet").to_pylist() == rows


def test_a_row_with_a_new_column_or_type_widens_the_table():
    table = episodes_table([_row(0, note=None)])
    table = append_episode_row(table, _row(1, note="camera cable replugged", extra_column=7))
    rows = table.to_pylist()
    assert rows[1]["note"] == "camera cable replugged" and rows[1]["extra_column"] == 7
    assert rows[0]["note"] is None and rows[0]["extra_column"] is None


def test_episode_rows_get_the_types_pyarrow_would_infer():
    rows = [_row(0, note=None, mixed=[1, 2.5], flag=True, empty=[]), _row(1, note="n", mixed=[3.0], flag=False, empty=[2])]
    assert episodes_table(rows).schema == pa.Table.from_pylist(rows).schema
    assert episodes_table(rows).to_pylist() == pa.Table.from_pylist(rows).to_pylist()


def test_data_files_dictionary_encode_only_their_few_valued_columns(tmp_path):
    rows = pa.table({"observation.state": pa.array(np.random.default_rng(0).random(500), pa.float32()),
                     "episode_index": pa.array([3] * 500, pa.int64()), "index": pa.array(range(500), pa.int64())})
    path = tmp_path / "file-000.parquet"
    append_rows(path, rows.slice(0, 200))
    kept = append_rows(path, rows.slice(200))  # a second episode, appended to the rows the first call returned
    assert append_rows(tmp_path / "other.parquet", rows.slice(200), existing=rows.slice(0, 200)).equals(kept)
    assert pq.read_table(path).equals(rows)
    column = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {column.column(i).path_in_schema: column.column(i).encodings for i in range(column.num_columns)}
    assert "RLE_DICTIONARY" in encodings["episode_index"]
    assert "RLE_DICTIONARY" not in encodings["observation.state"] and "RLE_DICTIONARY" not in encodings["index"]
