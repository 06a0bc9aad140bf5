"""Browser-test helpers: a real `panel serve` process and headless Debian Chromium driven by Playwright.

Playwright is pointed at the system binary (`/usr/bin/chromium`); no browser is ever downloaded.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        if p := shutil.which(name):
            return p
    raise RuntimeError("Debian's chromium package is needed for browser tests: apt-get install chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def panel_server(*apps: str | Path, env: dict | None = None, timeout: float = 90, args: list[str] = ()):
    """Serve dashboard files with `panel serve` on a free loopback port; yields the base URL. Stops the server after."""
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", *map(str, apps), "--port", str(port), "--address", "127.0.0.1",
           "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1", *args]
    log = open(os.environ.get("PANEL_LOG", os.devnull), "w")
    p = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})), stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"panel serve exited with {p.returncode}: {cmd}")
            try:
                urllib.request.urlopen(base + "/liveness", timeout=2)
                break
            except Exception:
                try:
                    urllib.request.urlopen(base, timeout=2)
                    break
                except Exception:
                    if time.time() - t0 > timeout:
                        raise TimeoutError(f"panel serve did not answer within {timeout} s")
                    time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, 15)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
        log.close()


@contextlib.contextmanager
def browser_page(viewport=(1400, 1000)):
    """A Playwright page in headless system Chromium. `page.console_errors` collects console errors and page errors."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.console_errors = errors
            yield page
        finally:
            browser.close()
