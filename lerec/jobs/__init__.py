"""Dataset jobs run per episode on datatrove's executors (local processes, Slurm, Ray), for notebooks and pipelines.

Each function plans the episodes, lets ``tasks`` ranks (``workers`` at a time) each process its share into its
own staging folder, then commits the output in episode order with lerec's fragment append and validates it.
The result equals the one-process tool's (``lerec.dataset.editing.edit``, ``lerec.dataset.editing.merge``).
Executor options: ``executor`` ("local", "slurm", "ray"), ``workers``, ``tasks``, ``slurm_partition``, ``slurm_time``,
``slurm_cpus_per_task``, ``ray_address``; also ``work_dir``, ``progress`` (called with episodes done) and
``keep_work``. Needs the ``scale`` extra: ``pip install 'lerec[scale]'``.

    >>> import lerec.jobs
    >>> lerec.jobs.reencode("ds", "ds-h264", rgb={"vcodec": "h264"}, executor="local", workers=2)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

DatasetPath = str | os.PathLike
JOB_OPTIONS = ("work_dir", "progress", "keep_work")


def _run(kind: str, sources: Sequence[DatasetPath], output: DatasetPath | None, settings: Mapping[str, Any],
         options: dict[str, Any]) -> Any:
    from lerec.jobs.executors import ExecutorSettings
    from lerec.jobs.job import run_job
    from lerec.jobs.spec import JobSpec

    job = {k: options.pop(k) for k in JOB_OPTIONS if k in options}
    return run_job(JobSpec(kind, sources, output, settings), ExecutorSettings(**options), **job)


def reencode(source: DatasetPath, output: DatasetPath, *, rgb: Mapping[str, Any] | None = None,
             depth: Mapping[str, Any] | None = None, encoder_threads: int | None = None,
             only: Iterable[str] | None = None, **options: Any) -> Path:
    """Re-encode RGB streams with ``rgb``'s changed encoder fields and depth streams with ``depth``'s (depth
    keeps its codes); image features become videos; streams whose settings do not change are copied."""
    settings = {"rgb": rgb, "depth": depth, "encoder_threads": encoder_threads,
                "only": None if only is None else list(only)}
    return _run("reencode", [source], output, settings, options)


def convert_depth(source: DatasetPath, output: DatasetPath, *, preset: str | None = None, g: int | None = None,
                  encoder_threads: int | None = None, **options: Any) -> Path:
    """Depth streams as lossless HEVC Main 12 (LeRobot reads it; codes unchanged), into a new dataset."""
    from lerec.dataset.reading.reader import DatasetReader

    with DatasetReader(source) as reader:
        keys = reader.depth_keys
    return reencode(source, output, depth=depth_conversion_changes(preset, g), only=keys,
                    encoder_threads=encoder_threads, **options)


def depth_conversion_changes(preset: str | None = None, g: int | None = None) -> dict[str, Any]:
    """The encoder fields ``lerec convert-depth`` sets (the stream's quantization is kept)."""
    from lerec.encoding.depth_transcode import convert_depth_config

    config = convert_depth_config(preset, g)
    fields = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")
    changes = {f: getattr(config, f) for f in fields}
    changes["extra_options"] = dict(config.extra_options)  # JSON for the job spec, not a mapping proxy
    return changes


def convert_to_video(source: DatasetPath, output: DatasetPath, *, rgb: Mapping[str, Any] | None = None,
                     depth: Mapping[str, Any] | None = None, **options: Any) -> Path:
    """An image dataset (PNG in parquet) as a video dataset; streams already video are copied."""
    from lerec.dataset.editing.edit import images_to_convert

    return reencode(source, output, rgb=rgb or {}, depth=depth or {}, only=images_to_convert(source), **options)


def validate(source: DatasetPath, **options: Any) -> list:
    """``lerec validate --decode`` as a job: every frame decoded and checked; returns the problems (empty when
    sound). Writes no dataset."""
    return _run("validate", [source], None, {}, options)


def recompute_stats(source: DatasetPath, output: DatasetPath, **options: Any) -> Path:
    """A copy whose image and video statistics are recomputed from the decoded frames (numeric ones from rows)."""
    return _run("stats", [source], output, {}, options)


def merge(sources: Sequence[DatasetPath], output: DatasetPath, **options: Any) -> Path:
    """The episodes of ``sources``, in order, as one dataset (videos moved as bytes, never re-encoded)."""
    return _run("merge", list(sources), output, {}, options)


__all__ = ["convert_depth", "convert_to_video", "depth_conversion_changes", "merge", "recompute_stats",
           "reencode", "validate"]
