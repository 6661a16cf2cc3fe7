"""lerec merge: videos joined without re-encoding, same pixels as the sources, mismatches named."""

import json
import logging

import numpy as np
import pytest

from lerec.cli import main
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.errors import DatasetError

from dataset_fixtures import DEPTH, FRONT, drop_checksums


def edit_info(root, change):
    path = root / "meta/info.json"
    info = json.loads(path.read_text())
    change(info)
    path.write_text(json.dumps(info))


def test_merge_validates_and_reads_the_same_pixels_as_the_sources(recorded, recorded_b, tmp_path):
    out = tmp_path / "merged"
    assert main(["merge", str(recorded), str(recorded_b), "--output", str(out)]) == 0
    assert validate(out) == []
    with DatasetReader(out) as merged, DatasetReader(recorded) as a, DatasetReader(recorded_b) as b:
        assert (merged.num_episodes, merged.num_frames) == (5, 100)
        assert merged.tasks == ["pick the cube", "stack the blocks"]
        assert list(merged.rows(4)["task_index"]) == [1] * 20 and list(merged.rows(4)["index"]) == list(range(80, 100))
        sources = [(a, e) for e in range(3)] + [(b, e) for e in range(2)]
        for e, (src, se) in enumerate(sources):
            got, want = merged.frames(e), src.frames(se)
            for key in want:
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"episode {e} {key}")
            np.testing.assert_array_equal(merged.rows(e)["observation.state"], src.rows(se)["observation.state"])
        # Statistics are rebuilt: the state's max over both datasets.
        stats = json.loads((out / "meta/stats.json").read_text())
        assert stats["observation.state"]["max"] == [59.0] * 3 and stats["index"]["max"] == [99.0]
    # No re-encoding: the merged file holds exactly the sources' bytes of each episode.
    size = lambda root: (root / f"videos/{FRONT}/chunk-000/file-000.mp4").stat().st_size  # noqa: E731
    assert abs(size(out) - size(recorded) - size(recorded_b)) < 4096


def test_differing_encoder_tuning_becomes_null_with_a_warning(recorded, recorded_b, copy_of, tmp_path, caplog):
    b = copy_of(recorded_b)
    edit_info(b, lambda info: info["features"][FRONT]["info"].update({"video.crf": 20, "video.extra_options": {"x": 1}}))
    with caplog.at_level(logging.WARNING):
        merge_datasets([recorded, b], tmp_path / "out")
    info = json.loads((tmp_path / "out/meta/info.json").read_text())["features"][FRONT]["info"]
    assert info["video.crf"] is None and info["video.extra_options"] == {} and info["video.g"] == 2
    assert "video.crf differs" in caplog.text


def test_a_feature_mismatch_names_dataset_feature_and_field(recorded, recorded_b, copy_of, tmp_path):
    b = copy_of(recorded_b)
    edit_info(b, lambda info: info["features"][DEPTH]["info"].update({"video.depth_max": 5.0}))
    with pytest.raises(DatasetError, match=rf"{b}/meta/info.json: feature '{DEPTH}' field 'video.depth_max' is 5.0"):
        merge_datasets([recorded, b], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    edit_info(b, lambda info: info.update({"fps": 15}))
    assert main(["merge", str(recorded), str(b), "--output", str(tmp_path / "out")]) == 2  # sources that differ


def remux_whole_file(path):
    """Rewrite an MP4 as one non-fragmented file, as LeRobot writes them (same packets, same times)."""
    import av

    tmp = path.with_name("plain.mp4")
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4", options={"movflags": "faststart"}) as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream, opaque=True)
        for packet in src.demux(stream):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    tmp.replace(path)


def test_merge_remuxes_videos_that_are_not_fragmented(recorded, recorded_b, copy_of, tmp_path):
    b = copy_of(recorded_b)
    for path in (b / "videos").rglob("*.mp4"):
        remux_whole_file(path)
    drop_checksums(b)  # as LeRobot, which writes such files, rewrites info.json
    assert validate(b) == []
    out = tmp_path / "merged"
    merge_datasets([recorded, b], out)
    assert validate(out) == []
    with DatasetReader(out) as merged, DatasetReader(b) as src:
        for e in range(2):
            got, want = merged.frames(3 + e), src.frames(e)
            for key in want:
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"episode {e} {key}")
