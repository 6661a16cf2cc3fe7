"""List the video capture devices OpenCV can open."""

from __future__ import annotations

import glob
import re
import sys
from pathlib import Path

import cv2

from lerec.cameras.registry_types import FoundCamera
from lerec_opencv.camera import fourcc_text, quiet_opencv_logs

PROBED_INDICES = range(8)  # where there is no /dev/video*, OpenCV can only be asked index by index


def _v4l2_capture_nodes() -> list[str]:
    """``/dev/video*`` nodes that capture frames (a UVC camera also has metadata nodes, whose index is not 0)."""
    nodes = sorted(glob.glob("/dev/video*"), key=lambda p: int(re.sub(r"\D", "", p) or 0))
    capture = []
    for node in nodes:
        index_file = Path("/sys/class/video4linux") / Path(node).name / "index"
        if not index_file.exists() or index_file.read_text().strip() == "0":
            capture.append(node)
    return capture


def _device_name(node: str) -> str:
    name_file = Path("/sys/class/video4linux") / Path(node).name / "name"
    return name_file.read_text().strip() if name_file.exists() else "video device"


def _probe(source: int | str) -> FoundCamera | None:
    quiet_opencv_logs()
    capture = cv2.VideoCapture(source, cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY)
    try:
        if not capture.isOpened():
            return None
        width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = capture.get(cv2.CAP_PROP_FPS)
        fourcc = fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
    finally:
        capture.release()
    name = _device_name(source) if isinstance(source, str) else f"camera {source}"
    options = {"index_or_path": source, "width": width, "height": height}
    if fps:
        options["fps"] = round(fps, 3)
    return FoundCamera(f"{source}: {name} ({width}x{height} @ {fps:g} fps, {fourcc or '?'})", options)


def find_opencv_cameras() -> list[FoundCamera]:
    """Every capture device that opens, with its default size and fps."""
    sources = _v4l2_capture_nodes() if sys.platform.startswith("linux") else list(PROBED_INDICES)
    return [found for found in map(_probe, sources) if found is not None]
