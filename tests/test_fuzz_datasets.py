"""Hostile, damaged and fuzzed datasets: every tool ends with one named error or succeeds, never a traceback,
never a write outside the dataset or the output, never unbounded memory.

One driver subprocess (tests/damage_driver.py) runs info, validate, merge, edit delete and split, view, the
Python reader, convert-depth and what ``record --resume`` does to the dataset on each case, with its address
space capped at 2 GiB beyond what its libraries reserve and a timeout, and reports per case and tool. The cases:
each hostile dataset and each kind of damage of tests/damage_fixtures.py, then bit flips and JSON value
mutations of each metadata file, from fixed seeds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from damage_fixtures import DAMAGES, HOSTILE, METADATA_FILES

DRIVER = Path(__file__).parent / "damage_driver.py"
MEMORY_BUDGET = 2 << 30
TIMEOUT_S = 300  # a hang fails the test instead of stalling the suite; the run takes ~30 s on a loaded machine
OUTPUTS = {"merge": "merged", "delete": "deleted", "split": "split", "view": "view.rrd"}
FUZZ_TOOLS = ["info", "validate", "merge", "split", "reader", "convert-depth", "resume"]
# `view` needs the optional rerun-sdk (LeRobot's venv, where CI runs these tests too, has none).
ALL_TOOLS = ["info", "validate", "merge", "delete", "split", "view", "reader", "convert-depth", "resume"]
if importlib.util.find_spec("rerun") is None:
    ALL_TOOLS.remove("view")
WRITES_SOURCE = ("convert-depth", "resume")  # they may change the dataset (repairs, conversions, the lock file)


def fuzz_cases() -> list[dict]:
    cases = []
    for rel in METADATA_FILES:
        for seed in range(3):
            cases.append({"name": f"flip {rel} seed {seed}", "flip": [rel, seed, 1 + seed % 2], "tools": FUZZ_TOOLS})
    for rel in ("meta/info.json", "meta/stats.json"):
        for seed in range(3):
            cases.append({"name": f"mutate {rel} seed {seed}", "mutate": [rel, seed], "tools": FUZZ_TOOLS})
    return cases


def damage_cases() -> list[dict]:
    """Every tool on every damage; ``validate --decode`` only where a video is damaged."""
    return [{"name": name, "damage": name, "tools": ALL_TOOLS + ["decode"] if rel.startswith("videos/") else ALL_TOOLS}
            for name, (_, rel) in DAMAGES.items()]


def hostile_cases() -> list[dict]:
    return [{"name": name, "damage": name, "tools": ALL_TOOLS} for name in HOSTILE]


@pytest.fixture(scope="module")
def outcomes(recorded, tmp_path_factory, request) -> dict[str, dict[str, dict]]:
    """case -> tool -> report of tests/damage_driver.py."""
    base = tmp_path_factory.mktemp("fuzz")
    if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):  # tmpfs: every write is fsync'ed, cheaply
        base = Path(tempfile.mkdtemp(prefix="lerec-fuzz-", dir="/dev/shm"))
        request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    canary = base / "canary-template"
    (canary / "meta").mkdir(parents=True)
    (canary / "precious.txt").write_text("must stay as it is\n")
    (canary / "meta/info.json").write_text('{"canary": true}')
    (canary / "file-000.mp4").write_bytes(b"\0" * 100)
    work = base / "work"
    work.mkdir()
    cases = hostile_cases() + damage_cases() + fuzz_cases()
    plan = {"clean": str(recorded), "canary": str(canary), "work": str(work), "memory_budget": MEMORY_BUDGET,
            "cases": cases}
    (base / "plan.json").write_text(json.dumps(plan))
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # per-thread malloc arenas reserve 64 MiB of address space each
    try:
        proc = subprocess.run([sys.executable, str(DRIVER), str(base / "plan.json")], capture_output=True, text=True,
                              timeout=TIMEOUT_S, env=env)
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stdout, stderr, rc = exc.stdout or "", exc.stderr or "", "timeout"
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
    reports: dict[str, dict[str, dict]] = {}
    for line in stdout.splitlines():
        report = json.loads(line)
        reports.setdefault(report["case"], {})[report["tool"]] = report
    unfinished = [c["name"] for c in cases if c["name"] not in reports]
    assert rc == 0 and not unfinished, f"driver ended with {rc} during case {unfinished[:1]}: {stderr[-2000:]}"
    return reports


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith(("WARNING ", "INFO "))]


def _check_contained(report: dict) -> list[str]:
    """What a run did that it must never do, whatever the damage."""
    wrong = []
    if report["escaped"] or "Traceback" in report["stderr"]:
        wrong.append(f"traceback: {report['stderr'][-800:]}")
    if report["rc"] not in (0, 1, 2):  # 2: the request does not fit the datasets (e.g. merge's sources differ)
        wrong.append(f"exit status {report['rc']}")
    if report["source_changed"] and report["tool"] not in WRITES_SOURCE:
        wrong.append("changed the source dataset")
    if report["canary_changed"] or report["new_beside"] or report["new_around"]:
        wrong.append(f"wrote outside: canary changed {report['canary_changed']}, new beside the dataset "
                     f"{report['new_beside']}, new around it {report['new_around']}")
    expected = [OUTPUTS[report["tool"]]] if report["tool"] in OUTPUTS and report["rc"] == 0 else []
    if report["tool"] in ("merge", "delete", "split") and report["outputs"] != expected:
        wrong.append(f"left {report['outputs']} in the output folder, expected {expected}")
    if report["output_problems"]:
        wrong.append(f"succeeded with an unsound output: {report['output_problems'][:3]}")
    return wrong


def test_every_damage_is_one_error_naming_the_file(outcomes):
    failures = []
    for name, (_, rel) in DAMAGES.items():
        named = "meta/episodes" if rel.startswith("meta/episodes") else rel
        for tool, report in outcomes[name].items():
            wrong = _check_contained(report)
            lines = _error_lines(report["stderr"])
            if tool in ("validate", "decode"):
                if report["rc"] != 1 or named not in report["stderr"]:
                    wrong.append(f"validate passed or did not name {named}: {lines[:3]}")
            elif report["rc"] in (1, 2) and (len(lines) != 1 or named not in lines[0] or ": error: " not in lines[0]):
                wrong.append(f"not one error line naming {named}: {lines[:3]}")
            failures += [f"{name} / {tool}: {w}" for w in wrong]
    assert not failures, "\n".join(failures)


def test_hostile_datasets_are_refused_naming_the_file(outcomes):
    """Paths leading outside the root (keys, symlinks, a planted journal) and hostile sizes and templates: the
    tools that read them refuse with one line naming the file; none writes outside or takes unbounded memory."""
    failures = []
    for name, (_, rel, refusing) in HOSTILE.items():
        for tool, report in outcomes[name].items():
            wrong = _check_contained(report)
            lines = _error_lines(report["stderr"])
            if refusing is None or tool in refusing:
                if report["rc"] != 1 or rel not in report["stderr"]:
                    wrong.append(f"exit {report['rc']}, not refused naming {rel}: {lines[:3]}")
                elif tool != "validate" and (len(lines) != 1 or ": error: " not in lines[0]):
                    wrong.append(f"not one error line: {lines[:3]}")
            failures += [f"{name} / {tool}: {w}" for w in wrong]
    assert not failures, "\n".join(failures)


def test_tools_refuse_what_they_used_to_accept_silently(outcomes):
    """A data file without a declared column failed nowhere; a dataset without meta/episodes merged as empty;
    a total_episodes above the rows held was believed."""
    assert outcomes["data no declared feature column"]["validate"]["rc"] == 1
    for case in ("episodes folder missing", "info total_episodes too many"):
        for tool in ("merge", "delete", "split", "reader"):
            assert outcomes[case][tool]["rc"] == 1, (case, tool, outcomes[case][tool]["stderr"])


def test_fuzzed_metadata_never_escapes_the_tools(outcomes):
    failures = []
    for case in fuzz_cases():
        for tool, report in outcomes[case["name"]].items():
            failures += [f"{case['name']} / {tool}: {w}" for w in _check_contained(report)]
            lines = _error_lines(report["stderr"])
            if tool != "validate" and report["rc"] == 1 and len(lines) != 1:
                failures.append(f"{case['name']} / {tool}: error of {len(lines)} lines: {lines[:3]}")
    assert not failures, "\n".join(failures)
