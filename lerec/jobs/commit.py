"""The commit step: the ranks' staged episodes assembled, in episode order, into the output dataset.

Only lerec's assembly API writes the output (``DatasetAssembler`` appends each episode's fragment as bytes, no
re-encoding), inside ``output_folder`` (a temporary folder renamed into place), and the result is validated
before the rename: the output appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.dataset import format as fmt
from lerec.dataset import layout
from lerec.dataset.assemble import DatasetAssembler, output_folder
from lerec.dataset.edit import encode_plan, encoded_features
from lerec.dataset.episode_video import MovableEpisode
from lerec.dataset.merge import merged_features, opened_in_turn
from lerec.dataset.reader import DatasetReader
from lerec.dataset.stats import stats_from_json
from lerec.dataset.validate import Problem, Validator
from lerec.encoding import fmp4
from lerec.errors import DatasetError
from lerec.jobs.plan import RESULT, JobError, WorkDir

SHOWN = 3


def _staged_videos(folder: Path, result: dict[str, Any]) -> dict[str, MovableEpisode]:
    """A rank's fragments, by the names its result.json gives: files inside its own staging folder only."""
    return {key: MovableEpisode(fmp4.read_episode_fragment(layout.confine(folder, staged["file"], folder / RESULT)),
                                int(staged["start_frame"]))
            for key, staged in result["streams"].items()}


def _check_output(root: Path) -> None:
    problems = Validator(root).run()
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise JobError(f"the assembled output fails validation, so it was not written: "
                       f"{'; '.join(map(str, problems[:SHOWN]))}{more}")


class _SourceInTurn:
    """The reader of one source at a time (the plan's units come source by source, in order)."""

    def __init__(self, sources: list[str]):
        self.sources, self.index, self.open = sources, -1, None

    def reader(self, index: int) -> DatasetReader:
        if index != self.index:
            self.close()
            self.open, self.index = DatasetReader(self.sources[index], depth_output_unit="mm"), index
        return self.open

    def close(self) -> None:
        if self.open is not None:
            self.open.close()
        self.open, self.index = None, -1


def commit(work: WorkDir) -> Path | list[Problem]:
    """Assemble the output of the finished job in ``work`` (for ``validate``: the report); returns the output."""
    plan = work.plan()
    kind, settings, tasks = plan["kind"], plan["settings"], plan["tasks"]
    staged = work.results(tasks, len(plan["units"]))
    if kind == "validate":
        return _validate_report(plan["sources"][0], staged)
    sources = _SourceInTurn(plan["sources"])  # one open at a time: each holds all its episode rows
    try:
        first = sources.reader(0)
        encoding = {}
        if kind == "reencode":
            encoding = encode_plan(first, settings.get("rgb"), settings.get("depth"), settings.get("only"))
            features = encoded_features(first, encoding)
        elif kind == "merge":
            features = merged_features(opened_in_turn(plan["sources"]))
        else:
            features = first.features
        with output_folder(plan["output"]) as tmp:
            out = DatasetAssembler(tmp, first.fps, features, first.meta.info.get("robot_type"))
            for unit, folder, result in staged:
                reader, e = sources.reader(result["source"]), result["episode"]
                if kind == "reencode" and unit == 0:
                    for key, config in encoding.items():
                        facts = result["streams"][key]["facts"]
                        out.features[key]["info"] = fmt.reencoded_info(out.features[key].get("info") or {},
                                                                       config, facts)
                try:
                    if kind == "reencode":
                        out.add(reader, e, videos=_staged_videos(folder, result))
                    elif kind == "stats":
                        out.add(reader, e, stream_stats=stats_from_json(result["stats"]))
                    else:
                        out.add(reader, e)
                except DatasetError as exc:
                    raise JobError(f"{reader.root}: episode {e} (commit): {exc}") from None
            out.finish()
            _check_output(tmp)
    finally:
        sources.close()
    return Path(plan["output"])


def _validate_report(source: str, staged) -> list[Problem]:
    """The whole-dataset checks (meta, rows, packets, statistics) and every episode's decoded frames."""
    problems = Validator(source).run()
    for _, _, result in staged:
        problems.extend(Problem(p["message"], p["episode"], p["stream"], p["frame"]) for p in result["problems"])
    return problems
