"""`lerec record --display_data=true`: what reaches rerun, read back with rerun's own reader (every camera, depth as
a depth image, the state and action, downscaled, never above the display rate); the web viewer served on
127.0.0.1 without a screen; the flags, LeRobot's aliases among them."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import numpy as np
import pytest

from lerec.cli.live_display import add_display_arguments, display_settings, downscaled
from lerec.errors import SettingsError

from test_cli_record import FAST
from test_cli_robots import Terminal

pytest.importorskip("rerun", reason="needs lerec[view]")

CAMERAS = ("--cameras={front: {type: synthetic, width: 640, height: 480}, wrist: {type: synthetic, width: 160, "
           "height: 120}, side: {type: synthetic, width: 320, height: 240, depth: true}}")


def rrd_contents(path) -> tuple[Counter, dict[str, int]]:
    """Rows per (entity, archetype) in a rerun file, and the widest image per entity, via rerun's RrdReader."""
    from rerun.chunk import RrdReader

    rows, widths = Counter(), {}
    for chunk in RrdReader(path).stream():
        batch = chunk.to_record_batch()
        for name in batch.schema.names:
            archetype, _, component = name.partition(":")
            if component in ("buffer", "scalars", "blob"):
                rows[(chunk.entity_path.lstrip("/"), archetype)] += chunk.num_rows
            if component == "format":
                for fmt in batch.column(name).to_pylist():
                    widths[chunk.entity_path.lstrip("/")] = max(widths.get(chunk.entity_path.lstrip("/"), 0),
                                                                 fmt[0]["width"])
    return rows, widths


def test_every_camera_and_the_values_reach_rerun_downscaled_at_the_display_rate(tmp_path):
    rrd = tmp_path / "display.rrd"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={tmp_path / 'ds'}",
                           "--dataset.num_episodes=1", "--dataset.episode_time_s=3", CAMERAS, *FAST,
                           "--display_data=true", "--display.fps=5", "--display.max_width=320",
                           f"--display.save={rrd}"], capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert f"live display: saving to {rrd}" in done.stderr
    rows, widths = rrd_contents(rrd)
    cap = 5 * elapsed + 1  # the display never runs above its rate (nothing here depends on the machine's speed)
    for entity, archetype in [("observation.images.front", "Image"), ("observation.images.wrist", "Image"),
                              ("observation.images.side", "Image"), ("observation.images.side_depth", "DepthImage"),
                              ("observation.state", "Scalars"), ("action", "Scalars")]:
        assert 3 <= rows[(entity, archetype)] <= cap, (entity, rows)
    assert widths == {"observation.images.front": 320, "observation.images.wrist": 160,
                      "observation.images.side": 320, "observation.images.side_depth": 320}


def test_compressed_images_reach_rerun_as_jpeg_and_depth_stays_exact(tmp_path):
    rrd = tmp_path / "display.rrd"
    done = subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={tmp_path / 'ds'}",
                           "--dataset.num_episodes=1", "--dataset.episode_time_s=1",
                           "--cameras={front: {type: synthetic, width: 64, height: 48, depth: true}}", *FAST,
                           "--display_data", "--display_compressed_images=true", f"--display.save={rrd}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows, _ = rrd_contents(rrd)
    assert rows[("observation.images.front", "EncodedImage")] >= 2
    assert rows[("observation.images.front_depth", "DepthImage")] >= 2
    assert ("observation.images.front", "Image") not in rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_a_screen_the_web_viewer_is_served_on_localhost_and_stops_with_the_session(tmp_path, monkeypatch):
    grpc, web = free_port(), free_port()
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    term = Terminal("record", f"--dataset.root={tmp_path / 'ds'}", "--dataset.num_episodes=1",
                    "--dataset.episode_time_s=60", "--cameras={front: {type: synthetic, width: 64, height: 48}}",
                    *FAST, "--display_data", f"--display.grpc_port={grpc}", f"--display.web_port={web}")
    try:
        url = term.wait_for(r"live display: (http://\S+)").group(1)
        assert url == f"http://127.0.0.1:{web}/?url=rerun%2Bhttp://127.0.0.1:{grpc}/proxy"
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=30) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        term.wait_for(r"episode 0: recording")
        term.press(b"q")
        term.proc.communicate(timeout=120)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.slave)
        os.close(term.master)
    assert term.proc.returncode == 0, "".join(term.log)
    for port in (grpc, web):  # the viewer's servers ended with the session
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0


def parse(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    return parser.parse_args(list(flags))


def test_the_flags_and_lerobots_aliases():
    assert display_settings(parse()) is None
    s = display_settings(parse("--display_data=true"))
    assert (s.fps, s.max_width, s.memory_limit, s.connect) == (10.0, 640, "1GiB", None)
    assert display_settings(parse("--display_data", "--display_ip=10.0.0.5", "--display_port=9877")).connect == \
        "10.0.0.5:9877"
    assert display_settings(parse("--display_data", "--display.connect=viewer.local:9876")).connect == \
        "viewer.local:9876"
    for flags, message in [(("--display.fps=0",), "--display.fps=0"), (("--display.max_width=4",), "max_width=4"),
                           (("--display.connect=nohost",), "expected HOST:PORT"),
                           (("--display.connect=h:1", "--display_ip=h"), "give one"),
                           (("--display.memory_limit=lots",), "--display.memory_limit='lots'")]:
        with pytest.raises(SettingsError, match=message):
            display_settings(parse("--display_data", *flags))


def test_downscaling_keeps_every_nth_pixel():
    image = np.arange(480 * 640 * 3, dtype=np.uint32).reshape(480, 640, 3)
    small = downscaled(image, 200)
    assert small.shape == (120, 160, 3) and small.flags.c_contiguous
    assert np.array_equal(small, image[::4, ::4])
    assert downscaled(image, 640).shape == image.shape
