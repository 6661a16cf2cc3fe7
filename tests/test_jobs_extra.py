"""Without the ``scale`` extra (datatrove and Ray), ``--executor`` says what to install and writes nothing."""

import subprocess
import sys


def test_without_the_scale_extra_executor_says_what_to_install(recorded, tmp_path):
    blocked = ("import sys; sys.modules['datatrove'] = None; from lerec.cli import main; "
               f"sys.exit(main(['merge', {str(recorded)!r}, {str(recorded)!r}, '--output', "
               f"{str(tmp_path / 'out')!r}, '--executor', 'local']))")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True)
    assert done.returncode == 2
    assert "--executor needs lerec[scale]: pip install 'lerec[scale]'" in done.stderr
    assert not (tmp_path / "out").exists()
