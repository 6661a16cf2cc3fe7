"""Metadata the tools used to accept without a word: a wrong total_frames, a missing or invalid stats.json, a
video shape unlike its stream or too large to be a camera's."""

from __future__ import annotations

import json
import logging
import re
import shutil

import pytest

from lerec.cli import main
from lerec.dataset.editing.edit import delete_episodes
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.errors import DatasetError

from damage_fixtures import DAMAGES, INFO, STATS, VIDEO
from dataset_fixtures import FRONT


def damaged(copy_of, recorded, name):
    root = copy_of(recorded)
    DAMAGES[name][0](root)
    return root


# damage -> what every tool says about meta/info.json
REFUSED = {
    "info total_frames wrong": "total_frames is 59, but its 3 episodes hold 60 frames",
    "info video shape 1e9x1e9": "shape [1000000000, 1000000000, 3] makes 3e+18 values a frame, more than 2**30",
    "info video shape unlike its stream": "shape [480, 640, 3] but info video.height/width 48x64",
}


@pytest.mark.parametrize("name", REFUSED)
def test_metadata_at_odds_with_itself_is_refused_naming_info_json(recorded, recorded_b, copy_of, tmp_path, capsys,
                                                                   name):
    root = damaged(copy_of, recorded, name)
    with pytest.raises(DatasetError, match=re.escape(f"{INFO}: ")):
        DatasetReader(root)
    assert main(["merge", str(recorded_b), str(root), "--output", str(tmp_path / "merged")]) == 1
    assert main(["edit", str(root), "--output", str(tmp_path / "deleted"), "delete", "--episodes", "0"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(errors) == 2 and all(INFO in line and REFUSED[name] in line for line in errors), errors
    assert not (tmp_path / "merged").exists() and not (tmp_path / "deleted").exists()
    assert main(["validate", str(root)]) == 1
    assert INFO in capsys.readouterr().err


@pytest.mark.parametrize("name", ["stats missing", "stats invalid JSON", "stats entry not a dict"])
def test_a_missing_or_invalid_stats_json_is_named_and_written_anew(recorded, recorded_b, copy_of, tmp_path, caplog,
                                                                    name):
    root = damaged(copy_of, recorded, name)
    with caplog.at_level(logging.WARNING), DatasetReader(root) as reader:
        assert reader.frames(0)[FRONT].shape[0] == 20  # frames and rows do not need it
    warned = [r.getMessage() for r in caplog.records if STATS in r.getMessage()]
    assert len(warned) == 1 and "merge` write a new one" in warned[0], warned
    for out in (merge_datasets([recorded_b, root], tmp_path / "merged"),
                delete_episodes(root, tmp_path / "deleted", [0])):
        assert validate(out) == [], out  # its stats.json aggregated from the episodes' statistics
        assert isinstance(json.loads((out / STATS).read_text())[FRONT], dict)


def test_a_declared_video_size_unlike_the_stream_is_found_by_validate_and_the_tools(recorded, copy_of, tmp_path):
    root = damaged(copy_of, recorded, "info video size unlike its stream")  # shape and video.height/width alike
    twin = shutil.copytree(root, tmp_path / "twin")  # declares the same: merge's feature check lets it through
    for copy in (lambda: merge_datasets([root, twin], tmp_path / "merged"),
                 lambda: delete_episodes(root, tmp_path / "deleted", [0])):
        with pytest.raises(DatasetError, match=f"{VIDEO}: its frames are 48x64 .* but .*{INFO} declares {FRONT} "
                                               "480x640"):
            copy()
    problems = [str(p) for p in validate(root)]
    assert problems == [f"stream {FRONT}: {VIDEO}: its frames are 48x64 (height x width), {INFO} declares shape "
                        "480x640", f"stream {FRONT}: {VIDEO}: its frames are 48x64 (height x width), {INFO} declares "
                        "video.height/width 480x640"], problems
