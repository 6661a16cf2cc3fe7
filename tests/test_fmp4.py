"""Episodes appended to one fragmented MP4 keep exact timestamps, whatever the codec's frame reordering."""

import pytest

from lerec.cameras.synthetic import read_frame_index, synthetic_rgb
from lerec.encoding import fmp4, fmp4_cut
from lerec.encoding.episode_encoder import EpisodeEncoder

from recording_fixtures import decode_file

CODECS = {
    "h264 ultrafast (no B-frames)": ("libx264", {"g": "2", "crf": "23", "preset": "ultrafast"}),
    "h264 medium (B-frames)": ("libx264", {"g": "30", "crf": "23", "preset": "medium"}),
    "hevc": ("libx265", {"g": "2", "crf": "28", "preset": "ultrafast", "x265-params": "log-level=error"}),
    "av1": ("libsvtav1", {"g": "2", "crf": "30", "preset": "12"}),
}


def encode_episode(path, first, count, codec, options, width=64, height=48):
    encoder = EpisodeEncoder(path, codec=codec, options=options, width=width, height=height, fps=30,
                             pix_fmt="yuv420p", input_format="rgb24")
    for n in range(first, first + count):
        encoder.encode(synthetic_rgb(n, width, height))
    return encoder.finish()


@pytest.mark.parametrize("name", CODECS)
def test_appended_episodes_put_frame_k_at_k_over_fps(tmp_path, name):
    codec, options = CODECS[name]
    target = tmp_path / "file-000.mp4"
    start = 0
    for i, count in enumerate([7, 12, 5]):
        episode = fmp4.read_episode_fragment(encode_episode(tmp_path / f"ep{i}.mp4", start, count, codec, options))
        fmp4.append_episode(target, episode, start, 30)
        start += count
    frames = decode_file(target)
    assert [round(t * 30, 6) for t, _ in frames] == list(range(24))
    assert [read_frame_index(img) for _, img in frames] == list(range(24))
    assert fmp4.count_fragments(target) == 3


def test_truncate_removes_an_unfinished_fragment(tmp_path):
    codec, options = CODECS["h264 ultrafast (no B-frames)"]
    target = tmp_path / "file.mp4"
    for i in range(2):
        episode = fmp4.read_episode_fragment(encode_episode(tmp_path / f"ep{i}.mp4", 10 * i, 10, codec, options))
        fmp4.append_episode(target, episode, 10 * i, 30)
    complete = target.read_bytes()
    with open(target, "ab") as f:  # what a kill -9 in the middle of the next append leaves
        f.write(episode.fragment[: len(episode.fragment) // 2])
    assert fmp4.count_fragments(target) == 3  # the moof is whole, its mdat is cut
    assert fmp4.truncate_to_fragments(target, 2)
    assert target.read_bytes() == complete
    assert len(decode_file(target)) == 20


def test_different_stream_parameters_cannot_share_a_file(tmp_path):
    codec, options = CODECS["h264 ultrafast (no B-frames)"]
    target = tmp_path / "file.mp4"
    first = fmp4.read_episode_fragment(encode_episode(tmp_path / "a.mp4", 0, 4, codec, options))
    fmp4.append_episode(target, first, 0, 30)
    same = fmp4.read_episode_fragment(encode_episode(tmp_path / "b.mp4", 4, 4, codec, options))
    bigger = fmp4.read_episode_fragment(encode_episode(tmp_path / "c.mp4", 0, 4, codec, options, width=96))
    assert fmp4.can_append(target, same)
    assert not fmp4.can_append(target, bigger)


def cut_bytes(cut: fmp4_cut.EpisodeCut) -> bytes:
    data = cut.path.read_bytes()
    return b"".join(p if isinstance(p, bytes) else data[p[0] : p[0] + p[1]] for p in cut.parts)


@pytest.mark.parametrize("name", ["h264 medium (B-frames)", "av1"])
def test_an_episode_cut_plays_that_episode_from_time_zero(tmp_path, name):
    codec, options = CODECS[name]
    target = tmp_path / "file-000.mp4"
    spans = [(0, 7), (7, 12), (19, 5)]
    for i, (start, count) in enumerate(spans):
        episode = fmp4.read_episode_fragment(encode_episode(tmp_path / f"ep{i}.mp4", start, count, codec, options))
        fmp4.append_episode(target, episode, start, 30)
    for i, (start, count) in enumerate(spans):
        cut = fmp4_cut.episode_cut(target, start, count, 30)
        (tmp_path / f"cut{i}.mp4").write_bytes(cut_bytes(cut))
        assert cut.size == (tmp_path / f"cut{i}.mp4").stat().st_size
        frames = decode_file(tmp_path / f"cut{i}.mp4")
        assert [round(t * 30, 6) for t, _ in frames] == list(range(count))
        assert [read_frame_index(img) for _, img in frames] == list(range(start, start + count))
    with pytest.raises(fmp4.DatasetError, match="no fragment starts at frame 3"):
        fmp4_cut.episode_cut(target, 3, 4, 30)


def test_a_file_that_is_not_fragmented_has_no_episode_cut(tmp_path):
    import av

    path = tmp_path / "plain.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(5):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(synthetic_rgb(n, 64, 48), format="rgb24")))
        container.mux(stream.encode(None))
    with pytest.raises(fmp4.DatasetError):
        fmp4_cut.episode_cut(path, 0, 5, 30)
