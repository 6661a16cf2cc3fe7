"""Episode labels: whether an episode succeeded, its tags and its notes.

They are columns of ``meta/episodes`` (:data:`lerec.dataset.spec.format.LABEL_COLUMNS`), present in every file and
null when unset: LeRobot 0.6.1 takes the schema of its episodes from the first file and fails on a column that
appears only in a later one. Every episode lerec writes has them; a dataset written before gets them in every
file the first time it is labelled or resumed.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_parquet
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.store.metadata import DatasetMeta, read_info
from lerec.dataset.store.rollback import Rollback
from lerec.dataset.store.tables import LABEL_TYPES
from lerec.errors import DatasetError, SettingsError

MAX_TAG_CHARS = 100
MAX_NOTES_CHARS = 10_000


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # "leave this field as it is"


@attrs.frozen
class EpisodeLabel:
    """One episode's label. ``success`` None: unset; ``notes`` None: unset."""

    success: bool | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    notes: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any], where: str = "episode row") -> EpisodeLabel:
        """The label in an episode row (columns it lacks: unset); a DatasetError naming ``where`` when a value
        is not what the column holds."""
        success, tags, notes = (row.get(column) for column in fmt.LABEL_COLUMNS)
        if not isinstance(success, (bool, type(None))):
            raise DatasetError(f"{where}: column {fmt.SUCCESS!r} is {success!r}, expected true, false or null")
        if tags is not None and (not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags)):
            raise DatasetError(f"{where}: column {fmt.TAGS!r} is {tags!r}, expected a list of strings or null")
        if not isinstance(notes, (str, type(None))):
            raise DatasetError(f"{where}: column {fmt.NOTES!r} is {notes!r}, expected a string or null")
        return cls(success, tags or (), notes)

    def changed(self, success: Any = UNCHANGED, tags: Any = UNCHANGED, notes: Any = UNCHANGED) -> EpisodeLabel:
        """This label with the given fields set (values checked by :func:`checked_fields`)."""
        fields = checked_fields(success, tags, notes)
        return attrs.evolve(self, **fields)

    def describe(self) -> str:
        """``success, tags dropped, notes "..."`` ("unlabelled" when nothing is set), for a terminal."""
        parts = [] if self.success is None else ["success" if self.success else "failure"]
        if self.tags:
            parts.append("tags " + ",".join(self.tags))
        if self.notes is not None:
            parts.append(f"notes {self.notes if len(self.notes) <= 40 else self.notes[:39] + '…'!r}")
        return ", ".join(parts) or "unlabelled"

    def columns(self) -> dict[str, Any]:
        """The label as meta/episodes stores it: null when unset (no tags: null)."""
        return {fmt.SUCCESS: self.success, fmt.TAGS: list(self.tags) or None, fmt.NOTES: self.notes}


def checked_fields(success: Any = UNCHANGED, tags: Any = UNCHANGED, notes: Any = UNCHANGED) -> dict[str, Any]:
    """The fields to set, normalised (tags stripped, in order, once each; empty notes: unset); a SettingsError
    naming the field, the value and what is allowed."""
    fields: dict[str, Any] = {}
    if success is not UNCHANGED:
        if not isinstance(success, (bool, type(None))):
            raise SettingsError(f"success {success!r}: expected true, false or None (unset)")
        fields["success"] = success
    if tags is not UNCHANGED:
        if isinstance(tags, (str, bytes)) or not isinstance(tags, (Iterable, type(None))):
            raise SettingsError(f"tags {tags!r}: expected a list of strings")
        kept: list[str] = []
        for tag in tags or ():
            if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG_CHARS \
                    or any(c in tag for c in ",\n\r"):
                raise SettingsError(f"tag {tag!r}: expected a non-empty string of at most {MAX_TAG_CHARS} "
                                    "characters without commas or line breaks")
            if tag.strip() not in kept:
                kept.append(tag.strip())
        fields["tags"] = tuple(kept)
    if notes is not UNCHANGED:
        if not isinstance(notes, (str, type(None))) or len(notes or "") > MAX_NOTES_CHARS:
            raise SettingsError(f"notes {str(notes)[:40]!r}: expected a string of at most {MAX_NOTES_CHARS} "
                                "characters, or None (unset)")
        fields["notes"] = notes or None
    return fields


def labels_of(meta: DatasetMeta) -> dict[int, EpisodeLabel]:
    """Every committed episode's label, from metadata already loaded."""
    return {row.index: EpisodeLabel.of(row.extra, f"{meta.root}: episode {row.index}")
            for row in meta.episodes}


def success_by_task(meta: DatasetMeta) -> dict[str, dict[str, Any]]:
    """Per task: its episodes, how many succeeded and failed, and the success rate of those labelled (None when
    none is). An episode of several tasks counts for each."""
    counts = {task: [0, 0, 0] for task in meta.tasks}
    for index, label in labels_of(meta).items():
        for task in meta.episodes[index].get(fmt.TASKS) or []:
            count = counts.setdefault(task, [0, 0, 0])
            count[0] += 1
            if label.success is not None:
                count[1 if label.success else 2] += 1
    return {task: {"episodes": n, "succeeded": ok, "failed": failed,
                   "success_rate": ok / (ok + failed) if ok + failed else None}
            for task, (n, ok, failed) in counts.items()}


