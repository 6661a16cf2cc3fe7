"""The assembler's memory does not grow with the number of episodes it writes (beyond their frame rows).

Each ``meta/episodes`` row (≈127 columns, mostly statistics) takes ~46 KiB as a Python dict; holding every one until
the end made merging 100,000 episodes need ~17 GB. Now only the rows of the ``meta/episodes`` file being filled, the
previous row and running totals stay in memory.
"""

from __future__ import annotations

import shutil
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq

from dataset_fixtures import recorded  # noqa: F401
from lerec.dataset.editing.assemble import DatasetAssembler
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta

ROWS_PER_EPISODES_FILE = 10  # the rows held in memory at most, the same for both sizes
DATA_FILE_MB = 0.02  # ~6 episodes' frame rows per data file: those held are the same for both sizes too
# What may grow beyond those: nothing per episode (the previous row is replaced, the totals are running sums), a
# little per file written (its confined path, its column list: ~1-2 KiB per 6-10 episodes, measured ~570 B per
# episode in all). 2 KiB per episode is ~1/17 of one held episode row of this fixture (~34.5 KiB, which is what
# the assembler that kept every row grew by per episode).
BOUND_PER_EPISODE = 2 * 1024


def _assemble(reader: DatasetReader, root, episodes: int) -> int:
    """The peak of Python allocations (tracemalloc) while assembling ``episodes`` copies of ``reader``'s."""
    out = DatasetAssembler(root, reader.fps, reader.features, reader.meta.info.get("robot_type"))
    out.appender.episodes_file_max_rows = ROWS_PER_EPISODES_FILE
    out.meta.info["data_files_size_in_mb"] = DATA_FILE_MB
    tracemalloc.start()
    try:
        for i in range(episodes):
            out.add(reader, i % reader.num_episodes)
        out.finish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_assembling_memory_does_not_grow_with_episodes(recorded, tmp_path):  # noqa: F811
    reader = DatasetReader(recorded)
    try:
        _assemble(reader, tmp_path / "warm", 3)  # imports, caches: not what is measured
        small, large = 30, 120
        peak_small = _assemble(reader, tmp_path / "small", small)
        peak_large = _assemble(reader, tmp_path / "large", large)
    finally:
        reader.close()
    growth = peak_large - peak_small
    assert growth < (large - small) * BOUND_PER_EPISODE, (
        f"peak {peak_small} B for {small} episodes, {peak_large} B for {large}: "
        f"{growth / (large - small):.0f} B per episode")
    assert validate(tmp_path / "large") == []
    meta = DatasetMeta.load(tmp_path / "large")
    assert len(meta.episodes) == large
    assert [r[fmt.EPISODE_INDEX] for r in meta.episodes] == list(range(large))
    assert meta.info["total_frames"] == sum(int(r[fmt.LENGTH]) for r in meta.episodes)
    files = sorted((tmp_path / "large" / fmt.EPISODES_DIR).rglob("*.parquet"))
    assert [pq.read_metadata(f).num_rows for f in files] == [ROWS_PER_EPISODES_FILE] * (large // ROWS_PER_EPISODES_FILE)


def test_a_column_that_comes_later_is_null_in_the_files_written_before(recorded, tmp_path):  # noqa: F811
    """Every meta/episodes file gets every episode column, in one order, as the one file written at the end had."""
    tagged = tmp_path / "tagged"
    shutil.copytree(recorded, tagged)
    episodes_file = tagged / fmt.FIRST_FILE.episodes_path()
    table = pq.read_table(episodes_file)
    pq.write_table(table.append_column("operator", pa.array(["ann"] * table.num_rows)), episodes_file)
    plain, with_column = DatasetReader(recorded), DatasetReader(tagged)
    try:
        out = DatasetAssembler(tmp_path / "out", plain.fps, plain.features, plain.meta.info.get("robot_type"))
        out.appender.episodes_file_max_rows = 2
        for reader, e in ((plain, 0), (plain, 1), (plain, 2), (with_column, 1)):
            out.add(reader, e)
        out.finish()
    finally:
        plain.close()
        with_column.close()
    files = sorted((tmp_path / "out" / fmt.EPISODES_DIR).rglob("*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    assert len(files) == 2 and schemas[0] == schemas[1] and schemas[0].field("operator").type == pa.string()
    meta = DatasetMeta.load(tmp_path / "out")
    assert [r.get("operator") for r in meta.episodes] == [None, None, None, "ann"]
    assert validate(tmp_path / "out") == []
