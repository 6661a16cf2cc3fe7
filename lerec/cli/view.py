"""``lerec view ROOT --episode N [--save FILE.rrd]``: an episode's cameras, depth and numeric features in rerun."""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from lerec.cli.progress import Progress
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec.features import DEFAULT_FEATURES
from lerec.dataset.writing.episode_video import EpisodeVideoSource
from lerec.cli.view_sensors import log_sensor_streams
from lerec.errors import LerecError, SettingsError

SAVE_HINT = "save the episode with --save FILE.rrd and open it with `rerun FILE.rrd` on a machine with a screen"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "view", help="show an episode in rerun (needs the 'view' extra: pip install 'lerec[view]')",
        description="Show one episode's cameras (their MP4 video, not decoded frames, so the recording stays as "
        "small as the dataset's video), depth (as a depth image with a colour map), numeric features and sensor "
        "streams (IMU channels at their capture times, audio as its envelope) on a timeline in the rerun viewer, "
        "or save them to an .rrd file where no screen is attached.")
    p.add_argument("root", help="dataset folder")
    p.add_argument("--episode", type=int, required=True, help="episode index")
    p.add_argument("--save", metavar="FILE.rrd", help="write a recording file instead of opening the viewer; "
                   "open it with `rerun FILE.rrd`")
    p.set_defaults(func=run)


def _import_rerun():
    try:
        import rerun as rr
    except ImportError:
        raise LerecError("lerec view needs rerun-sdk, an optional extra: pip install 'lerec[view]'") from None
    return rr


def viewer_executable() -> str:
    """The rerun viewer to spawn: on PATH, or beside this interpreter (a venv that is not activated)."""
    found = shutil.which("rerun") or shutil.which("rerun", path=str(Path(sys.executable).parent))
    if found is None:
        raise LerecError(f"no rerun viewer: `rerun` is neither on PATH nor beside {sys.executable}; "
                         f"install it (pip install 'lerec[view]') or {SAVE_HINT}")
    return found


def has_screen() -> bool:
    """Whether a viewer window can open: macOS, Windows, or X11/Wayland on Linux and the BSDs."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_screen() -> None:
    """On Linux and the BSDs the viewer needs X11 or Wayland: fail now rather than after the viewer dies."""
    if has_screen():
        return
    raise LerecError(f"no screen to show the viewer on (neither DISPLAY nor WAYLAND_DISPLAY is set): {SAVE_HINT}")


def episode_mp4(path: Path, from_s: float, length: int, fps: int) -> bytes:
    """Frames ``from_s .. from_s + length/fps`` of a dataset video as a standalone MP4, packets copied as they are
    (:class:`lerec.dataset.writing.episode_video.EpisodeVideoSource`); a video that cannot be read is a DatasetError
    naming it."""
    return EpisodeVideoSource(keep=1).episode(path, from_s, length, fps).to_mp4(fps)


def _set_time(rr, frame: int, seconds: float) -> None:
    if hasattr(rr, "set_time"):
        rr.set_time("frame", sequence=frame)
        rr.set_time("time", duration=seconds)
    else:  # rerun < 0.23
        rr.set_time_sequence("frame", frame)
        rr.set_time_seconds("time", seconds)


def _scalars(rr, values: np.ndarray):
    return rr.Scalars(values) if hasattr(rr, "Scalars") else rr.Scalar(float(values[0]))


def _logs_video(rr) -> bool:
    """rerun >= 0.23 has the column API used here; older ones get decoded images."""
    return hasattr(rr, "TimeColumn") and hasattr(getattr(rr, "VideoFrameReference", None), "columns_nanos")


def log_video(rr, reader: DatasetReader, e: int, key: str) -> None:
    """The episode's MP4 once, as an asset, and a reference per row to the frame at that row's time."""
    row = reader.episode(e)
    length = reader.length(e)
    video = rr.AssetVideo(contents=episode_mp4(reader.video_path(e, key), row.videos[key].from_timestamp,
                                               length, reader.fps), media_type="video/mp4")
    rr.log(key, video, static=True)
    timestamps = np.sort(video.read_frame_timestamps_nanos())[:length]
    frames = np.arange(len(timestamps))
    rr.send_columns(key, indexes=[rr.TimeColumn("frame", sequence=frames),
                                  rr.TimeColumn("time", duration=frames / reader.fps)],
                    columns=rr.VideoFrameReference.columns_nanos(timestamps))


def log_episode(rr, reader: DatasetReader, e: int, progress=lambda n: None) -> None:
    """Log episode ``e``: RGB videos as video, images and depth (mm, colour-mapped) frame by frame, numeric
    features as scalars."""
    rows = reader.rows(e)
    numeric = {k: np.asarray(v, dtype=np.float64).reshape(len(v), -1) for k, v in rows.items()
               if k not in DEFAULT_FEATURES and isinstance(v, np.ndarray) and v.dtype.kind in "fiub"}
    as_video = [k for k in reader.video_keys if k not in reader.depth_keys] if _logs_video(rr) else []
    for key in as_video:
        log_video(rr, reader, e, key)
    log_sensor_streams(rr, reader, e)  # IMU, audio: at their own capture times
    streams = [k for k in reader.video_keys + reader.image_keys if k not in as_video]
    for i in range(reader.length(e)):
        _set_time(rr, i, i / reader.fps)
        for key, frame in (reader.frame(e, i, streams).items() if streams else ()):
            if key in reader.depth_keys or frame.shape[-1] == 1:
                rr.log(key, rr.DepthImage(frame[..., 0], meter=1000.0, colormap="turbo"))
            else:
                rr.log(key, rr.Image(frame))
        for key, values in numeric.items():
            if hasattr(rr, "Scalars"):
                rr.log(key, _scalars(rr, values[i]))
            else:
                for j, value in enumerate(values[i]):
                    rr.log(f"{key}/{j}", rr.Scalar(float(value)))
        progress(1)


def check_save_path(path: str) -> None:
    """``--save FILE.rrd`` in a folder that exists and can be written, before an episode is read."""
    folder = Path(path).parent
    if Path(path).is_dir():
        raise SettingsError(f"--save={path}: is a folder; give a file name, e.g. {Path(path) / 'episode.rrd'}")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise SettingsError(f"--save={path}: {folder} {what}; create the folder or save elsewhere")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError(f"--save={path}: the folder {folder} is not writable")


def run(args) -> int:
    if args.save:
        check_save_path(args.save)  # the request's own errors first, whatever is installed
    with DatasetReader(args.root, depth_output_unit="mm") as reader:
        if not 0 <= args.episode < reader.num_episodes:
            raise SettingsError(f"--episode {args.episode}: {args.root} has episodes 0 to {reader.num_episodes - 1}")
        rr = _import_rerun()
        viewer = None
        if not args.save:
            check_screen()
            viewer = viewer_executable()
        rr.init("lerec_view")
        if args.save:
            rr.save(args.save)
        elif "executable_path" in inspect.signature(rr.spawn).parameters:
            rr.spawn(executable_path=viewer)
        else:  # older rerun looks for the viewer on PATH only
            os.environ["PATH"] = os.pathsep.join([str(Path(viewer).parent), os.environ.get("PATH", "")])
            rr.spawn()
        with Progress("view", reader.length(args.episode), "frames") as bar:
            log_episode(rr, reader, args.episode, bar.update)
    if args.save:
        if hasattr(rr, "disconnect"):
            rr.disconnect()
        print(f"saved episode {args.episode} to {args.save}")
    return 0
