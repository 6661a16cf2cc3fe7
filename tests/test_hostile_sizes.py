"""What metadata asks for is bounded by what the files hold: a hostile length, a template that formats a huge
string or one that maps every camera to the same file fail with one clear line, in bounded memory and time (each
tool runs in a subprocess limited to 2 GiB of address space, with a timeout)."""

import importlib.util
import json

import pytest

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.errors import DatasetError

from dataset_fixtures import FRONT
from hostile import assert_clean_error, copy_dataset, edit_info, lerec, read_with_reader, set_episode_column, tree

TOOLS = {
    "validate": lambda root, out: ["validate", root],
    "info": lambda root, out: ["info", root],
    "merge": lambda root, out: ["merge", root, root, "--output", out],
    "delete": lambda root, out: ["edit", root, "--output", out, "delete", "--episodes", "1"],
    "view": lambda root, out: ["view", root, "--episode", "0", "--save", out.with_suffix(".rrd")],
}
if importlib.util.find_spec("rerun") is None:  # the optional viewer (LeRobot's venv, where CI runs these, has none)
    del TOOLS["view"]


def check_every_tool(root, tmp_path, *names):
    """Every tool (and DatasetReader) fails cleanly, names ``names``, and writes nothing anywhere."""
    before = tree(tmp_path)
    for tool, args in TOOLS.items():
        result = lerec(*map(str, args(root, tmp_path / f"out-{tool}")))
        assert_clean_error(result, *names)
        assert tree(tmp_path) == before, tool
    assert_clean_error(read_with_reader(root), *names)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("length", [10**9, 1e9], ids=["int", "float"])
def test_an_episode_longer_than_its_data_file_is_refused(recorded, tmp_path, length):
    root = copy_dataset(recorded, tmp_path / "ds")
    set_episode_column(root, "length", length, episode=0)
    check_every_tool(root, tmp_path, "meta/episodes", "length", str(length))


@pytest.mark.parametrize("name,template", [
    ("data_path", "data/chunk-{chunk_index:>9999999999}/file-{file_index:03d}.parquet"),
    ("video_path", "videos/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"),
    ("video_path", "videos/{video_key}{chunk_index:03d}/file-{file_index:03d}.mp4"),
], ids=["huge-width", "no-video-key", "two-fields-in-a-folder"])
def test_a_template_that_is_not_the_layout_is_refused(recorded, tmp_path, name, template):
    root = copy_dataset(recorded, tmp_path / "ds")
    edit_info(root, **{name: template})
    check_every_tool(root, tmp_path, "meta/info.json", name, repr(template))


