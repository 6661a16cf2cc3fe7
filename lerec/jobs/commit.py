"""The commit step: the ranks' staged episodes assembled, in episode order, into the output dataset.

Only lerec's assembly API writes the output (``DatasetAssembler`` appends each episode's fragment as bytes, no
re-encoding), inside ``output_folder`` (a temporary folder renamed into place), and the result is validated
before the rename: the output appears whole or not at all. What each episode brings is its job kind's ``add``.
"""

from __future__ import annotations

from pathlib import Path

from lerec.dataset.editing.assemble import DatasetAssembler, output_folder
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import Problem, Validator
from lerec.errors import DatasetError
from lerec.jobs.kinds import job_of
from lerec.jobs.plan import JobError, WorkDir

SHOWN = 3


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
    """Assemble the output of the finished job in ``work`` (a job without output: its report); returns the
    output."""
    plan = work.plan()
    job = job_of(plan)
    staged = work.results(plan["tasks"], len(plan["units"]))
    if not job.writes_output:
        return job.report(staged)
    sources = _SourceInTurn(plan["sources"])  # one open at a time: each holds all its episode rows
    try:
        first = sources.reader(0)
        features = job.features(first)
        with output_folder(plan["output"]) as tmp:
            out = DatasetAssembler(tmp, first.fps, features, first.meta.info.get("robot_type"))
            for unit, folder, result in staged:
                reader, e = sources.reader(result["source"]), result["episode"]
                if unit == 0:
                    job.describe(out.features, reader, result)
                try:
                    job.add(out, reader, e, folder, result)
                except DatasetError as exc:
                    raise JobError(f"{reader.root}: episode {e} (commit): {exc}") from None
            out.finish()
            _check_output(tmp)
    finally:
        sources.close()
    return Path(plan["output"])
