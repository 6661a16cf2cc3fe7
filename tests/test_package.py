"""The ``lerec`` package: lazy top-level names, its version, and what reading a dataset imports."""

import subprocess
import sys

import lerec


def test_reading_a_dataset_does_not_import_the_recording_stack():
    code = ("import sys, lerec.dataset.reading.reader; "
            "print(sorted(m for m in sys.modules if m.startswith(('lerec.recording', 'lerec.encoding.validation'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_top_level_names_load_on_first_use():
    from lerec import DatasetReader, Recorder
    from lerec.dataset.reading.reader import DatasetReader as reader_class
    from lerec.recording import Recorder as recorder_class

    assert DatasetReader is reader_class and Recorder is recorder_class
    assert set(lerec.__all__) <= set(dir(lerec))
    try:
        lerec.NotAName
    except AttributeError as exc:
        assert "NotAName" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
