"""Plain `lerec validate` finds damage to a file's bytes (each file's CRC-32 as info.json committed it), tells a
damaged committed file from an unfinished save, and every tool that writes a dataset keeps the checksums right."""

from __future__ import annotations

import json
import subprocess

import pytest

from lerec.cli import main
from lerec.dataset.editing.edit import delete_episodes, split_dataset
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.validate import validate
from lerec.dataset.spec import checksums
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.checksums import dataset_files
from lerec.dataset.writing.writer import DatasetWriter
from lerec.errors import DatasetError

from damage_fixtures import DAMAGES, EPISODES, VIDEO, flip_bytes
from dataset_fixtures import FRONT, drop_checksums
from hostile import edit_info
from test_resume_repair import record_args


def committed_checksums(root):
    return checksums.committed(json.loads((root / fmt.INFO_PATH).read_text()))


def test_every_file_of_a_recording_has_its_checksum(recorded):
    sums = committed_checksums(recorded)
    assert sorted(sums) == sorted(p.relative_to(recorded).as_posix() for p in dataset_files(recorded))
    assert VIDEO in sums and "meta/stats.json" in sums and "meta/info.json" not in sums
    assert sums[VIDEO].size == (recorded / VIDEO).stat().st_size


def test_plain_validate_finds_2000_flipped_bytes_in_a_video(recorded, copy_of, capsys):
    root = copy_of(recorded)
    flip_bytes(root / VIDEO, seed=3, flips=2000)
    problems = validate(root)
    assert problems and problems[0].stream == FRONT, problems
    assert problems[0].message.startswith(f"{VIDEO} is damaged: its bytes changed since they were committed")
    assert "(episodes 0-2)" in problems[0].message
    assert main(["validate", str(root)]) == 1
    assert f"{VIDEO} is damaged" in capsys.readouterr().err


@pytest.mark.parametrize("rel", ["data/chunk-000/file-000.parquet", EPISODES])
def test_plain_validate_finds_one_flipped_bit_in_a_parquet_file(recorded, copy_of, rel):
    root = copy_of(recorded)
    data = bytearray((root / rel).read_bytes())
    data[len(data) // 5] ^= 1  # in a column's pages, not the footer: the file still reads
    (root / rel).write_bytes(bytes(data))
    problems = validate(root)
    assert problems and any(rel in str(p) for p in problems), problems  # its checksum, or its pages unreadable


def test_a_dataset_without_checksums_validates_and_says_so(recorded, copy_of, capsys):
    root = copy_of(recorded)
    drop_checksums(root)  # as LeRobot rewrites info.json, and as lerec wrote it before
    assert validate(root) == []
    assert main(["validate", str(root)]) == 0
    assert "OK; no checksums" in capsys.readouterr().out


@pytest.mark.parametrize("checksums", [True, False])
def test_a_truncated_committed_video_is_damage_not_an_unfinished_save(recorded, copy_of, capsys, checksums):
    root = copy_of(recorded)
    if not checksums:
        drop_checksums(root)
    DAMAGES["video cut mid-fragment"][0](root)  # the last committed episode's fragment, cut in its mdat
    messages = [str(p) for p in validate(root)]
    assert not any("unfinished" in m or "--resume" in m for m in messages), messages
    assert f"{VIDEO} is truncated" in messages[0] and "episode 2" in messages[0], messages
    assert main(["validate", str(root)]) == 1
    assert "--resume" not in capsys.readouterr().err
    with pytest.raises(DatasetError, match=f"{VIDEO} is truncated.*resuming cannot repair this"):
        DatasetWriter.resume(root)


def test_resume_refuses_damage_before_writing_anything(recorded, copy_of):
    root = copy_of(recorded)
    edit_info(root, total_frames=59)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(DatasetError, match="total_frames is 59, its 3 committed episodes hold 60.*cannot repair"):
        DatasetWriter.resume(root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_resume_refuses_a_damaged_data_file_it_would_rewrite(recorded, copy_of):
    root = copy_of(recorded)
    flip_bytes(root / "data/chunk-000/file-000.parquet", seed=5)
    with pytest.raises(DatasetError, match="data/chunk-000/file-000.parquet is damaged"):
        DatasetWriter.resume(root)


def test_merge_and_edit_outputs_carry_checksums_of_their_own_files(recorded, recorded_b, tmp_path):
    outputs = [merge_datasets([recorded, recorded_b], tmp_path / "merged"),
               delete_episodes(recorded, tmp_path / "deleted", [1]),
               *split_dataset(recorded, tmp_path / "split", {"a": [0], "b": [1, 2]}).values()]
    for out in outputs:
        sums = committed_checksums(out)
        assert sorted(sums) == sorted(p.relative_to(out).as_posix() for p in dataset_files(out)), out
        assert validate(out) == [], out


def test_merge_and_edit_refuse_to_copy_damaged_bytes(recorded, recorded_b, copy_of, tmp_path, capsys):
    root = copy_of(recorded)
    flip_bytes(root / VIDEO, seed=4, flips=50)
    with pytest.raises(DatasetError, match=f"{VIDEO} is damaged: .* committed"):
        merge_datasets([recorded_b, root], tmp_path / "merged")
    assert main(["edit", str(root), "--output", str(tmp_path / "deleted"), "delete", "--episodes", "0"]) == 1
    err = capsys.readouterr().err.strip()
    assert f"{VIDEO} is damaged" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "merged").exists() and not (tmp_path / "deleted").exists()


def test_record_resume_refuses_a_damaged_dataset_in_one_line(tmp_path):
    root = tmp_path / "ds"
    first = subprocess.run(record_args(root, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2"),
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    DAMAGES["video cut mid-fragment"][0](root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".lerec" not in p.parts}
    resumed = subprocess.run(record_args(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2"),
                             capture_output=True, text=True, timeout=300)
    lines = [line for line in resumed.stderr.splitlines() if line.strip()]
    assert resumed.returncode == 1 and len(lines) == 1, resumed.stderr
    assert f"{VIDEO} is truncated" in lines[0] and "resuming cannot repair this" in lines[0], lines
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".lerec" not in p.parts} == before


def test_labels_written_after_the_recording_keep_the_checksums_right(recorded, copy_of):
    from lerec.dataset.store.labels import label_episodes, read_labels

    root = copy_of(recorded)
    before = committed_checksums(root)[EPISODES]
    label_episodes(root, [0, 2], success=False, tags=("dropped",), notes="slipped")
    assert committed_checksums(root)[EPISODES] != before  # the rewritten episodes file is committed anew
    assert validate(root) == []
    assert read_labels(root)[2].tags == ("dropped",)
