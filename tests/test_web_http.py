"""The web app over real HTTP (uvicorn on 127.0.0.1): episode cuts served by range, the API, and the security
rules: paths confined to the root, the Host header, the token, writes, read-only, 4xx for bad requests."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from dataset_fixtures import FRONT, WRIST, DEPTH
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.store.labels import read_labels
from lerec.dataset.store.metadata import DatasetMeta
from recording_fixtures import barcodes, episode_frames
from web_fixtures import WRITE, copy_dataset, request, serving
from lerec.web.review import Review


LEROBOT_PYTHON = Path(os.environ.get("LEROBOT_PYTHON", "/opt/lerobot-venv/bin/python"))
LEROBOT_LOAD = """
import sys
from lerobot.datasets.lerobot_dataset import LeRobotDataset
ds = LeRobotDataset("local/labelled", root=sys.argv[1])
print(len(ds), int(ds[len(ds) - 1]["episode_index"]), list(ds.meta.episodes["success"]))
"""


def decode_mp4(data: bytes) -> list[tuple[float, np.ndarray]]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]


@pytest.fixture
def dataset(recorded, tmp_path) -> Path:
    return copy_dataset(recorded, tmp_path / "ds")


def test_an_episode_cut_is_that_episode_from_time_zero_served_by_ranges(dataset):
    with serving(Review(dataset)) as server:
        url = f"/api/episodes/1/video/{FRONT}"
        status, headers, whole = request(server, url)
        assert status == 200 and headers["accept-ranges"] == "bytes" and headers["content-type"] == "video/mp4"
        pieces, start = [], 0
        while start < len(whole):  # the browser's way: ranges, here of 1000 bytes
            status, headers, part = request(server, url, headers={"Range": f"bytes={start}-{start + 999}"})
            assert status == 206
            assert headers["content-range"] == f"bytes {start}-{start + len(part) - 1}/{len(whole)}"
            pieces.append(part)
            start += len(part)
        assert b"".join(pieces) == whole
        status, _, tail = request(server, url, headers={"Range": "bytes=-100"})
        assert status == 206 and tail == whole[-100:]
    frames = decode_mp4(whole)
    assert [round(t * 30) for t, _ in frames] == list(range(20))  # frame k at k / fps, from 0
    assert barcodes([f for _, f in frames]) == barcodes(episode_frames(dataset, FRONT, 1))
    assert len(whole) < (dataset / "videos" / FRONT / "chunk-000" / "file-000.mp4").stat().st_size


def test_the_table_the_episode_and_its_frames(dataset):
    with serving(Review(dataset)) as server:
        status, _, body = request(server, "/api/episodes")
        rows = json.loads(body)
        assert status == 200 and [r["index"] for r in rows] == [0, 1, 2]
        assert all(r["length"] == 20 and r["tasks"] == ["pick the cube"] for r in rows)
        status, _, body = request(server, "/api/episodes/2")
        episode = json.loads(body)
        streams = {s["key"]: s for s in episode["streams"]}
        assert streams[FRONT]["as"] == "video" and streams[WRIST]["as"] == "video"
        assert streams[DEPTH] == {"key": DEPTH, "kind": "depth", "as": "frames"}
        with DatasetReader(dataset) as reader:
            state = reader.rows(2)["observation.state"]
        assert np.allclose(episode["series"]["observation.state"]["values"], state)
        assert episode["series"]["observation.state"]["names"] == ["x", "y", "z"]
        for path in (f"/api/episodes/0/thumbnail/{FRONT}", f"/api/episodes/2/frames/{DEPTH}/7"):
            status, headers, body = request(server, path)
            assert status == 200 and headers["content-type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
        image = av.open(io.BytesIO(body)).decode(video=0).__next__().to_ndarray(format="rgb24")
        assert image.shape[2] == 3 and np.ptp(image.astype(int), axis=2).max() > 40  # colourised, not grey


def test_dataset_files_are_confined_to_the_root(dataset, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("CONTENT-OF-A-FILE-OUTSIDE")
    (dataset / "meta" / "out").symlink_to(outside)
    (dataset / "meta" / "in").symlink_to(dataset / "meta" / "info.json")
    with serving(Review(dataset)) as server:
        status, _, body = request(server, "/files/meta/info.json")
        assert status == 200 and body == (dataset / "meta/info.json").read_bytes()
        status, _, body = request(server, "/files/meta/info.json", headers={"Range": "bytes=0-9"})
        assert status == 206 and body == (dataset / "meta/info.json").read_bytes()[:10]
        refused = ["/files/../secret.txt", "/files/meta/../../secret.txt", "/files/%2e%2e/secret.txt",
                   "/files/meta%2f..%2f..%2fsecret.txt", "/files//etc/passwd", f"/files/{outside}",
                   "/files/meta/out", "/files/meta/in", "/files/meta\\..\\..\\secret.txt", "/static/..%2fapp.py",
                   "/files/meta/nothing.json", "/files/meta"]
        for path in refused:
            status, _, body = request(server, path)
            assert 400 <= status < 500, (path, status)
            assert b"CONTENT-OF-A-FILE-OUTSIDE" not in body and b"Traceback" not in body, path


def test_bad_requests_get_a_4xx_with_one_line(dataset):
    with serving(Review(dataset, output=dataset.parent / "out")) as server:
        cases = [("GET", "/api/episodes/3", None, 404), ("GET", "/api/episodes/-1", None, 404),
                 ("GET", "/api/episodes/x", None, 404), ("GET", f"/api/episodes/0/video/{DEPTH}", None, 404),
                 ("GET", "/api/episodes/0/video/observation.images.nope", None, 404),
                 ("GET", f"/api/episodes/0/frames/{FRONT}/20", None, 404),
                 ("POST", "/api/delete", b"{not json", 400), ("POST", "/api/delete", b'{"episodes": []}', 400),
                 ("POST", "/api/delete", b'{"episodes": ["1"]}', 400), ("POST", "/api/delete", b"[1]", 400),
                 ("POST", "/api/delete", b'{"episodes": [9]}', 404), ("DELETE", "/api/episodes", None, 405),
                 ("POST", "/api/live/command", b'{"command": "next"}', 404), ("GET", "/nothing", None, 404)]
        for method, path, body, expected in cases:
            status, _, text = request(server, path, method=method, body=body, headers=WRITE)
            assert status == expected, (method, path, body, status, text)
            assert b"Traceback" not in text and len(text.splitlines()) <= 1
        status, _, _ = request(server, f"/api/episodes/0/video/{FRONT}", headers={"Range": "bytes=999999-"})
        assert status == 416
        status, _, _ = request(server, f"/api/episodes/0/video/{FRONT}", headers={"Range": "lines=1-2"})
        assert status == 416
    assert not (dataset.parent / "out").exists()


def test_loopback_server_answers_its_own_host_names_only(dataset):
    with serving(Review(dataset)) as server:
        assert server.socket.getsockname()[0] == "127.0.0.1"
        for host in ("127.0.0.1", "localhost:1234", "[::1]:80"):
            assert request(server, "/api/about", headers={"Host": host})[0] == 200
        for host in ("evil.example", "evil.example:80", "127.0.0.1.evil.example", ""):
            status, _, body = request(server, "/api/about", headers={"Host": host})
            assert status == 403 and b"review" not in body


def test_a_token_is_required_on_every_request(dataset):
    token = "t0ken-for-the-test"
    with serving(Review(dataset), host="0.0.0.0", token=token) as server:
        assert token in server.url
        for path in ("/", "/review", "/static/review.js", "/api/episodes", f"/api/episodes/0/video/{FRONT}",
                     "/files/meta/info.json", "/api/episodes/0/label"):
            assert request(server, path)[0] == 403, path
            assert request(server, path + "?token=wrong")[0] == 403, path
            assert request(server, path, headers={"X-Lerec-Token": token[:-1]})[0] == 403, path
        status, headers, _ = request(server, f"/review?token={token}")
        assert status == 200 and f"lerec_token={token}" in headers["set-cookie"]
        assert "HttpOnly" in headers["set-cookie"]
        assert request(server, "/api/episodes", headers={"Cookie": f"lerec_token={token}"})[0] == 200
        assert request(server, "/api/episodes", headers={"X-Lerec-Token": token})[0] == 200
        assert request(server, "/api/episodes", headers={"Host": "robot.lan:8000", "X-Lerec-Token": token})[0] == 200


def test_writes_need_the_apps_header_and_are_refused_read_only(dataset):
    before = {p: p.read_bytes() for p in sorted((dataset / "meta").rglob("*")) if p.is_file()}
    out = dataset.parent / "out"
    with serving(Review(dataset, output=out)) as server:
        status, _, _ = request(server, "/api/delete", method="POST", body=b'{"episodes": [1]}',
                               headers={"Content-Type": "application/json"})
        assert status == 403  # a cross-site form cannot send the header
    with serving(Review(dataset, output=out, read_only=True), read_only=True) as server:
        for path, body in (("/api/delete", b'{"episodes": [1]}'), ("/api/episodes/1/label", b'{"success": true}')):
            status, _, text = request(server, path, method="POST", body=body, headers=WRITE)
            assert status == 403 and b"read-only" in text
        assert json.loads(request(server, "/api/about")[2])["read_only"] is True
    assert not out.exists()
    assert before == {p: p.read_bytes() for p in sorted((dataset / "meta").rglob("*")) if p.is_file()}


def test_applying_a_deletion_writes_a_new_dataset_and_keeps_the_source(dataset):
    out = dataset.parent / "out"
    with serving(Review(dataset, output=out)) as server:
        status, _, _ = request(server, "/api/episodes/2/label", method="POST", body=b'{"success": true}',
                               headers=WRITE)
        assert status == 200
        status, _, body = request(server, "/api/delete", method="POST", body=b'{"episodes": [1]}', headers=WRITE)
        assert status == 200 and json.loads(body) == {"output": str(out), "deleted": [1], "episodes": 2}
        status, _, body = request(server, "/api/delete", method="POST", body=b'{"episodes": [0]}', headers=WRITE)
        assert status == 409 and b"already holds" in body  # never written over
    assert len(DatasetMeta.load(out).episodes) == 2 and len(DatasetMeta.load(dataset).episodes) == 3
    assert barcodes(episode_frames(out, FRONT, 1)) == barcodes(episode_frames(dataset, FRONT, 2))
    assert read_labels(out)[1].success is True  # the label went with its episode


def test_a_server_killed_while_applying_leaves_no_half_dataset(dataset):
    out = dataset.parent / "out"
    proc = _review_cli(str(dataset), "--port", "0", "--output", str(out))
    try:
        port = int(proc.stdout.readline().split(" at ", 1)[1].strip().rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/delete", body=b'{"episodes": [0]}', headers=WRITE)
        time.sleep(0.3)  # somewhere in the middle of the copy, or before, or after: never half of it
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert not out.exists() or len(DatasetMeta.load(out).episodes) == 2
    assert len(DatasetMeta.load(dataset).episodes) == 3


def test_labels_written_back_to_meta_episodes(dataset):
    with serving(Review(dataset)) as server:
        body = json.dumps({"success": False, "tags": ["dropped", " slow "], "notes": "gripper slipped"}).encode()
        status, _, text = request(server, "/api/episodes/1/label", method="POST", body=body, headers=WRITE)
        assert status == 200, text
        assert json.loads(text) == {"success": False, "tags": ["dropped", "slow"], "notes": "gripper slipped"}
        for bad in (b'{"success": "yes"}', b'{"tags": "a,b"}', b'{"notes": 3}', b'{"colour": "red"}'):
            status, _, _ = request(server, "/api/episodes/1/label", method="POST", body=bad, headers=WRITE)
            assert status == 400, bad
        rows = json.loads(request(server, "/api/episodes")[2])
        assert [r["success"] for r in rows] == [None, False, None]
    table = pq.read_table(next((dataset / "meta" / "episodes").rglob("*.parquet"))).to_pydict()
    assert table["success"] == [None, False, None] and table["tags"][1] == ["dropped", "slow"]
    assert table["notes"][1] == "gripper slipped"
    if LEROBOT_PYTHON.exists():  # CI: LeRobot 0.6.1 loads the labelled dataset
        done = subprocess.run([str(LEROBOT_PYTHON), "-c", LEROBOT_LOAD, str(dataset)], capture_output=True,
                              text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().splitlines()[-1] == "60 2 [None, False, None]"


def _review_cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "lerec", "review", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_cli_on_all_addresses_prints_a_token_url_and_stops_on_ctrl_c(dataset):
    proc = _review_cli(str(dataset), "--host", "0.0.0.0", "--port", "0")
    try:
        line = proc.stdout.readline()
        assert "?token=" in line, line + proc.stderr.read()
        url = line.split(" at ", 1)[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("?token=")[1]
        for path, expected in (("/api/episodes", 403), (f"/api/episodes?token={token}", 200)):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path)
            assert conn.getresponse().status == expected
            conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err  # the house's Ctrl-C status


@pytest.mark.parametrize("args, code, message", [
    (["--port", "70000"], 2, "--port=70000"),
    (["--output", "{root}"], 2, "--output="),
])
def test_cli_bad_settings_exit_2_with_one_line(dataset, args, code, message):
    args = [a.format(root=dataset) for a in args]
    proc = _review_cli(str(dataset), *args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code and message in err and err.startswith("lerec review: error: ")
    assert len(err.strip().splitlines()) == 1


def test_cli_on_a_folder_that_is_no_dataset_exits_1(tmp_path):
    proc = _review_cli(str(tmp_path / "none"), "--port", "0")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "does not exist" in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["127.0.0.1:99999", "localhost:http", "8000x"])
def test_record_web_with_a_bad_address_exits_2_before_recording(tmp_path, value):
    root = tmp_path / "ds"
    done = subprocess.run([sys.executable, "-m", "lerec", "record", "--dataset.root", str(root), "--web", value],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith(f"lerec record: error: --web={value}")
    assert len(done.stderr.strip().splitlines()) == 1 and not root.exists()