def matching_episodes(labels: Mapping[int, EpisodeLabel], success: Any = UNCHANGED,
                      tags: Iterable[str] = ()) -> list[int]:
    """The episodes whose label has ``success`` (True, False, None: unset; UNCHANGED: any) and every tag of
    ``tags``, in order."""
    wanted = set(tags)
    return [e for e, label in sorted(labels.items())
            if (success is UNCHANGED or label.success is success) and wanted <= set(label.tags)]


def read_labels(root: str | os.PathLike) -> dict[int, EpisodeLabel]:
    """Every episode's label (episodes never labelled: ``EpisodeLabel()``)."""
    return labels_of(DatasetMeta.load(root))


def _labelled_table(table: pa.Table, labels: Mapping[int, EpisodeLabel], path: Path) -> pa.Table | None:
    """``table`` with every label column (typed, null where unset) and ``labels`` set in their episodes' rows;
    None when that is what it holds already."""
    positions = {i: labels[e] for i, e in enumerate(table.column(fmt.EPISODE_INDEX).to_pylist()) if e in labels}
    changed = False
    for name, typ in LABEL_TYPES.items():
        if name in table.column_names:
            column = table.column(name)
            if column.type != typ and not pa.types.is_null(column.type):
                raise DatasetError(f"{path}: column {name!r} holds {column.type}; lerec's episode labels keep "
                                   f"{typ} there")
            values = column.to_pylist()
        else:
            values = [None] * table.num_rows
        new = list(values)
        for i, label in positions.items():
            new[i] = label.columns()[name]
        if name in table.column_names and new == values and table.column(name).type == typ:
            continue
        changed = True
        array = pa.array(new, type=typ)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), pa.field(name, typ), array)
        else:
            table = table.append_column(pa.field(name, typ), array)
    return table if changed else None


def write_labels(meta: DatasetMeta, labels: Mapping[int, EpisodeLabel], rollback: Rollback | None = None) -> None:
    """Set ``labels`` (episode index -> label) in the episode rows of ``meta`` and in its files, and give every
    meta/episodes file the label columns. Every file is checked before any is written; each is replaced
    atomically, ``rollback`` hearing of it first. The caller holds the dataset's lock (a session or
    :func:`label_episodes`)."""
    replaced = []
    holding = {row.episodes for row in meta.episodes if row.index in labels}
    for path in layout.find(meta.root, fmt.EPISODES_FILES):
        address = fmt.FileAddress.from_path(path)
        if address not in holding and set(fmt.LABEL_COLUMNS) <= set(pq.read_schema(path).names):
            continue  # nothing to set there, and it has the columns: only its footer is read
        table = _labelled_table(read_parquet(path), labels, path)
        if table is not None and address is not None:
            replaced.append((path, address, table))
    for path, address, table in replaced:
        if rollback is not None:
            rollback.before_replace(path)
        meta.replace_episodes_table(address, table)
    meta.extra_types.update(LABEL_TYPES)
    if replaced:  # info.json commits the files' new checksums
        if rollback is not None:
            rollback.before_replace(meta.path(fmt.INFO_PATH))
        meta.save_info()
    for i, row in enumerate(meta.episodes):
        label = labels.get(row.index)
        columns = label.columns() if label else dict.fromkeys(fmt.LABEL_COLUMNS)
        extra = {**row.extra, **{c: v for c, v in columns.items() if label is not None or c not in row.extra}}
        if extra != row.extra:
            meta.episodes[i] = attrs.evolve(row, extra=extra)


def label_episodes(root: str | os.PathLike, episodes: Iterable[int], *, success: Any = UNCHANGED,
                   tags: Any = UNCHANGED, notes: Any = UNCHANGED) -> None:
    """Set the given fields on each episode index in ``episodes``: atomic and under the dataset's lock, like
    every edit; an unknown episode index or a bad value is a SettingsError before anything is written.
    ``success=None`` unsets it."""
    checked_fields(success, tags, notes)
    given = list(episodes)
    try:
        wanted = [operator.index(e) for e in given if not isinstance(e, bool)]
    except TypeError:
        wanted = []
    if not wanted or len(wanted) != len(given):
        raise SettingsError(f"episodes {given!r}: expected one or more episode indices")
    root = Path(root)
    read_info(root)  # not a dataset: said before the lock makes its folder
    with dataset_lock(root, "lerec label"):
        meta = DatasetMeta.load(root)
        unknown = [e for e in wanted if not 0 <= e < len(meta.episodes)]
        if unknown:
            raise SettingsError(f"{root}: episode {unknown[0]} does not exist (the dataset has episodes "
                                f"0..{len(meta.episodes) - 1})" if meta.episodes else f"{root}: has no episodes")
        current = labels_of(meta)
        labels = {e: current[e].changed(success, tags, notes) for e in wanted}
        rollback = Rollback(meta.path(fmt.ROLLBACK_DIR))
        try:
            write_labels(meta, labels, rollback)
        except BaseException:
            rollback.restore()
            raise
        rollback.discard()
