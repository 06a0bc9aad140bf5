"""The console script: bad settings are one clear line and nothing is created half-way."""
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "fireside-lab"


def cli(*args, env):
    import os
    return subprocess.run([str(BIN), *args], env=dict(os.environ, **env), capture_output=True, text=True, timeout=120)


def test_db_upgrade_and_status(tmp_path):
    env = {"FIRESIDE_DATA_DIR": str(tmp_path / "d")}
    r = cli("db", "upgrade", env=env)
    assert r.returncode == 0, r.stderr
    assert "applied store#1" in r.stdout
    r = cli("db", "status", env=env)
    assert r.returncode == 0 and "0 pending" in r.stdout, r.stdout + r.stderr
    assert cli("db", "upgrade", env=env).stdout.startswith("0 migration(s) applied")


def test_bad_settings_are_one_line(tmp_path):
    cases = [
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "d"), "FIRESIDE_DEVICE": "tpu"}, "FIRESIDE_DEVICE:"),
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "f" / "sub")}, "FIRESIDE_DATA_DIR:"),
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "d2"), "FIRESIDE_STATE_URL": "postgresql://u@127.0.0.1:1/x"}, "FIRESIDE_STATE_URL:"),
    ]
    (tmp_path / "f").write_text("a file, not a directory")
    for env, name in cases:
        r = cli("db", "status", env=env)
        assert r.returncode == 2, (env, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}"), r.stderr
    assert not (tmp_path / "f" / "sub").exists()
