"""An episode taken out of a dataset file as a standalone MP4 (what `lerec view` shows): exactly its frames, the
first at 0 s, whatever the codec's frame reordering; the fragment's bytes are copied, not re-encoded."""

import io

import av
import pytest

from lerec.cameras.synthetic import read_frame_index
from lerec.dataset.writing.episode_video import EpisodeVideoSource
from lerec.encoding import fmp4

from test_fmp4 import CODECS, encode_episode

EPISODES = [(0, 10), (10, 12), (22, 9)]  # (first frame, frames)


@pytest.mark.parametrize("name", CODECS)
def test_each_episode_alone_starts_at_zero_with_exactly_its_frames(tmp_path, name):
    codec, options = CODECS[name]
    target = tmp_path / "file-000.mp4"
    for i, (start, count) in enumerate(EPISODES):
        fmp4.append_episode(target, fmp4.read_episode_fragment(
            encode_episode(tmp_path / f"ep{i}.mp4", start, count, codec, options)), start, 30)
    source = EpisodeVideoSource()
    for start, count in EPISODES:
        episode = source.episode(target, start / 30, count, 30)
        assert episode.start_frame == start  # found as the file's fragment, not remuxed
        with av.open(io.BytesIO(episode.to_mp4(30))) as container:
            stream = container.streams.video[0]
            frames = [(read_frame_index(f.to_ndarray(format="rgb24")), f.pts * stream.time_base)
                      for f in container.decode(stream)]
        assert [index for index, _ in frames] == list(range(start, start + count))
        assert [pts * 30 for _, pts in frames] == list(range(count))
