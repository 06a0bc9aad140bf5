"""`make lab`: JupyterLab on the checkout, as root too, with the project's venv registered as the kernel
`fireside-lab` (the default). A notebook chapter opened in headless Chromium runs its first cells on that kernel."""
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from browser import browser_page, free_port

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "nbs/markets/04_files.ipynb"


@contextlib.contextmanager
def make_lab():
    "`make lab` with a fixed port and token, no browser; yields (base URL, token); the process group is ended after."
    port, token = free_port(), secrets.token_hex(16)
    log = open(tempfile.mkstemp(prefix="fireside-lab-", suffix=".log")[1], "w+")
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=tempfile.mkdtemp(prefix="jupyter-runtime-"))
    p = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if p.poll() is not None:
                log.seek(0)
                raise AssertionError(f"make lab exited with {p.returncode}:\n{log.read()[-4000:]}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/api/status", params={"token": token}, timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
            time.sleep(0.5)
        yield base, token
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.seek(0)
        text = log.read()
        log.close()
        assert "Running as root is not recommended" not in text or "--allow-root" in text


@pytest.fixture
def chapter_kept():
    "The chapter's file as it was before the test (JupyterLab saves the notebook it ran into the checkout)."
    before = (ROOT / CHAPTER).read_bytes()
    yield
    (ROOT / CHAPTER).write_bytes(before)


def test_make_lab_serves_the_project_kernel_and_runs_a_chapter(tmp_path, chapter_kept):
    with make_lab() as (base, token):
        auth = {"Authorization": f"token {token}"}
        specs = requests.get(f"{base}/api/kernelspecs", headers=auth, timeout=10).json()
        assert specs["default"] == "fireside-lab", specs["default"]
        spec = specs["kernelspecs"]["fireside-lab"]["spec"]
        assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()     # the project's venv
        # a session for the chapter on the fireside-lab kernel: the page opening the notebook attaches to it
        r = requests.post(f"{base}/api/sessions", headers=auth, timeout=60,
                          json={"path": CHAPTER, "type": "notebook", "name": Path(CHAPTER).name,
                                "kernel": {"name": "fireside-lab"}})
        assert r.status_code == 201, r.text
        with browser_page() as page:
            page.goto(f"{base}/lab/tree/{CHAPTER}?token={token}")
            page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
            kernel = page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName").first   # the kernel on show
            kernel.wait_for(timeout=60_000)
            deadline = time.monotonic() + 60
            while "fireside-lab" not in kernel.inner_text() and time.monotonic() < deadline:
                time.sleep(0.3)
            assert "fireside-lab" in kernel.inner_text(), kernel.inner_text()
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=120_000)
            cells = page.locator(".jp-Notebook .jp-CodeCell")
            cells.first.click()
            for _ in range(4):            # Shift+Enter four times: the first three code cells (and a Markdown cell)
                page.keyboard.press("Shift+Enter")
                time.sleep(0.3)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                prompts = [cells.nth(i).locator(".jp-InputPrompt").inner_text().strip() for i in range(3)]
                if all(pr not in ("[ ]:", "[*]:", "") for pr in prompts):
                    break
                time.sleep(0.5)
            print("\nprompts:", prompts)
            assert all(pr.startswith("[") and pr[1:-2].isdigit() for pr in prompts), prompts   # each ran: [n]:
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0 \
                or "Traceback" not in page.locator(".jp-Notebook").inner_text()
            page.screenshot(path=str(tmp_path / "lab.png"))
        # the kernel ran in the project's venv: it imports the package from the checkout
        sessions = requests.get(f"{base}/api/sessions", headers=auth, timeout=10).json()
        assert [s["kernel"]["name"] for s in sessions if s["path"] == CHAPTER] == ["fireside-lab"]
        print(json.dumps(sessions)[:300])
