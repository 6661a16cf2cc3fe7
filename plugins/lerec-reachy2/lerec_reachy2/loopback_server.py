"""A Reachy 2 video service on 127.0.0.1 built from reachy2_sdk_api's servicer, for tests without a robot."""

from __future__ import annotations

import threading
import time
from concurrent import futures

import cv2
import grpc
import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp
from reachy2_sdk_api import video_pb2, video_pb2_grpc

WIDTH, HEIGHT = 96, 64
VIEW_GREEN = {video_pb2.LEFT: 100, video_pb2.RIGHT: 30}


def served_color(n: int, view: int) -> np.ndarray:
    """RGB frame ``n`` of a view: flat, so JPEG keeps its values within a few levels."""
    frame = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    frame[...] = ((16 * n) % 256, VIEW_GREEN[view], 200)
    return frame


def served_depth_mm(n: int) -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return (300 + 7 * x + 11 * y + 5 * n).astype(np.uint16)


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(time.time_ns())  # the robot stamps frames with its wall clock
    return stamp


class LoopbackVideoService(video_pb2_grpc.VideoServiceServicer):
    """Serves frame 0, 1, 2... of each image, one per request, as JPEG colour and 16UC1 depth."""

    def __init__(self):
        self._served: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _next(self, request) -> int:
        with self._lock:
            key = (request.camera_feat.name, request.view)
            n = self._served.get(key, 0)
            self._served[key] = n + 1
            return n

    def GetAvailableCameras(self, request, context):
        return video_pb2.ListOfCameraFeatures(
            camera_feat=[
                video_pb2.CameraFeatures(name="teleop_head", stereo=True),
                video_pb2.CameraFeatures(name="depth_camera", depth=True),
            ]
        )

    def GetFrame(self, request, context):
        n = self._next(request)
        ok, jpeg = cv2.imencode(".jpg", served_color(n, request.view)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        return video_pb2.Frame(data=jpeg.tobytes(), timestamp=_now())

    def GetDepth(self, request, context):
        depth = served_depth_mm(self._next(request))
        return video_pb2.FrameRaw(
            data=depth.tobytes(), height=HEIGHT, width=WIDTH, encoding="16UC1", step=2 * WIDTH, timestamp=_now()
        )

    def GetParameters(self, request, context):
        return video_pb2.CameraParameters(
            height=HEIGHT, width=WIDTH, distortion_model="plumb_bob", D=[0.0] * 5,
            K=[80.0, 0, WIDTH / 2, 0, 80.0, HEIGHT / 2, 0, 0, 1], R=[1.0, 0, 0, 0, 1, 0, 0, 0, 1],
            P=[80.0, 0, WIDTH / 2, 0, 0, 80.0, HEIGHT / 2, 0, 0, 0, 1, 0],
        )


def start_video_server() -> tuple[grpc.Server, int]:
    """A running server on 127.0.0.1 and its port; ``server.stop(None)`` kills it."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    video_pb2_grpc.add_VideoServiceServicer_to_server(LoopbackVideoService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port
