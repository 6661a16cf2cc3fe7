"""A one-line progress bar on stderr for long operations (no dependency; quiet when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress("validate", total=120, unit="files") as bar: bar.update()``. Redraws at most 10×/s."""

    def __init__(self, label: str, total: int, unit: str = "", stream: TextIO | None = None,
                 enabled: bool | None = None):
        self.label = label
        self.total = max(0, int(total))
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self._start = time.monotonic()
        self._drawn = 0.0

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self._draw(note)

    def _draw(self, note: str) -> None:
        width = 24
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        elapsed = time.monotonic() - self._start
        eta = f" eta {elapsed / frac - elapsed:4.0f}s" if 0 < frac < 1 else ""
        rate = f" {self.done / elapsed:.1f}/s" if elapsed > 0 and self.done else ""
        text = f"\r{self.label} [{bar}] {self.done}/{self.total} {self.unit}{rate}{eta} {note}"
        self.stream.write(text[:120].ljust(80))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw("")
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
