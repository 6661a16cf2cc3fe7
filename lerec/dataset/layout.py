"""Where things live in a LeRobot v3.0 dataset."""

from __future__ import annotations

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_FILES_SIZE_MB = 100
VIDEO_FILES_SIZE_MB = 200
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
STAGING_DIR = ".lerec/staging"
ROLLBACK_DIR = ".lerec/rollback"  # the committed versions of the files a save replaces
LOCK_PATH = ".lerec/lock"  # held by the one session writing into the dataset
MIB = 1024 * 1024
# A parquet file is replaced whole to add an episode to it (so that every saved episode survives a crash), which
# costs in proportion to its rows. lerec starts a new file past these many rows as well as past the size limits
# (which LeRobot reads as maxima): measured, adding 600 rows to a 180,000-row data file took 115 ms, to a
# 36,000-row one ~25 ms.
DATA_FILE_MAX_ROWS = 36_000
EPISODES_FILE_MAX_ROWS = 100


def next_file_index(chunk_index: int, file_index: int, chunks_size: int = CHUNKS_SIZE) -> tuple[int, int]:
    """The (chunk, file) that follows: a chunk folder holds at most ``chunks_size`` files."""
    if file_index + 1 >= chunks_size:
        return chunk_index + 1, 0
    return chunk_index, file_index + 1
