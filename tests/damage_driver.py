"""Runs lerec's dataset tools on many damaged datasets in one process and reports, per case and tool, how each
ended: ``python damage_driver.py PLAN.json`` prints one JSON line per (case, tool).

The tools run as the ``lerec`` command runs them (:func:`lerec.cli.main`, in-process to save a start-up per
run); an exception escaping ``main`` is what a user would see as a traceback. Each case is a fresh copy of the
clean dataset at ``nest/ds/`` and a canary tree at ``elsewhere/`` (where hostile paths lead); outputs go to
``out/``. After every tool the driver checks that the dataset, the canary and the folders around them are as
they were. ``convert-depth`` and ``resume`` (what ``lerec record --resume`` does to a dataset before recording)
may change the dataset, so they run last.

PLAN: ``{"clean": dataset, "canary": folder, "work": folder, "memory_budget": bytes, "cases": [{"name",
"damage": DAMAGES or HOSTILE key | null, "flip": [file, seed, bits] | null, "mutate": [file, seed, count?] | null,
"tools": [names] | null}]}``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from damage_fixtures import DAMAGES, HOSTILE, flip_bytes, mutate_json  # noqa: E402

import lerec.cli  # noqa: E402
from lerec.cli import main  # noqa: E402
from lerec.dataset.reading.reader import DatasetReader  # noqa: E402
from lerec.dataset.reading.validate import validate  # noqa: E402
from lerec.dataset.store.lock import dataset_lock  # noqa: E402
from lerec.dataset.writing.writer import DatasetWriter  # noqa: E402
from lerec.errors import LerecError  # noqa: E402


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (symlinks not followed) with a hash of its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + str(path.readlink())
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def read_everything(root: Path) -> None:
    """What a training loop does with the Python reader: every row and every frame of every episode."""
    with DatasetReader(root) as reader:
        for e in range(reader.num_episodes):
            reader.rows(e)
            reader.frames(e)
        if len(reader):
            reader[len(reader) - 1]


def resume(root: Path) -> None:
    """What ``lerec record --resume`` does to the dataset before its cameras record: lock, repair, release."""
    with dataset_lock(root, "lerec record"):
        DatasetWriter.resume(root).remove_staging()


PYTHON = {"reader": read_everything, "resume": resume}


def run_tool(argv: list[str] | str, root: Path) -> tuple[int, str, bool]:
    """(exit status, stderr, whether an exception escaped) of ``lerec argv``, or of a PYTHON function."""
    err = io.StringIO()
    logging.root.handlers.clear()  # main() binds its log handler to the stderr of the moment
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            if isinstance(argv, str):
                try:
                    PYTHON[argv](root)
                    rc = 0
                except LerecError as exc:
                    print(f"{argv}: error: {exc}", file=sys.stderr)
                    rc = 1
            else:
                rc = main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # noqa: BLE001  what the user would see as a traceback
            traceback.print_exc()
            return 99, err.getvalue(), True
    return rc, err.getvalue(), False


def tools(ds: Path, clean: Path, out: Path) -> dict[str, list[str] | str]:
    return {
        "info": ["info", str(ds)],
        "validate": ["validate", str(ds)],
        "decode": ["validate", "--decode", str(ds)],
        "merge": ["merge", str(clean), str(ds), "--output", str(out / "merged")],
        "delete": ["edit", str(ds), "--output", str(out / "deleted"), "delete", "--episodes", "0"],
        "split": ["edit", str(ds), "--output", str(out / "split"), "split", "--fractions", "0.5,0.5"],
        "view": ["view", str(ds), "--episode", "1", "--save", str(out / "view.rrd")],
        "reader": "reader",
        "convert-depth": ["convert-depth", str(ds)],
        "resume": "resume",
    }


def outputs_valid(out: Path) -> list[str]:
    """Problems of every dataset a tool wrote under ``out``."""
    problems = []
    for info in sorted(out.rglob("meta/info.json")):
        problems += [f"{info.parent.parent}: {p}" for p in validate(info.parent.parent)]
    return problems


def run_case(case: dict, clean: Path, work: Path, canary_src: Path) -> None:
    folder = work / case["name"].replace(" ", "_").replace("/", "_")
    ds, canary, out = folder / "nest/ds", folder / "elsewhere", folder / "out"
    shutil.copytree(clean, ds)
    shutil.copytree(canary_src, canary)
    out.mkdir()
    if case.get("damage"):
        {**DAMAGES, **HOSTILE}[case["damage"]][0](ds)
    if case.get("flip"):
        flip_bytes(ds / case["flip"][0], case["flip"][1], case["flip"][2])
    if case.get("mutate"):
        mutate_json(ds / case["mutate"][0], *case["mutate"][1:])
    source, fence = tree_digest(ds), tree_digest(canary)
    def beside_now() -> set[str]:
        return {p.name for p in folder.iterdir()} | {f"nest/{p.name}" for p in ds.parent.iterdir()}

    beside, around = beside_now(), sorted(p.name for p in work.iterdir())
    for tool, argv in tools(ds, clean, out).items():
        if case.get("tools") and tool not in case["tools"]:
            continue
        started = time.monotonic_ns()
        rc, stderr, escaped = run_tool(argv, ds)
        elapsed_ns = time.monotonic_ns() - started
        report = {"case": case["name"], "tool": tool, "rc": rc, "ns": elapsed_ns, "stderr": stderr,
                  "escaped": escaped,
                  "source_changed": tree_digest(ds) != source, "canary_changed": tree_digest(canary) != fence,
                  "new_beside": sorted(beside_now() - beside),
                  "new_around": sorted(set(p.name for p in work.iterdir()) - set(around)),
                  "output_problems": outputs_valid(out) if rc == 0 and tool in ("merge", "delete", "split") else [],
                  "outputs": sorted(p.name for p in out.iterdir())}
        print(json.dumps(report), flush=True)
        shutil.rmtree(out)
        out.mkdir()
    shutil.rmtree(folder)


def limit_memory(budget: int) -> None:
    """Let this process map at most ``budget`` bytes beyond what its libraries reserved on import (rerun's alone
    reserves ~1.4 GB of address space it never touches): a tool that believed a damaged length would hit it."""
    with contextlib.suppress(ImportError):
        import rerun  # noqa: F401
    mapped = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (mapped + budget, resource.getrlimit(resource.RLIMIT_AS)[1]))


def main_driver(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    # The argument parser once, as a `lerec` process builds it once: built per call it was a third of the run.
    lerec.cli.build_parser = functools.lru_cache(lerec.cli.build_parser)
    limit_memory(plan["memory_budget"])
    clean, work = Path(plan["clean"]), Path(plan["work"])
    canary_src = Path(plan["canary"])
    before = tree_digest(clean)  # merge reads it as its first source
    for case in plan["cases"]:
        run_case(case, clean, work, canary_src)
    if tree_digest(clean) != before:
        sys.exit(f"the clean dataset {clean} was changed")


if __name__ == "__main__":
    main_driver(sys.argv[1])
