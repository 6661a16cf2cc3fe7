"""lerec validate: a recorded dataset passes; a cut frame, wrong totals or stale stats are named precisely."""

import json
import shutil

import attrs
import av

from lerec.cli import main
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta

from dataset_fixtures import FRONT


def remux_without_frame(path, drop_time_s):
    """Rewrite the MP4 at ``path`` with every packet but the one shown at ``drop_time_s`` (no re-encoding)."""
    tmp = path.with_name("cut.mp4")
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream, opaque=True)
        dropped = 0
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            if abs(float(packet.pts * stream.time_base) - drop_time_s) < 1e-4:
                dropped += 1
                continue
            packet.stream = out
            dst.mux(packet)
    assert dropped == 1
    shutil.move(tmp, path)


def test_recorded_dataset_passes(recorded, capsys):
    assert validate(recorded) == []
    assert main(["validate", str(recorded)]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_frame_cut_from_one_video_is_named(recorded, copy_of, capsys):
    root = copy_of(recorded)
    row = DatasetMeta.load(root).episodes[1]
    path = root / f"videos/{FRONT}/chunk-000/file-000.mp4"
    remux_without_frame(path, row[f"videos/{FRONT}/from_timestamp"] + 5 / 30)
    problems = validate(root)
    # the file's checksum (episodes 0-2) first, then the frame that is gone
    assert [(p.episode, p.stream, p.frame) for p in problems] == [(None, FRONT, None), (1, FRONT, 5)]
    assert "file-000.mp4 is damaged: its bytes changed since they were committed" in problems[0].message \
        or "bytes more than" in problems[0].message or "is truncated" in problems[0].message
    assert main(["validate", str(root)]) == 1
    assert f"episode 1 stream {FRONT} frame 5: no frame at" in capsys.readouterr().err


def test_wrong_totals_and_stale_stats_are_reported(recorded, copy_of):
    root = copy_of(recorded)
    info = json.loads((root / "meta/info.json").read_text())
    info["total_frames"] = 59
    (root / "meta/info.json").write_text(json.dumps(info))
    stats = json.loads((root / "meta/stats.json").read_text())
    stats["observation.state"]["max"] = [1.0, 1.0, 1.0]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    messages = [str(p) for p in validate(root)]
    assert any("total_frames is 59, the data has 60" in m for m in messages)
    assert any("observation.state/max disagrees" in m for m in messages)


def test_rows_missing_from_the_data_file_are_reported(recorded, copy_of):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = copy_of(recorded)
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    pq.write_table(table.filter(pc.not_equal(table.column("index"), 45)), path)
    messages = [str(p) for p in validate(root)]
    assert any(m.startswith("episode 2: rows are not contiguous") and "index 45" in m for m in messages)


def test_a_frame_lost_before_encoding_as_in_lerobot_is_reported(recorded, copy_of):
    """LeRobot's streaming encoder can lose a frame: later frames move up and the episode's video is one short."""
    root = copy_of(recorded)
    path = root / f"videos/{FRONT}/chunk-000/file-000.mp4"
    tmp = path.with_name("lost.mp4")
    lost = 20 / 30 + 12 / 30
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream, opaque=True)
        step = int(round(1 / 30 / stream.time_base))
        for packet in src.demux(stream):
            if packet.dts is None or abs(float(packet.pts * stream.time_base) - lost) < 1e-4:
                continue
            if float(packet.pts * stream.time_base) > lost:
                packet.pts -= step
                packet.dts -= step
            packet.stream = out
            dst.mux(packet)
    shutil.move(tmp, path)
    meta = DatasetMeta.load(root)
    one, two = meta.episodes[1].videos[FRONT], meta.episodes[2].videos[FRONT]
    moved = {1: attrs.evolve(one, to_timestamp=one.to_timestamp - 1 / 30),
             2: attrs.evolve(two, from_timestamp=two.from_timestamp - 1 / 30, to_timestamp=two.to_timestamp - 1 / 30)}
    for e, location in moved.items():
        meta.episodes[e] = attrs.evolve(meta.episodes[e], videos={**meta.episodes[e].videos, FRONT: location})
    meta.save_episodes_file(0, 0)
    located = {(p.episode, p.stream) for p in validate(root)}
    assert (1, FRONT) in located and (2, FRONT) in located
