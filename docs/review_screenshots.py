"""Take the pictures of docs/review.md: a small synthetic dataset reviewed, and a live `lerec record --web`, in
headless chromium (Debian's chromium + chromium-driver, through Selenium).

    python docs/review_screenshots.py          # writes docs/review_table.png, review_episode.png, review_live.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from web_fixtures import CHROMIUM_FLAGS, browser_paths, open_page, serving, wait_for  # noqa: E402

from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig  # noqa: E402
from lerec.dataset.store.labels import label_episodes  # noqa: E402
from lerec.web.review import Review  # noqa: E402

STATE = {"observation.state": {"dtype": "float32", "shape": [3], "names": ["x", "y", "z"]},
         "action": {"dtype": "float32", "shape": [3], "names": ["x", "y", "z"]}}


def record(root: Path) -> None:
    cams = {"front": SyntheticCameraConfig(width=320, height=240, fps=30),
            "wrist": SyntheticCameraConfig(width=320, height=240, fps=30, depth=True)}
    tick = iter(range(10**9))

    def step():
        t = next(tick) / 30
        state = np.array([np.sin(t), np.cos(1.3 * t), 0.5 * np.sin(0.7 * t)], dtype=np.float32)
        return {"observation.state": state, "action": state + np.float32(0.1)}

    async def go():
        async with Recorder.create(root, 30, cams, STATE, rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="fast"),
                                   ) as rec:
            for task in ("pick the cube", "pick the cube", "stack the blocks", "pick the cube"):
                await rec.record_episode(task, num_frames=90, step=step)

    anyio.run(go)


def shrink(path: Path) -> None:
    """Fewer colours, a much smaller PNG (when Pillow is there; else the screenshot as it is)."""
    try:
        from PIL import Image
    except ImportError:
        return
    Image.open(path).convert("RGB").quantize(96).save(path, optimize=True)


def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag.replace("1400,1000", "1100,760"))
    return webdriver.Chrome(options=options, service=Service(chromedriver))


def main() -> int:
    browser = driver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "pick_cube"
            record(root)
            label_episodes(root, [0, 2], success=True)
            label_episodes(root, [1], success=False, tags=("dropped",), notes="the cube slipped")
            with serving(Review(root, output=Path(tmp) / "curated")) as server:
                open_page(browser, server.url)
                wait_for(browser, "return [...document.querySelectorAll('img.thumb')].every(i => i.naturalWidth)")
                browser.find_element("css selector", "tr[data-episode='1'] input.mark").click()
                browser.save_screenshot(str(HERE / "review_table.png"))
                open_page(browser, server.url + "episodes/1")
                wait_for(browser, "return [...document.querySelectorAll('video')].every(v => v.readyState >= 2)")
                browser.execute_script("document.getElementById('seek').value = 40;"
                                       "document.getElementById('seek').dispatchEvent(new Event('input'))")
                wait_for(browser, "return document.querySelector('img[data-key$=_depth]').dataset.shown === '40'")
                time.sleep(0.5)
                browser.save_screenshot(str(HERE / "review_episode.png"))
            proc = subprocess.Popen([sys.executable, "-m", "lerec", "record", "--dataset.root", str(Path(tmp) / "live"),
                                     "--dataset.episode_time_s", "60", "--web", "127.0.0.1:0",
                                     "--dataset.rgb_encoder.vcodec", "h264", "--dataset.rgb_encoder.preset",
                                     "ultrafast"], stderr=subprocess.PIPE, text=True)
            try:
                url = next(line for line in proc.stderr if "web page: " in line).split("web page: ")[1].strip()
                open_page(browser, url)
                wait_for(browser, "return [...document.querySelectorAll('#streams img')]"
                                  ".every(i => Number(i.dataset.frames) >= 2) && document.getElementById('saved')"
                                  ".textContent !== ''")
                time.sleep(2)
                browser.save_screenshot(str(HERE / "review_live.png"))
            finally:
                proc.terminate()
                proc.communicate(timeout=60)
    finally:
        browser.quit()
    for name in ("review_table.png", "review_episode.png", "review_live.png"):
        shrink(HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
