"""The web app in a real browser (headless chromium under Selenium), clicked through as a user would: the table,
filtering and sorting, playing an episode with every camera in sync, stepping frames, labelling, deleting, and the
live page's buttons during a real `lerec record --web`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset_fixtures import DEPTH, FRONT, WRIST
from lerec.dataset.store.metadata import DatasetMeta
from recording_fixtures import barcodes, episode_frames
from web_fixtures import browser, copy_dataset, open_page, serving, wait_for  # noqa: F401
from lerec.web.review import Review

pytestmark = pytest.mark.slow

ROWS = "return [...document.querySelectorAll('#episodes tbody tr')].map(r => Number(r.dataset.episode))"


@pytest.fixture
def dataset(recorded, tmp_path) -> Path:
    return copy_dataset(recorded, tmp_path / "ds")


def test_table_filters_sorts_and_shows_a_thumbnail_per_camera(browser, dataset):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with serving(Review(dataset)) as server:
        open_page(browser, server.url)
        assert browser.current_url.endswith("/review")
        assert browser.execute_script(ROWS) == [0, 1, 2]
        heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#head th")]
        assert heads[:6] == ["Episode", "Task", "Length", "Success", "Tags", "Notes"]
        assert heads[6:9] == ["front", "wrist", "wrist_depth"]
        wait_for(browser, "const i = [...document.querySelectorAll('img.thumb')];"
                          "return i.length === 9 && i.every(x => x.complete && x.naturalWidth > 0)")
        browser.find_element(By.CSS_SELECTOR, "th[data-sort=index]").click()  # sorted already: now descending
        assert browser.execute_script(ROWS) == [2, 1, 0]
        box = browser.find_element(By.ID, "filter")
        box.send_keys("2")
        assert browser.execute_script(ROWS) == [2]
        box.clear()
        box.send_keys("pick the")
        assert browser.execute_script(ROWS) == [2, 1, 0]
        Select(browser.find_element(By.ID, "success-filter")).select_by_value("false")
        assert browser.execute_script(ROWS) == []
        Select(browser.find_element(By.ID, "success-filter")).select_by_value("unset")
        assert browser.execute_script(ROWS) == [2, 1, 0]
        assert "3 of 3 episodes" in browser.find_element(By.ID, "count").text


def test_an_episode_plays_every_camera_in_sync_and_steps_frame_by_frame(browser, dataset):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with serving(Review(dataset)) as server:
        open_page(browser, server.url + "episodes/1")
        videos = browser.find_elements(By.TAG_NAME, "video")
        assert [v.get_attribute("data-key") for v in videos] == [FRONT, WRIST]
        wait_for(browser, "return [...document.querySelectorAll('video')].every(v => v.readyState >= 2)")
        browser.find_element(By.ID, "play").click()
        wait_for(browser, "return document.querySelector('video').currentTime > 0.3")
        # The videos show frames: decoded frames counted, and pixels drawn from the element are not blank.
        assert browser.execute_script("""
            return [...document.querySelectorAll('video')].every(v => {
              const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
              const g = c.getContext('2d'); g.drawImage(v, 0, 0);
              const px = g.getImageData(0, 0, c.width, c.height).data;
              return v.getVideoPlaybackQuality().totalVideoFrames > 0 && px.some((x, i) => i % 4 !== 3 && x > 0);
            })""")
        wait_for(browser, "return document.querySelector('video').paused")  # 20 frames: it ends by itself
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.HOME)  # not a command: nothing happens
        browser.execute_script("document.getElementById('seek').value = 4;"
                               "document.getElementById('seek').dispatchEvent(new Event('input'))")
        wait_for(browser, "return document.getElementById('frame').textContent === '4'")
        body.send_keys(Keys.ARROW_RIGHT)
        body.send_keys(Keys.ARROW_RIGHT)
        body.send_keys(".")
        wait_for(browser, "return document.getElementById('frame').textContent === '7'")
        body.send_keys(Keys.ARROW_LEFT)
        wait_for(browser, "return document.getElementById('frame').textContent === '6'")
        times = browser.execute_script("return [...document.querySelectorAll('video')].map(v => v.currentTime)")
        assert all(abs(t - 6.5 / 30) < 1e-3 for t in times), times
        wait_for(browser, "const i = document.querySelector('img[data-key=\"%s\"]');"
                          "return i.dataset.shown === '6' && i.naturalWidth > 0" % DEPTH)
        cursors = browser.execute_script("return [...document.querySelectorAll('canvas.plot')]"
                                         ".map(c => [c.dataset.key, c.dataset.cursor])")
        assert sorted(cursors) == [["action", "6"], ["observation.state", "6"]]
        # Frame 6 of the page is frame 6 of the episode: what the browser shows at that time is that frame.
        shown = browser.execute_script("""
            const v = document.querySelector('video'); const c = document.createElement('canvas');
            c.width = v.videoWidth; c.height = v.videoHeight; const g = c.getContext('2d'); g.drawImage(v, 0, 0);
            return Array.from(g.getImageData(0, 0, c.width, c.height).data)""")
    import numpy as np

    frame = np.array(shown, dtype=np.uint8).reshape(48, 64, 4)[..., :3]
    assert barcodes([frame]) == barcodes([episode_frames(dataset, FRONT, 1)[6]])


def test_label_an_episode_and_read_it_from_meta_episodes(browser, dataset):
    from selenium.webdriver.common.by import By

    with serving(Review(dataset)) as server:
        open_page(browser, server.url + "episodes/2")
        browser.find_element(By.ID, "mark-failure").click()
        browser.find_element(By.ID, "tags").send_keys("dropped, slow")
        browser.find_element(By.ID, "notes").send_keys("the cube slipped")
        browser.find_element(By.ID, "save-label").click()
        wait_for(browser, "return document.getElementById('label-status').textContent === 'saved'")
        open_page(browser, server.url + "review")
        cells = browser.execute_script("return [...document.querySelector('tr[data-episode=\"2\"]').cells]"
                                       ".slice(3, 6).map(c => c.textContent)")
        assert cells == ["failure", "dropped, slow", "the cube slipped"]
    table = pq.read_table(next((dataset / "meta" / "episodes").rglob("*.parquet"))).to_pydict()
    assert table["success"] == [None, None, False]
    assert table["tags"][2] == ["dropped", "slow"] and table["notes"][2] == "the cube slipped"


def test_mark_an_episode_for_deletion_and_apply(browser, dataset):
    from selenium.webdriver.common.by import By

    out = dataset.parent / "curated"
    with serving(Review(dataset, output=out)) as server:
        open_page(browser, server.url)
        button = browser.find_element(By.ID, "apply-delete")
        assert not button.is_enabled()
        browser.find_element(By.CSS_SELECTOR, "tr[data-episode='0'] input.mark").click()
        assert "marked" in browser.find_element(By.CSS_SELECTOR, "tr[data-episode='0']").get_attribute("class")
        assert button.text == "apply deletion (1 marked)"
        button.click()
        wait_for(browser, "return document.getElementById('delete-result').textContent.startsWith('wrote')")
    assert len(DatasetMeta.load(out).episodes) == 2 and len(DatasetMeta.load(dataset).episodes) == 3
    assert barcodes(episode_frames(out, FRONT, 0)) == barcodes(episode_frames(dataset, FRONT, 1))


def test_read_only_review_offers_no_writes(browser, dataset):
    from selenium.webdriver.common.by import By

    with serving(Review(dataset, read_only=True), read_only=True) as server:
        open_page(browser, server.url)
        assert browser.find_elements(By.CSS_SELECTOR, "input.mark") == []
        assert not browser.find_element(By.ID, "delete-panel").is_displayed()
        open_page(browser, server.url + "episodes/0")
        assert not browser.find_element(By.ID, "label-panel").is_displayed()


class _Lines:
    """The lines a process writes to a pipe, collected by a thread (joined when the pipe closes)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,))
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, timeout_s: float = 120) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if text in line), None)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no line with {text!r} in {''.join(self.lines)}")


