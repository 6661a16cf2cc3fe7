"""The v3.0 layout is spelled in one module: every other module names paths, globs and location columns through
lerec.dataset.spec.format."""

import re
from pathlib import Path

import lerec

SPELLED = re.compile(r"""f?["']videos/|chunk-\*|file-\*|["']data/(chunk|file)_index|meta/episodes/(chunk|file)""")


def test_only_format_spells_the_layout():
    package = Path(lerec.__file__).parent
    found = [f"{path.relative_to(package)}:{n}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if path.name != "format.py" or path.parent.name != "spec"
             for n, line in enumerate(path.read_text().splitlines(), 1) if SPELLED.search(line)]
    assert found == []
