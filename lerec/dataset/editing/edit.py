"""Editing a dataset into a new one: delete or keep episodes, split, re-encode streams, convert images to video.

The source is only read. Episodes keep their videos byte for byte unless their stream is re-encoded; the output
is built in a temporary folder beside it and renamed into place at the end.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lerec.dataset.editing.assemble import (
    DatasetAssembler,
    check_output_not_source,
    output_folder,
)
from lerec.dataset.editing.reencode_episode import encode_episode
from lerec.dataset.reading.images import image_from_cell
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.writing.episode_video import MovableEpisode
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.video_encoding import VideoEncoding
from lerec.errors import DatasetRequestError

Progress = Callable[[int], None]


def _noop(n: int) -> None:
    pass


def _copy(reader: DatasetReader, episodes: Sequence[int], out_dir: Path, progress: Progress) -> None:
    out = DatasetAssembler(out_dir, reader.fps, copy.deepcopy(reader.features), reader.meta.info.get("robot_type"))
    for e in episodes:
        out.add(reader, e)
        progress(1)
    out.finish()


def _checked_episodes(reader: DatasetReader, episodes: Iterable[int]) -> list[int]:
    episodes = [int(e) for e in episodes]
    bad = [e for e in episodes if not 0 <= e < reader.num_episodes]
    if bad:
        raise DatasetRequestError(f"{reader.root}: episode {bad[0]} does not exist ({reader.num_episodes} episodes)")
    return episodes


def delete_episodes(source: str | os.PathLike, output: str | os.PathLike, episodes: Iterable[int],
                    progress: Progress = _noop) -> Path:
    """A copy of ``source`` without ``episodes``, renumbered from 0."""
    check_output_not_source(output, [source])
    with DatasetReader(source) as reader:
        drop = set(_checked_episodes(reader, episodes))
        keep = [e for e in range(reader.num_episodes) if e not in drop]
    if not keep:
        raise DatasetRequestError(f"{source}: deleting episodes {sorted(drop)} would leave none")
    return keep_episodes(source, output, keep, progress)


def keep_episodes(source: str | os.PathLike, output: str | os.PathLike, episodes: Iterable[int],
                  progress: Progress = _noop) -> Path:
    """A copy of ``source`` with only ``episodes`` (in the source's order, renumbered from 0)."""
    check_output_not_source(output, [source])
    with DatasetReader(source) as reader:
        keep = sorted(set(_checked_episodes(reader, episodes)))
        if not keep:
            raise DatasetRequestError(f"{source}: no episodes to keep")
        with output_folder(output) as tmp:
            _copy(reader, keep, tmp, progress)
    return Path(output)


def split_by_fractions(num_episodes: int, fractions: Sequence[float]) -> list[list[int]]:
    """Consecutive episode ranges of the given fractions (the last takes what rounding leaves)."""
    if any(f <= 0 for f in fractions) or sum(fractions) > 1 + 1e-9:
        raise DatasetRequestError(f"fractions {list(fractions)} must be positive and sum to at most 1")
    bounds = np.rint(np.cumsum([0, *fractions]) * num_episodes).astype(int)
    if abs(sum(fractions) - 1) < 1e-9:
        bounds[-1] = num_episodes
    parts = [list(range(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]
    empty = [i for i, p in enumerate(parts) if not p]
    if empty:
        raise DatasetRequestError(f"split {empty[0]} ({fractions[empty[0]]}) of {num_episodes} episodes would be empty")
    return parts


def split_dataset(source: str | os.PathLike, output: str | os.PathLike, splits: Mapping[str, Sequence[int]],
                  progress: Progress = _noop) -> dict[str, Path]:
    """One dataset per split, at ``output/<name>`` (names are distinct folder names); returns their paths."""
    for name in splits:
        layout.check_name(name, "--names", "split name")
    check_output_not_source(output, [source])
    with DatasetReader(source) as reader:
        checked = {name: _checked_episodes(reader, eps) for name, eps in splits.items()}
        with output_folder(output) as tmp:
            for name, episodes in checked.items():
                if not episodes:
                    raise DatasetRequestError(f"split {name!r} has no episodes")
                _copy(reader, episodes, layout.confine(tmp, name), progress)
    return {name: Path(output) / name for name in splits}


def _encode_plan(reader: DatasetReader, rgb: Mapping[str, Any] | None, depth: Mapping[str, Any] | None,
                 keys: Iterable[str]) -> dict[str, RGBEncoderConfig]:
    """For each stream in ``keys``, the settings it must be encoded with (streams already so encoded are left out)."""
    plan = {}
    for key in keys:
        feature = reader.features[key]
        is_depth = fmt.is_depth_feature(feature)
        changes = depth if is_depth else rgb
        if changes is None:
            continue
        info = feature.get("info") or {}
        config = VideoEncoding.from_info(info, is_depth, changes).config if feature["dtype"] == "video" else \
            (DepthEncoderConfig if is_depth else RGBEncoderConfig)(**changes)
        if feature["dtype"] == "image" or not VideoEncoding(config).encodes(info):
            plan[key] = config
    return plan


def _depth_codes(reader: DatasetReader, e: int, key: str) -> list[np.ndarray]:
    """The stored 12-bit codes of an episode's depth video (re-encoding keeps them, so depth is unchanged)."""
    decoder = reader.decoders.get(reader.video_path(e, key), "gray12le")
    start = reader.episode(e).videos[key].from_timestamp
    return decoder.frames_at([start + i / reader.fps for i in range(reader.length(e))], reader.tolerance_s)


def _image_frames(reader: DatasetReader, e: int, key: str, config: RGBEncoderConfig) -> list[np.ndarray]:
    images = [image_from_cell(c) for c in reader.rows(e)[key]]
    if isinstance(config, DepthEncoderConfig):
        from lerec.encoding.depth import quantize_depth

        return [quantize_depth(np.asarray(img).squeeze(), config) for img in images]
    return images


def encode_plan(reader: DatasetReader, rgb: Mapping[str, Any] | None, depth: Mapping[str, Any] | None,
                only: Iterable[str] | None = None) -> dict[str, RGBEncoderConfig]:
    """The streams (video and image features, or those of ``only``) that re-encoding with ``rgb``/``depth``
    changes, with the settings each is encoded with."""
    streams = [k for k, f in reader.features.items() if f["dtype"] in ("video", "image")]
    streams = [k for k in streams if only is None or k in set(only)]
    return _encode_plan(reader, rgb, depth, streams)


def encoded_features(reader: DatasetReader, plan: Mapping[str, RGBEncoderConfig]) -> dict[str, Any]:
    """The output's features before encoding: image features in ``plan`` become videos."""
    features = copy.deepcopy(reader.features)
    for key, config in plan.items():
        if features[key]["dtype"] == "image":
            info = fmt.as_video_info(features[key].get("info"), isinstance(config, DepthEncoderConfig))
            features[key] = {**features[key], "dtype": "video", "info": info}
    return features


def note_encoding(features: dict[str, Any], plan: Mapping[str, RGBEncoderConfig],
                  facts: Mapping[str, Mapping[str, Any]]) -> None:
    """Each encoded stream's ``info`` in ``features``: the settings of ``plan`` and the stream ``facts`` probed
    from the first episode encoded."""
    for key, config in plan.items():
        features[key]["info"] = fmt.reencoded_info(features[key].get("info") or {}, config, facts[key])


def encode_episode_streams(reader: DatasetReader, e: int, plan: Mapping[str, RGBEncoderConfig],
                           encoder_threads: int | None = None
                           ) -> tuple[dict[str, MovableEpisode], dict[str, dict[str, Any]]]:
    """Episode ``e``'s streams of ``plan`` encoded anew: the fragments and the probed stream facts per stream."""
    videos, facts = {}, {}
    for key, config in plan.items():
        depth_stream = isinstance(config, DepthEncoderConfig)
        if reader.features[key]["dtype"] == "image":
            frames = _image_frames(reader, e, key, config)
        elif depth_stream:
            frames = _depth_codes(reader, e, key)
        else:
            frames = list(reader.frames(e, keys=[key])[key])
        videos[key], facts[key] = encode_episode(frames, config, reader.fps, depth_stream, encoder_threads)
    return videos, facts


def reencode_dataset(source: str | os.PathLike, output: str | os.PathLike, *, rgb: Mapping[str, Any] | None = None,
                     depth: Mapping[str, Any] | None = None, encoder_threads: int | None = None,
                     only: Iterable[str] | None = None, progress: Progress = _noop) -> dict[str, RGBEncoderConfig]:
    """Re-encode RGB streams with the settings changed by ``rgb`` and depth streams by ``depth`` (field -> value);
    image features become videos. Streams whose settings do not change are copied. Returns what was encoded."""
    check_output_not_source(output, [source])
    with DatasetReader(source) as reader:
        plan = encode_plan(reader, rgb, depth, only)
        features = encoded_features(reader, plan)
        with output_folder(output) as tmp:
            out = DatasetAssembler(tmp, reader.fps, features, reader.meta.info.get("robot_type"))
            for e in range(reader.num_episodes):
                videos, facts = encode_episode_streams(reader, e, plan, encoder_threads)
                if e == 0:
                    note_encoding(out.features, plan, facts)
                out.add(reader, e, videos=videos)
                progress(1)
            out.finish()
    return plan


def images_to_convert(source: str | os.PathLike) -> list[str]:
    """The image features of ``source`` that ``convert_to_video`` turns into videos; a DatasetError if none."""
    with DatasetReader(source) as reader:
        image_keys = reader.image_keys
    if not image_keys:
        raise DatasetRequestError(f"{source}: no image features to convert (its cameras are already videos)")
    return image_keys


def convert_to_video(source: str | os.PathLike, output: str | os.PathLike, *, rgb: Mapping[str, Any] | None = None,
                     depth: Mapping[str, Any] | None = None, progress: Progress = _noop) -> dict[str, RGBEncoderConfig]:
    """An image dataset (PNG frames in parquet) as a video dataset (default encoder settings unless changed by
    ``rgb``/``depth``); streams that already are videos are copied."""
    return reencode_dataset(source, output, rgb=rgb or {}, depth=depth or {}, only=images_to_convert(source),
                            progress=progress)
