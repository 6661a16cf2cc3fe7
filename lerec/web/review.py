"""The review side of the web app: a dataset's episodes, their videos, frames and values, labels and deletion.

Every episode index and stream key in a URL is checked against the dataset (an unknown one is a 404); every file
served comes from the dataset's own metadata (confined to the root when loaded) or from :func:`dataset_file`.
Writes (labels, deletion) refuse with 403 under ``--read-only``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from lerec.dataset.editing.edit import delete_episodes
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.labels import label_episodes, read_labels
from lerec.encoding.fmp4_cut import EpisodeCut, episode_cut
from lerec.errors import DatasetError, LerecError
from lerec.web.guard import BadRequest

THUMB_WIDTH = 160
FRAME_WIDTH = 640
ROW_COLUMNS = {"timestamp", "frame_index", "episode_index", "index", "task_index"}
LABEL_FIELDS = ("success", "tags", "notes")


def whole_file(path: Path) -> EpisodeCut:
    """A file served as it is (an MP4 that is not fragmented, a raw dataset file)."""
    size = path.stat().st_size
    return EpisodeCut(path, ((0, size),) if size else (), size)


class Review:
    """One dataset under review: its reader (one at a time, behind a lock), cuts and thumbnails, cached."""

    def __init__(self, root: str | Path, *, read_only: bool = False, output: str | Path | None = None):
        self.root = Path(root)
        self.read_only = read_only
        self.output = Path(output) if output is not None else None
        self._lock = threading.Lock()
        self._reader = DatasetReader(self.root, decode_threads=1)
        self._cuts: dict[tuple[int, str], tuple[EpisodeCut, float]] = {}
        self._thumbs: dict[tuple[int, str], bytes] = {}
        self._far: dict[tuple[int, str], float] = {}

    def close(self) -> None:
        with self._lock:
            self._reader.close()

    # --- what the pages ask ---------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        r = self._reader
        return {"name": self.root.name, "fps": r.fps, "episodes": r.num_episodes, "frames": r.num_frames,
                "streams": self.streams(), "read_only": self.read_only,
                "output": str(self.output) if self.output else None}

    def streams(self) -> list[dict[str, str]]:
        r = self._reader
        out = []
        for key in r.video_keys + r.image_keys:
            kind = "depth" if key in r.depth_keys or fmt.is_depth_feature(r.features[key]) else "rgb"
            video = key in r.video_keys and kind == "rgb"
            out.append({"key": key, "kind": kind, "as": "video" if video else "frames"})
        return out

    def episodes(self) -> list[dict[str, Any]]:
        labels = self._labels()
        rows = []
        for row in self._reader.episodes:
            e = row.index
            rows.append({"index": e, "tasks": list(row.tasks or []), "length": row.length,
                         **labels.get(e, {"success": None, "tags": [], "notes": None})})
        return rows

    def _labels(self) -> dict[int, dict[str, Any]]:
        return {e: {"success": lab.success, "tags": list(lab.tags), "notes": lab.notes}
                for e, lab in read_labels(self.root).items()}

    def episode(self, e: int) -> dict[str, Any]:
        self._check_episode(e)
        row = self._reader.episode(e)
        with self._lock:
            columns = self._reader.rows(e)
        series = {}
        for key, feature in self._reader.features.items():
            if key in ROW_COLUMNS or not str(feature.get("dtype", "")).startswith("float") or key not in columns:
                continue
            values = np.asarray(columns[key], dtype=np.float64).reshape(len(columns[key]), -1)
            names = feature.get("names")
            names = names if isinstance(names, list) and len(names) == values.shape[1] else None
            series[key] = {"names": names or [str(i) for i in range(values.shape[1])],
                           "values": np.where(np.isfinite(values), values, 0.0).round(6).tolist()}
        label = self._labels().get(e, {"success": None, "tags": [], "notes": None})
        return {"index": e, "tasks": list(row.tasks or []), "length": row.length,
                "fps": self._reader.fps, "streams": self.streams(), "series": series, **label,
                "offsets": {key: self.cut(e, key)[1] for key in self._video_keys()}}

    def _video_keys(self) -> list[str]:
        return [s["key"] for s in self.streams() if s["as"] == "video"]

    def _check_episode(self, e: int) -> None:
        if not 0 <= e < self._reader.num_episodes:
            raise BadRequest(404, f"no episode {e} (the dataset has {self._reader.num_episodes})")

    def _check_stream(self, key: str, video: bool = False) -> None:
        keys = self._video_keys() if video else [s["key"] for s in self.streams()]
        if key not in keys:
            raise BadRequest(404, f"no stream {key!r} here; streams: {', '.join(keys)}")

    def cut(self, e: int, key: str) -> tuple[EpisodeCut, float]:
        """Episode ``e`` of the video ``key`` as an MP4 of its own, and where the episode starts in it (s): 0 for
        a cut of lerec's fragments, the episode's start in a whole file that is not fragmented."""
        self._check_episode(e)
        self._check_stream(key, video=True)
        if (e, key) not in self._cuts:
            row, fps = self._reader.episode(e), self._reader.fps
            path, start = self._reader.video_path(e, key), row.videos[key].from_timestamp
            try:
                self._cuts[e, key] = (episode_cut(path, round(start * fps), row.length, fps), 0.0)
            except DatasetError:
                self._cuts[e, key] = (whole_file(path), start)
        return self._cuts[e, key]

    def frame(self, e: int, key: str, i: int, width: int = FRAME_WIDTH) -> bytes:
        """Frame ``i`` of episode ``e`` of ``key`` as JPEG (depth colourised on one scale per episode)."""
        from lerec.web.media import colourise, depth_far, jpeg

        self._check_episode(e)
        self._check_stream(key)
        if not 0 <= i < self._reader.episode(e).length:
            raise BadRequest(404, f"episode {e} has no frame {i}")
        with self._lock:
            image = self._reader.frame(e, i, [key])[key]
        if image.dtype != np.uint8:
            if (e, key) not in self._far:
                self._far[e, key] = depth_far(image)
            image = colourise(image, self._far[e, key])
        return jpeg(image, width)

    def thumbnail(self, e: int, key: str) -> bytes:
        if (e, key) not in self._thumbs:
            self._thumbs[e, key] = self.frame(e, key, self._reader.episode(e).length // 2, THUMB_WIDTH)
        return self._thumbs[e, key]

    # --- writes -------------------------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self.read_only:
            raise BadRequest(403, "this review is read-only (started with --read-only)")

    def label(self, e: int, body: Any) -> dict[str, Any]:
        """Set episode ``e``'s labels from ``body`` ({success, tags, notes}, each optional) and return them."""
        self._check_writable()
        self._check_episode(e)
        if not isinstance(body, dict) or set(body) - set(LABEL_FIELDS):
            raise BadRequest(400, f"a label is a JSON object with some of {', '.join(LABEL_FIELDS)}")
        changes = {k: body[k] for k in LABEL_FIELDS if k in body}
        if "success" in changes and changes["success"] not in (True, False, None):
            raise BadRequest(400, f"success={changes['success']!r}: true, false or null")
        if "tags" in changes:
            tags = changes["tags"]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise BadRequest(400, "tags: a list of strings")
            changes["tags"] = tuple(t.strip() for t in tags if t.strip())
        if "notes" in changes and not (changes["notes"] is None or isinstance(changes["notes"], str)):
            raise BadRequest(400, "notes: a string or null")
        try:
            label_episodes(self.root, [e], **changes)
        except LerecError as exc:
            raise BadRequest(409 if "in use" in str(exc) else 400, str(exc)) from None
        return self._labels().get(e, {})

    def delete(self, body: Any) -> dict[str, Any]:
        """Write the dataset without the episodes of ``body`` ({episodes: [...]}) to the output folder: built in
        a temporary folder and renamed when complete, so a crash leaves no half dataset; the source stays."""
        self._check_writable()
        if self.output is None:
            raise BadRequest(400, "no output folder: start `lerec review` with --output OUT to apply deletions")
        episodes = body.get("episodes") if isinstance(body, dict) else None
        if not isinstance(episodes, list) or not episodes or not all(type(e) is int for e in episodes):
            raise BadRequest(400, "episodes: a non-empty list of episode indices")
        for e in episodes:
            self._check_episode(e)
        if self.output.exists() and any(self.output.iterdir()):
            raise BadRequest(409, f"{self.output} already holds a dataset; move it away to apply again")
        try:
            delete_episodes(self.root, self.output, episodes)
        except LerecError as exc:
            raise BadRequest(400, str(exc)) from None
        kept = self._reader.num_episodes - len(set(episodes))
        return {"output": str(self.output), "deleted": sorted(set(episodes)), "episodes": kept}

    async def run(self, call, *args):
        """``call(*args)`` on a worker thread (decoding, encoding and writing stay off the event loop)."""
        return await anyio.to_thread.run_sync(call, *args)
