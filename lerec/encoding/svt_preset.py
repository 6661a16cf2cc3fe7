"""The preset SVT-AV1 really runs: its newer versions map the fastest presets to a slower one (12 runs as 11)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys

# SVT-AV1 prints its configuration (at info level, SVT_LOG=3) when an encoder opens, e.g.
# "SVT [config]: preset / tune / pred struct : 11 / PSNR / random access".
_CONFIG_PRESET = re.compile(r"SVT \[config\]: preset\b[^:]*:\s*(-?\d+)")
_PROBE = """
import sys
from fractions import Fraction
import av
ctx = av.codec.context.CodecContext.create("libsvtav1", "w")
ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = 64, 64, "yuv420p", Fraction(1, 30)
ctx.options = {"preset": sys.argv[1]}
ctx.open()
"""


@functools.cache
def svtav1_preset_used(preset: int) -> int | None:
    """The preset the local SVT-AV1 runs when asked for ``preset``, or None if it cannot be found out. SVT-AV1
    reports it only on the process's stderr, so a child process opens the encoder (about a second, once per
    process per preset)."""
    env = {**os.environ, "SVT_LOG": "3"}
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE, str(int(preset))], env=env, capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _CONFIG_PRESET.search(proc.stderr)
    return int(match.group(1)) if match else None
