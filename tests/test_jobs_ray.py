"""The same re-encode job on Ray in local mode (``ray.init(num_cpus=2)``): the output equals the one-process
re-encode byte for byte. One test: starting Ray costs seconds."""

import pytest

import lerec.jobs
from lerec.dataset.editing.edit import reencode_dataset

from jobs_fixtures import Count, assert_same_dataset

ray = pytest.importorskip("ray")

RGB = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}


def test_reencode_on_ray_equals_the_one_process_reencode(recorded, tmp_path):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        count = Count()
        out = lerec.jobs.reencode(recorded, tmp_path / "ray", rgb=RGB, depth={"g": 4}, encoder_threads=1,
                                  executor="ray", workers=2, progress=count)
    finally:
        ray.shutdown()
    reencode_dataset(recorded, tmp_path / "one", rgb=RGB, depth={"g": 4}, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")
    assert count.done == 3
