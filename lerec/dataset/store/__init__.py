"""A dataset's files: atomic replacement, the lock, rollback, parquet tables, meta/, labels, unfinished saves."""
