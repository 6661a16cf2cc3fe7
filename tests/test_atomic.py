"""Atomic replacement with writers racing on one file, as a save thread and a clean-up once did on stats.json."""

import json
import threading

from lerec.dataset.store.atomic import replace_atomically, write_json_atomically


def test_two_writers_of_one_file_never_share_a_temporary_file(tmp_path):
    path = tmp_path / "stats.json"
    errors = []

    def writer(name):
        try:
            for i in range(200):
                write_json_atomically(path, {"writer": name, "i": i, "pad": "x" * 20_000})
        except Exception as exc:  # the other writer renamed or deleted our temporary file
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("save", "repair")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert json.loads(path.read_text())["i"] == 199  # whole, never half of one and half of the other
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    def fail(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk gone")

    try:
        replace_atomically(tmp_path / "f.parquet", fail)
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