def test_the_layouts_templates_in_other_spellings_still_read(recorded, tmp_path):
    """LeRobot's templates, and equivalent ones (other widths, no width), are read as before."""
    root = copy_dataset(recorded, tmp_path / "ds")
    info = json.loads((root / "meta/info.json").read_text())
    edit_info(root, video_path=info["video_path"].replace(":03d", ":03"), data_path=info["data_path"])
    result = read_with_reader(root, limit=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert lerec("validate", str(root), limit=False).returncode == 0
    assert (root / f"videos/{FRONT}/chunk-000/file-000.mp4").exists()


@pytest.mark.parametrize("template", [
    "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:099999999d}.mp4",
    "videos/{video_key}/chunk-{chunk_index.__class__}/file-{file_index:03d}.mp4",
    "videos/{video_key}/chunk-{chunk_index!r}/file-{file_index:03d}.mp4",
    "videos/{video_key}/chunk-{chunk_index:x}/file-{file_index:03d}.mp4",
    "videos/{video_key:>40}/chunk-{chunk_index}/file-{file_index}.mp4",
    "videos/{video_key}/chunk-{chunk_index}/file-{file_index}-{file_index}.mp4",
    "videos/{video_key}/chunk-{chunk_index}/file.mp4",
    "videos/{video_key}/{episode_index}/{chunk_index}/{file_index}.mp4",
    "/videos/{video_key}/{chunk_index}/{file_index}.mp4",
    "../{video_key}/{chunk_index}/{file_index}.mp4",
    "videos//{video_key}/{chunk_index}/{file_index}.mp4",
    "videos/{video_key}/{chunk_index}/{file_index}.mp4{",
    None,
])
def test_template_checks(template):
    with pytest.raises(DatasetError, match="video_path"):
        layout.check_template(template, "video_path", "meta/info.json")


@pytest.mark.parametrize("template", [fmt.VIDEO_PATH, "videos/{video_key}/c{chunk_index}/f{file_index:06d}.mp4",
                                      "{video_key}/{chunk_index:d}/{file_index:3}"])
def test_templates_that_keep_paths_apart_are_accepted(template):
    assert layout.check_template(template, "video_path", "meta/info.json") == template


def test_a_row_beyond_the_commit_may_be_ahead_of_its_frames_and_resume_cuts_it(recorded, tmp_path):
    """A save interrupted between writing an episode's row and its frames leaves a row longer than its data file
    holds, beyond info.json's total_episodes: it loads (within a ceiling), and --resume removes it."""
    from lerec.dataset.spec.bounds import MAX_UNWRITTEN_LENGTH
    from lerec.dataset.store.metadata import DatasetMeta
    from lerec.dataset.writing.writer import DatasetWriter

    root = copy_dataset(recorded, tmp_path / "ds")
    edit_info(root, total_episodes=2, total_frames=40)
    set_episode_column(root, "length", 600, episode=2)
    assert DatasetMeta.load(root, uncommitted=True).episodes[2]["length"] == 600
    writer = DatasetWriter.resume(root)
    assert len(writer.meta.episodes) == 2 and len(DatasetMeta.load(root, uncommitted=True).episodes) == 2
    set_episode_column(root, "length", 600, episode=1)  # a committed episode may not
    with pytest.raises(DatasetError, match="length 600, but its data file .* holds 40 rows"):
        DatasetMeta.load(root)
    set_episode_column(root, "length", 20, episode=1)
    edit_info(root, total_episodes=1, total_frames=20)
    set_episode_column(root, "length", MAX_UNWRITTEN_LENGTH + 1, episode=1)
    with pytest.raises(DatasetError, match=f"length {MAX_UNWRITTEN_LENGTH + 1}, but"):
        DatasetMeta.load(root, uncommitted=True)


@pytest.mark.parametrize("column,value,message", [
    ("dataset_from_index", 2**63 - 1, "dataset_from_index' is 9223372036854775807, expected a whole number from 0 "
                                      "to 1099511627776"),
    ("dataset_from_index", -5, "dataset_from_index' is -5"),
    ("data/chunk_index", 10**15, "data/chunk_index' is 1000000000000000"),
    (f"videos/{FRONT}/from_timestamp", float("nan"), "from_timestamp' is nan"),
    (f"videos/{FRONT}/from_timestamp", 1e300, "from_timestamp' is 1e\\+300, expected a number from 0 to 1000000000"),
    (f"videos/{FRONT}/to_timestamp", -1.0, "to_timestamp' is -1.0"),
    ("length", 0, "'length' is 0, expected a whole number from 1 to"),
    ("length", -3, "'length' is -3"),
    ("episode_index", 10**9, "episode 0 is missing"),
])
def test_episode_rows_hold_indices_and_times_in_range(recorded, tmp_path, column, value, message):
    """Before: tracebacks (int64 overflow in numpy, NaN seeks, an IndexError in validate) or silent nonsense."""
    from lerec.dataset.store.metadata import DatasetMeta

    root = copy_dataset(recorded, tmp_path / "ds")
    set_episode_column(root, column, value, episode=0)
    with pytest.raises(DatasetError, match=f"meta/episodes.*{message}"):
        DatasetMeta.load(root)
