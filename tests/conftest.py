"""Shared fixtures: every test gets its own data dir (and so its own store and queue)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh FIRESIDE_DATA_DIR for this test, also seen by subprocesses it starts."""
    d = tmp_path / "data"
    monkeypatch.setenv("FIRESIDE_DATA_DIR", str(d))
    from fireside_lab.config import reset_settings
    reset_settings()
    yield d
    reset_settings()


def run_py(code: str, *args, env=None, **kw) -> subprocess.Popen:
    """Start `python -c code args…` with the test's environment (plus `env`)."""
    e = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=e, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
