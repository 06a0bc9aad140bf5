"""Browser-test helpers: a real `fireside-lab serve` process (every dashboard behind sign-in) and headless Debian
Chromium driven by Playwright.

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
from urllib.parse import quote, urlparse

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
def fireside_server(env: dict | None = None, timeout: float = 90, address: str = "127.0.0.1"):
    """Serve every dashboard with `fireside-lab serve` on a free port of `address` (default loopback; sign-in
    required); yields the base URL (on 127.0.0.1).

    The server reads the test process's environment plus `env` (so `FIRESIDE_DATA_DIR` of the test's data dir); it
    runs in its own process group, which is stopped after. Its output goes to the file `PANEL_LOG` names, if any."""
    port = free_port()
    cmd = [sys.executable, "-c", "from fireside_lab.cli import main; main()", "serve", "--port", str(port),
           "--address", address]
    log = open(os.environ.get("PANEL_LOG", os.devnull), "w")
    p = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})), stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"fireside-lab serve exited with {p.returncode}: {cmd} (set PANEL_LOG to see why)")
            try:
                with urllib.request.urlopen(base + "/livez", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if time.time() - t0 > timeout:
                raise TimeoutError(f"fireside-lab serve did not answer /livez within {timeout} s")
            time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, 15)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, 9)
            p.wait()
        log.close()


def login(page, base: str, user: str, password: str, next_path: str = "/", timeout_s: float = 60):
    """Sign in through the login form as `user`, then land on `next_path`; fails with the form's error when refused."""
    page.goto(f"{base}/login?next={quote(next_path, safe='')}")
    page.locator("#username").fill(user)
    page.locator("#password").fill(password)
    page.locator("#sign-in").click()
    try:
        page.wait_for_url(lambda url: urlparse(url).path != "/login", timeout=timeout_s * 1000)
    except Exception as e:
        err = page.locator("#login-error")
        why = err.inner_text() if err.count() else "no error shown"
        raise AssertionError(f"sign-in as {user!r} did not leave /login: {why}") from e
    return page


@contextlib.contextmanager
def browser_page(viewport=(1400, 1000)):
    """A Playwright page in headless system Chromium. `page.console_errors` collects console errors and page errors;
    `page.new_session()` opens a page in a fresh browser context (its own cookies: another signed-in user), with its
    own `console_errors`."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            def new_session():
                ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
                pg = ctx.new_page()
                errors: list[str] = []
                pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                pg.on("pageerror", lambda e: errors.append(str(e)))
                pg.console_errors = errors
                pg.new_session = new_session
                return pg
            yield new_session()
        finally:
            browser.close()
