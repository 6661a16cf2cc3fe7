"""Typed errors. Every message names the camera, stream, option or value at fault."""


class LerecError(Exception):
    """Base class of every error lerec raises on purpose."""


class CameraError(LerecError):
    """A camera could not be opened, configured or read."""

    def __init__(self, camera: str, message: str, stream: str | None = None):
        self.camera = camera
        self.stream = stream
        where = f"camera {camera!r}" + (f" stream {stream!r}" if stream else "")
        super().__init__(f"{where}: {message}")


class EncoderConfigError(LerecError, ValueError):
    """An encoder setting is invalid for the local FFmpeg."""


class EncoderError(LerecError):
    """A video encoder failed while recording."""

    def __init__(self, camera: str, stream: str, message: str):
        self.camera = camera
        self.stream = stream
        super().__init__(f"encoder for camera {camera!r} stream {stream!r}: {message}")


class DatasetError(LerecError):
    """A dataset on disk is missing, malformed, or incompatible with the request."""


class Interrupted(LerecError):
    """The user interrupted a save or a conversion: what it had begun was undone, everything before it kept."""
