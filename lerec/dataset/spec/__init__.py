"""The v3.0 format and its records: paths, columns, features, video info, statistics, checksums, meta/'s checks."""
