"""YAML/JSON flag values (``--cameras``, ``--robot``, ``--teleop``): parsed strictly, errors on one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lerec.errors import SettingsError


class DuplicateKey(yaml.YAMLError):
    """A mapping gives one key twice (PyYAML would keep the last silently)."""

    def __init__(self, key: Any, top_level: bool, mark: yaml.Mark):
        self.key, self.top_level, self.mark = key, top_level, mark
        super().__init__(f"{key!r} is given twice")


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise DuplicateKey(key, node is self._root, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_document(self, node):
        self._root = node
        return super().construct_document(node)


def read_text_file(path: Path, option: str) -> str:
    """The text of a ``--cameras``/``--robot`` file; one that cannot be read as UTF-8 text is a SettingsError."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{option}={path}: not a text file (give a YAML or JSON file)") from None
    except OSError as exc:
        raise SettingsError(f"{option}={path}: cannot read it ({exc.strerror or exc})") from None


def where(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


def load_yaml(text: str, option: str, top_level_key: str = "key") -> Any:
    """``text`` parsed as YAML (JSON is YAML); a syntax error or a key given twice is a one-line SettingsError
    naming ``option``, the line and column and the parser's problem (``top_level_key`` names a top-level key)."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except DuplicateKey as exc:
        what = top_level_key if exc.top_level else "key"
        raise SettingsError(f"{option}: {what} {exc.key!r} is given twice ({where(exc.mark)}); give it once") from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "not valid YAML/JSON"
        raise SettingsError(f"{option} is not valid YAML/JSON: {problem} at {where(exc.problem_mark)}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{option} is not valid YAML/JSON: {' '.join(str(exc).split())}") from None
