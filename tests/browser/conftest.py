"""Browser fixtures: the real app in a subprocess, Debian's Chromium driven by Playwright.

Every request the browser makes is recorded; a test fails if any goes to a host other than
the app's own. Chromium missing: the tests skip on a workstation but FAIL in CI (CI=true),
because a green run without a browser would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CONFLICTMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def chromium_or_fail() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        msg = "Debian's chromium is not installed (apt-get install chromium); browser tests cannot run"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own loopback app
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app did not answer at {url} within {timeout}s:\n{log.read_text()[-3000:]}")


class AppServer:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, prefix: str = "/") -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.prefix = prefix
        self.base = f"http://127.0.0.1:{self.port}{prefix}"
        self.log = data_dir / "app.log"
        full_env = dict(os.environ, CONFLICTMAP_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=full_env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_http(self.base, self.proc, self.log)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return chromium_or_fail()


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory) -> Path:
    """A data folder with the bundled data plus, written straight to the store, one hostile
    article and one low-confidence candidate."""
    from tests.browser.candidate_seed import seed_candidate
    from tests.browser.hostile import seed_hostile_article

    data_dir = tmp_path_factory.mktemp("appdata")
    seed_hostile_article(data_dir)
    seed_candidate(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def app_server(seeded_data_dir) -> Iterator[AppServer]:
    server = AppServer(seeded_data_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class RequestLog:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def foreign(self) -> list[str]:
        out = []
        for u in self.urls:
            parts = urlsplit(u)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(u)
        return out


@pytest.fixture
def page(browser):
    """A fresh context and page; asserts at the end that nothing left the machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    log = RequestLog()
    context.on("request", lambda req: log.urls.append(req.url))
    pg = context.new_page()
    pg.request_log = log  # type: ignore[attr-defined]
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert log.urls, "the browser made no request at all: the page did not load"
    assert log.foreign() == [], f"requests left the machine: {log.foreign()}"
