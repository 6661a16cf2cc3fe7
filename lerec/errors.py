"""Typed errors. Every message names the camera, stream, option or value at fault."""


class LerecError(Exception):
    """Base class of every error lerec raises on purpose."""


class SettingsError(LerecError, ValueError):
    """A setting (a flag, a camera option, an argument) is invalid; raised before anything is written.
    ``lerec`` exits with status 2 on it, as on a malformed flag (every other LerecError: status 1)."""


class CameraError(LerecError):
    """A camera could not be opened, configured or read."""

    def __init__(self, camera: str, message: str, stream: str | None = None):
        self.camera = camera
        self.stream = stream
        self.detail = message
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"camera {self.camera!r}" + (f" stream {self.stream!r}" if self.stream else "")
        return f"{where}: {self.detail}"

    def name_stream(self, stream: str) -> "CameraError":
        """Say which stream failed, when the camera did not (this same error, its traceback kept)."""
        if self.stream is None:
            self.stream = stream
            self.args = (self._message(), *self.args[1:])
        return self


class SensorError(LerecError):
    """A sensor (an IMU, a microphone, ...) could not be opened or read, or went silent."""

    def __init__(self, sensor: str, message: str):
        self.sensor = sensor
        self.detail = message
        super().__init__(f"sensor {sensor!r}: {message}")


class EncoderConfigError(SettingsError):
    """An encoder setting is invalid for the local FFmpeg."""


class EncoderError(LerecError):
    """A video encoder failed while recording."""

    def __init__(self, camera: str, stream: str, message: str):
        self.camera = camera
        self.stream = stream
        super().__init__(f"encoder for camera {camera!r} stream {stream!r}: {message}")


class DatasetError(LerecError):
    """A dataset on disk is missing, malformed, or incompatible with the request."""


class HubError(LerecError):
    """The Hugging Face Hub could not be reached, refused the token or the repo, or failed an upload."""


class DatasetRequestError(DatasetError, SettingsError):
    """The request does not fit the datasets or folders it names (a root that already holds a dataset, a resume
    with other settings, an output folder that is not empty); nothing was written. ``lerec`` exits with 2."""


class RobotError(LerecError):
    """A robot or teleoperator could not be opened, read or commanded."""

    def __init__(self, device: str, message: str, kind: str = "robot", id: str | None = None):
        self.device = device
        self.kind = kind
        self.id = id
        where = f"{kind} {device!r}" + (f" (id {id!r})" if id else "")
        super().__init__(f"{where}: {message}")


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """The exceptions inside ``exc`` and its nested exception groups (``[exc]`` when it is not a group)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaf_errors(inner)]
    return [exc]


def single_error(group: BaseExceptionGroup, prefer: type[BaseException] | None = None) -> BaseException:
    """The error to raise for ``group`` (a task group's): the one exception inside it and its nested groups; when
    there are several, the first that is a ``prefer`` (e.g. the first of all, or the first lerec error: two
    streams spilling onto one full disk fail alike, at once), else ``group`` itself."""
    found = leaf_errors(group)
    if len(found) == 1:
        return found[0]
    return next((exc for exc in found if prefer is not None and isinstance(exc, prefer)), group)


def one_line(exc: BaseException) -> str:
    """A library exception's message on one line (pyarrow's and FFmpeg's can span several), for a message of ours."""
    return " ".join(str(exc).split()) or type(exc).__name__


class Interrupted(LerecError):
    """The user interrupted a save or a conversion: what it had begun was undone, everything before it kept."""


class PolicyError(LerecError):
    """A policy could not be loaded, does not fit the robot, or gave an action that must not be sent."""
