"""lerec edit: delete, split, re-encode and convert write new datasets that validate; sources stay untouched."""

import hashlib
import json

import attrs
import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerec.cameras.synthetic import read_frame_index
from lerec.cli import main
from lerec.dataset.editing.edit import split_by_fractions
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import DatasetError

from dataset_fixtures import DEPTH, FRONT, WRIST


def fingerprint(root):
    return {p.relative_to(root): hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def seqs(reader, e, key=FRONT):
    return [read_frame_index(f) for f in reader.frames(e, keys=[key])[key]]


def test_delete_keeps_the_other_episodes_frames_and_never_touches_the_source(recorded, tmp_path):
    before = fingerprint(recorded)
    out = tmp_path / "deleted"
    assert main(["edit", str(recorded), "--output", str(out), "delete", "--episodes", "0,2"]) == 0
    assert fingerprint(recorded) == before
    assert validate(out) == []
    with DatasetReader(out) as reader, DatasetReader(recorded) as src:
        assert reader.num_episodes == 1 and list(reader.rows(0)["index"]) == list(range(20))
        assert seqs(reader, 0) == seqs(src, 1)
        np.testing.assert_array_equal(reader.frames(0, keys=[DEPTH])[DEPTH], src.frames(1, keys=[DEPTH])[DEPTH])
        np.testing.assert_array_equal(reader.rows(0)["observation.state"], src.rows(1)["observation.state"])
    assert not list(tmp_path.glob(".deleted*")), "the temporary folder is gone"


def test_output_is_accepted_after_the_operation_and_required_by_name(recorded, tmp_path, capsys):
    out = tmp_path / "after"
    assert main(["edit", str(recorded), "delete", "--episodes", "1", "--output", str(out)]) == 0
    assert DatasetMeta.load(out).info["total_episodes"] == 2
    with pytest.raises(SystemExit) as exc:
        main(["edit", str(recorded), "delete", "--episodes", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "required: --output" in err and "lerec edit ROOT delete --help" in err


def test_split_by_fractions_and_by_episode_lists(recorded, tmp_path):
    assert split_by_fractions(10, [0.8, 0.2]) == [list(range(8)), [8, 9]]
    with pytest.raises(DatasetError, match="would be empty"):
        split_by_fractions(3, [0.9, 0.1])
    out = tmp_path / "split"
    assert main(["edit", str(recorded), "--output", str(out), "split", "--episodes", "2;0,1"]) == 0
    with DatasetReader(out / "train") as train, DatasetReader(out / "val") as val, DatasetReader(recorded) as src:
        assert (train.num_episodes, val.num_episodes) == (1, 2)
        assert seqs(train, 0) == seqs(src, 2) and seqs(val, 1) == seqs(src, 1)
    assert validate(out / "train") == [] and validate(out / "val") == []


def test_reencode_changes_only_the_rgb_streams_and_keeps_depth(recorded, tmp_path):
    out = tmp_path / "reencoded"
    assert main(["edit", str(recorded), "--output", str(out), "reencode", "--rgb_encoder.crf=45"]) == 0
    assert validate(out) == []
    video = lambda root, key: (root / f"videos/{key}/chunk-000/file-000.mp4").read_bytes()  # noqa: E731
    assert video(out, DEPTH) == video(recorded, DEPTH)
    assert len(video(out, FRONT)) < len(video(recorded, FRONT))
    info = json.loads((out / "meta/info.json").read_text())["features"]
    assert info[FRONT]["info"]["video.crf"] == 45 and info[FRONT]["info"]["video.preset"] == "ultrafast"
    assert info[DEPTH]["info"]["video.depth_max"] == 10.0 and info[DEPTH]["info"]["is_depth_map"] is True
    with DatasetReader(out) as reader, DatasetReader(recorded) as src:
        for e in range(3):
            assert seqs(reader, e, WRIST) == seqs(src, e, WRIST)


def make_image_dataset(root):
    """Turn the front camera of a recorded dataset into PNG images in the parquet (as LeRobot stores images)."""
    with DatasetReader(root) as reader:
        frames = np.concatenate([reader.frames(e, keys=[FRONT])[FRONT] for e in range(reader.num_episodes)])
    ctx = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt = 64, 48, "rgb24"
    cells = [{"bytes": bytes(ctx.encode(av.VideoFrame.from_ndarray(f, format="rgb24"))[0]), "path": None}
             for f in frames]
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    pq.write_table(table.append_column(FRONT, pa.array(cells, pa.struct([("bytes", pa.binary()),
                                                                           ("path", pa.string())]))), path)
    meta = DatasetMeta.load(root)
    meta.info["features"][FRONT] = {**meta.info["features"][FRONT], "dtype": "image", "info": None}
    meta.episodes = [attrs.evolve(row, videos={k: v for k, v in row.videos.items() if k != FRONT})
                     for row in meta.episodes]
    meta.save_episodes_file(0, 0)
    videos = list((root / f"videos/{FRONT}").rglob("*.mp4"))
    for p in videos:
        p.unlink()
    meta.save_info(written=[path, *videos])  # the checksums of the files changed (and gone)
    return frames


def test_convert_turns_images_into_video(recorded, copy_of, tmp_path):
    src = copy_of(recorded)
    frames = make_image_dataset(src)
    assert validate(src) == []
    out = tmp_path / "converted"
    assert main(["edit", str(src), "--output", str(out), "convert", "--rgb_encoder.vcodec=h264",
                 "--rgb_encoder.preset=ultrafast"]) == 0
    assert validate(out) == []
    info = json.loads((out / "meta/info.json").read_text())["features"][FRONT]
    assert info["dtype"] == "video" and info["info"]["video.codec"] == "h264"
    assert FRONT not in pq.read_schema(out / "data/chunk-000/file-000.parquet").names
    with DatasetReader(out) as reader:
        got = np.concatenate([reader.frames(e, keys=[FRONT])[FRONT] for e in range(3)])
        assert [read_frame_index(f) for f in got] == [read_frame_index(f) for f in frames]
        assert np.abs(got.astype(int) - frames).mean() < 10
