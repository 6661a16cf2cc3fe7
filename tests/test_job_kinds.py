"""Job kinds are registered in one place: the shared job code (plan, ranks, commit) never names one, and every
registered kind fills the contract the commit relies on."""

import ast
from pathlib import Path

import pytest

from lerec.jobs.kinds import JOBS, Job
from lerec.jobs.spec import JobSpec

JOBS_DIR = Path(__file__).resolve().parents[1] / "lerec" / "jobs"
SHARED = sorted(p for p in JOBS_DIR.glob("*.py") if p.name != "__init__.py")  # __init__: the public functions


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_the_shared_job_code_never_names_a_kind(path):
    named = [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Constant) and node.value in JOBS]
    assert named == []


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_every_kind_does_episode_work_and_answers_or_writes(kind):
    job = JOBS[kind]
    assert issubclass(job, Job)
    assert job.work is not Job.work
    if not job.writes_output:
        assert job.report is not Job.report


def test_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'kind' must be in"):
        JobSpec("transcode", [tmp_path], tmp_path / "out")
    assert JobSpec("merge", [tmp_path, tmp_path], tmp_path / "out").job().sources == (str(tmp_path),) * 2
