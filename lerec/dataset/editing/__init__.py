"""Edits and merges: new datasets built from episodes of others (merge, delete, split, re-encode, convert)."""
