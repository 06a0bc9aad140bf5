"""Shared fixtures: every test gets its own data dir (and so its own store and queue); and the groups in which
`make pytest` runs the modules on two processes (pytest-xdist)."""
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


# `make pytest` runs the tests on two pytest-xdist workers, a module at a time (its module-scoped fixtures, such as a
# started server, are set up once). Modules that must not run beside each other share a group, which one worker runs
# after the other:
# - checkout: test_lab lets JupyterLab save a chapter into the checkout (and restores it after), while test_jobs_rerun
#   asserts that runs record a clean checkout (`git_dirty`);
# - model: the modules that load the language model (torch on every CPU) and wait on it with timeouts.
# (xdist's own `--dist loadgroup` marks tests by rewriting `Item._nodeid`, which pytest 9 no longer reads; a scheduler
# of our own, through xdist's `pytest_xdist_make_scheduler` hook, groups by the node id instead.)
GROUPS = {"test_lab": "checkout", "test_jobs_rerun": "checkout",
          "test_model_server": "model", "test_stories_model": "model", "test_stories_quality": "model",
          "test_e2e": "model"}


@pytest.hookimpl(optionalhook=True)       # (a hook of pytest-xdist: unknown without it)
def pytest_xdist_make_scheduler(config, log):
    "The xdist scheduler: each work unit is a module, or a group of modules (GROUPS), sent whole to one worker."
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return GROUPS.get(Path(module).stem, module)

    return ModuleGroups(config, log)
