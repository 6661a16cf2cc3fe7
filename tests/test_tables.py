"""Episode rows appended to a cached arrow table read back as if the file were written from all rows at once."""

import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.tables import append_episode_row, episodes_table, write_parquet


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
