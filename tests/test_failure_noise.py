"""A failure is reported once, names the right camera and stream, leaves no codec complaint behind, and says
what to do about depth left in FFV1. Each runs in a subprocess whose stderr is what a user sees."""

import os
import subprocess
import sys
import textwrap

from lerec.encoding.av_compat import mp4_takes

from test_frame_age import lerec_record


def test_aborted_svtav1_encoder_is_closed_without_complaint(tmp_path):
    path = tmp_path / "aborted.mp4"
    script = textwrap.dedent(f"""
        from lerec.cameras.synthetic import synthetic_rgb
        from lerec.encoding.episode_encoder import EpisodeEncoder
        encoder = EpisodeEncoder({str(path)!r}, codec="libsvtav1", options={{"preset": "12"}}, width=64, height=48,
                                 fps=30, pix_fmt="yuv420p", input_format="rgb24")
        for k in range(5):
            encoder.encode(synthetic_rgb(k, 64, 48))
        encoder.abort()
        print("aborted")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SVT_LOG": "1"})
    assert done.returncode == 0 and done.stdout.strip() == "aborted", done.stderr
    assert "Svt[error]" not in done.stderr, done.stderr
    assert not path.exists()


def test_cli_depth_camera_failure_names_no_wrong_stream_and_hints_at_convert_depth(tmp_path):
    root = tmp_path / "depth"
    base = [f"--dataset.root={root}", "--dataset.episode_time_s=0.3", "--dataset.rgb_encoder.vcodec=h264",
            "--dataset.convert_depth=false"]
    first = lerec_record(*base, "--dataset.num_episodes=1",
                         "--cameras={d: {type: synthetic, width: 64, height: 48, depth: true}}")
    assert first.returncode == 0, first.stderr
    failing = lerec_record(*base, "--resume", "--dataset.num_episodes=2",
                           "--cameras={d: {type: synthetic, width: 64, height: 48, depth: true, fail_at: 5}}")
    assert failing.returncode == 1, failing.stderr
    assert failing.stderr.count("fail_at=5") == 1, failing.stderr
    assert "camera 'd'" in failing.stderr and "stream 'color'" not in failing.stderr
    if mp4_takes("ffv1"):  # PyAV 15 records depth as HEVC at once: nothing is left to convert
        assert "lerec convert-depth" in failing.stderr and "FFV1" in failing.stderr
    assert "Traceback" not in failing.stderr
