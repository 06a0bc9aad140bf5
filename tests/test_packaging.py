"""The package alone: `pip install .` into a fresh virtual environment (no extras: no pytest, nbdev, playwright,
jupytext or JupyterLab) imports every module, answers `fireside-lab --help` and upgrades a new store."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _sources(dest: Path) -> Path:
    "The checkout's files as git sees them (tracked, and new files not ignored) copied to `dest`: what a clone has."
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    return dest


@pytest.mark.timeout(1200)
def test_fresh_venv_install_without_extras(tmp_path):
    src = _sources(tmp_path / "src")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    links = ["--find-links", "/opt/wheels"] if Path("/opt/wheels").is_dir() else []
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", *links, "-c", str(src / "constraints.txt"), str(src)],
                       capture_output=True, text=True, timeout=1100)
    assert r.returncode == 0, r.stderr[-4000:]
    env = dict(os.environ, FIRESIDE_DATA_DIR=str(tmp_path / "data"))
    env.pop("PYTHONPATH", None)
    cli = venv / "bin" / "fireside-lab"
    help_ = subprocess.run([str(cli), "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert help_.returncode == 0 and "Usage: fireside-lab" in help_.stdout, help_.stderr[-3000:]
    up = subprocess.run([str(cli), "db", "upgrade"], capture_output=True, text=True, env=env, timeout=300)
    assert up.returncode == 0 and "revision(s) applied" in up.stdout, up.stdout + up.stderr[-3000:]
    assert int(up.stdout.split(" revision(s) applied")[0].split()[-1]) > 20
    code = """
import importlib, importlib.util, pkgutil, fireside_lab
mods = [m.name for m in pkgutil.walk_packages(fireside_lab.__path__, "fireside_lab.") if ".migrations" not in m.name]
for m in mods: importlib.import_module(m)
assert fireside_lab.__file__.startswith(%r), fireside_lab.__file__          # the installed copy, not the checkout
absent = [t for t in ("pytest", "nbdev", "playwright", "jupytext", "jupyterlab") if importlib.util.find_spec(t)]
print(len(mods), "modules;", "test/dev tools present:", absent)
""" % str(venv)
    imp = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert imp.returncode == 0, imp.stderr[-4000:]
    print(imp.stdout)
    assert "test/dev tools present: []" in imp.stdout and int(imp.stdout.split()[0]) > 80
