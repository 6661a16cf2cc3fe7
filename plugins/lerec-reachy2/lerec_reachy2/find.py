"""List the cameras of a reachable Reachy 2 (``LEREC_REACHY2_HOST``, default localhost)."""

from __future__ import annotations

import os

import grpc
from google.protobuf.empty_pb2 import Empty
from reachy2_sdk_api.video_pb2_grpc import VideoServiceStub

from lerec.cameras.registry_types import FoundCamera

DEFAULT_PORT = 50065
PROBE_TIMEOUT_S = 1.0
_IMAGES = {"teleop_head": ("teleop", ("left", "right")), "depth_camera": ("depth", ("rgb", "depth"))}


def find_reachy2_cameras(host: str | None = None, port: int = DEFAULT_PORT,
                         timeout_s: float = PROBE_TIMEOUT_S) -> list[FoundCamera]:
    """Each image of each camera the robot's video service reports; nothing if no robot answers in ``timeout_s``."""
    host = host or os.environ.get("LEREC_REACHY2_HOST", "localhost")
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout_s)
            cameras = VideoServiceStub(channel).GetAvailableCameras(Empty(), timeout=timeout_s)
        except (grpc.FutureTimeoutError, grpc.RpcError):
            return []
    found = []
    for feature in cameras.camera_feat:
        if feature.name not in _IMAGES:
            continue
        name, images = _IMAGES[feature.name]
        for image_type in images:
            options = {"name": name, "image_type": image_type, "host": host, "port": port}
            found.append(FoundCamera(f"Reachy 2 at {host}:{port}: {name} camera, {image_type} image", options))
    return found
