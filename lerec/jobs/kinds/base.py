"""The contract of a job kind: what it checks before any work, what a rank does per episode, what the commit does.

A kind is a subclass of :class:`Job` in a module of its own, registered in ``lerec.jobs.kinds.JOBS``; the planning,
the executors, the ranks' staging folders and the commit step are shared and know nothing of what a kind does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs

from lerec.dataset.editing.assemble import DatasetAssembler
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import Problem
from lerec.dataset.store.metadata import DatasetMeta

Staged = Iterable[tuple[int, Path, dict[str, Any]]]  # (unit, its staging folder, its result), in unit order


@attrs.define(frozen=True)
class Job:
    """One job of a kind: its source datasets (resolved paths), output folder (None when ``writes_output`` is
    False) and settings (JSON values, as the ranks read them from the plan)."""

    writes_output: ClassVar[bool] = True

    sources: tuple[str, ...] = attrs.field(converter=tuple)
    output: str | None
    settings: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)

    def units(self) -> list[tuple[int, int]]:
        """(source, episode) of every episode the job processes, in the output's order: by default all of them."""
        return [(s, e) for s, source in enumerate(self.sources)
                for e in range(len(DatasetMeta.load(source).episodes))]

    def check(self) -> None:
        """Raise what would fail at the commit, before any work (the output folder is already checked)."""

    def work(self, reader: DatasetReader, e: int, folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
        """Episode ``e`` of ``reader`` done on a rank: files only inside ``folder``, and a JSON-ready result that
        the commit gets back. ``cache`` lives while the rank reads the same source."""
        raise NotImplementedError

    def features(self, first: DatasetReader) -> dict[str, Any]:
        """The output's features (``first``: the first source's reader)."""
        return first.features

    def describe(self, features: dict[str, Any], first: DatasetReader, result: dict[str, Any]) -> None:
        """Complete the output's ``features`` from the first episode's ``result`` (before it is added)."""

    def add(self, out: DatasetAssembler, reader: DatasetReader, e: int, folder: Path, result: dict[str, Any]) -> None:
        """Append episode ``e`` of ``reader`` to ``out``, with what the rank staged in ``folder``."""
        out.add(reader, e)

    def report(self, staged: Staged) -> list[Problem]:
        """A job without output: its answer, from every unit's result."""
        raise NotImplementedError