def test_live_page_shows_the_cameras_and_its_buttons_steer_the_recording(browser, tmp_path):
    from selenium.webdriver.common.by import By

    root = tmp_path / "live"
    cameras = "{front: {type: synthetic, width: 160, height: 120, fps: 15}, " \
              "wrist: {type: synthetic, width: 160, height: 120, fps: 15, depth: true}}"
    cmd = [sys.executable, "-m", "lerec", "record", "--dataset.root", str(root), "--dataset.fps", "15",
           "--dataset.num_episodes", "5", "--dataset.episode_time_s", "120", "--cameras", cameras,
           "--dataset.rgb_encoder.vcodec", "h264", "--dataset.rgb_encoder.preset", "ultrafast", "--web", "127.0.0.1:0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    err = _Lines(proc.stderr)
    try:
        url = err.wait_for("web page: ").split("web page: ", 1)[1].strip()
        open_page(browser, url)
        assert browser.current_url.endswith("/live")
        wait_for(browser, "return document.querySelectorAll('#streams img').length === 3 && "
                          "[...document.querySelectorAll('#streams img')].every(i => Number(i.dataset.frames) >= 2)")
        wait_for(browser, "return document.getElementById('phase').textContent === 'recording'")
        timer = browser.find_element(By.ID, "timer").text
        wait_for(browser, "return document.getElementById('timer').textContent !== arguments[0]", timer)
        browser.find_element(By.ID, "success").click()
        wait_for(browser, "return document.getElementById('command-result').textContent.includes('episode 0: success')")
        browser.find_element(By.ID, "next").click()
        wait_for(browser, "return document.getElementById('saved').textContent === '1'")
        wait_for(browser, "return document.getElementById('phase').textContent === 'recording' && "
                          "document.getElementById('episode').textContent === '1'")
        browser.find_element(By.ID, "rerecord").click()
        err.wait_for("discarded")
        wait_for(browser, "return document.getElementById('phase').textContent === 'recording'")
        browser.find_element(By.ID, "failure").click()
        wait_for(browser, "return document.getElementById('command-result').textContent.includes('episode 1: failure')")
        browser.find_element(By.ID, "stop").click()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.thread.join(30)
        proc.stdout.close()
    assert proc.returncode == 0, "".join(err.lines)
    assert len(DatasetMeta.load(root).episodes) == 2  # next saved one, re-record discarded one, stop saved one
    table = pq.read_table(next((root / "meta" / "episodes").rglob("*.parquet"))).to_pydict()
    assert table["success"] == [True, False]
