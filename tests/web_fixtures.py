"""The web app's test rig: real uvicorn servers on 127.0.0.1, plain HTTP requests, and Debian's chromium driven
by Selenium (skipped only where no chromium and chromium-driver are installed: scripts/setup.sh installs them)."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from lerec.web.app import WebServer, create_app  # noqa: E402
from lerec.web.review import Review  # noqa: E402

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1400,1000")


@contextlib.contextmanager
def serving(review: Review | None = None, live=None, *, host: str = "127.0.0.1", token: str | None = None,
            read_only: bool = False) -> Iterator[WebServer]:
    """The app served on ``host`` (a free port) on a thread, stopped and joined after."""
    app = create_app(review, live, token=token, loopback=token is None, read_only=read_only)
    server = WebServer(app, host, 0, token)
    thread = threading.Thread(target=server.run, name="test-web")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.stop()
        thread.join(30)
        if review is not None:
            review.close()


def port_of(server: WebServer) -> int:
    return server.socket.getsockname()[1]


def request(server: WebServer, path: str, *, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request, the path sent as given (no normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=60)
    try:
        conn.putrequest(method, path, skip_host=headers is not None and "Host" in headers,
                        skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


WRITE = {"X-Lerec-Request": "1", "Content-Type": "application/json"}


def browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture(scope="session")
def browser():
    """Headless chromium (Debian's, with its own chromium-driver) under Selenium, offline, fresh profile."""
    paths = browser_paths()
    if paths is None:
        pytest.skip("no chromium + chromium-driver (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="lerec-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(paths[1]))
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, script: str, *args, timeout_s: float = 60.0):
    """Poll the page's JavaScript ``script`` (a ``return ...``) until it gives a truthy value; that value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script}")
        time.sleep(0.1)


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, "return document.body && document.body.dataset.ready === '1'")


def copy_dataset(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
