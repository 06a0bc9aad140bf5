"""The console script: the store's schema commands, and bad settings as one clear line with nothing created half-way."""
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "fireside-lab"


def cli(*args, env):
    return subprocess.run([str(BIN), *args], env=dict(os.environ, **env), capture_output=True, text=True, timeout=120)


def test_db_upgrade_and_status(tmp_path):
    env = {"FIRESIDE_DATA_DIR": str(tmp_path / "d")}
    r = cli("db", "upgrade", env=env)
    assert r.returncode == 0, r.stderr
    assert "applied jobs_0001" in r.stdout and "applied store_0001" in r.stdout
    r = cli("db", "status", env=env)
    assert r.returncode == 0 and "0 pending" in r.stdout, r.stdout + r.stderr
    assert "jobs_0001" in r.stdout and "polls_0001" in r.stdout               # the Alembic revisions, listed
    assert cli("db", "upgrade", env=env).stdout.startswith("0 revision(s) applied")


def test_schema_newer_than_the_code_is_refused(tmp_path):
    import sqlite3
    env = {"FIRESIDE_DATA_DIR": str(tmp_path / "d")}
    assert cli("db", "upgrade", env=env).returncode == 0
    c = sqlite3.connect(tmp_path / "d" / "state.sqlite")
    c.execute("INSERT INTO alembic_version VALUES ('polls_9999')")
    c.commit()
    c.close()
    for args in (("db", "upgrade"), ("db", "status"), ("runs",)):
        r = cli(*args, env=env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "'polls_9999'" in lines[0] and "newer" in lines[0], r.stderr


def test_bad_settings_are_one_line(tmp_path):
    cases = [
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "d"), "FIRESIDE_DEVICE": "tpu"}, "FIRESIDE_DEVICE:"),
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "f" / "sub")}, "FIRESIDE_DATA_DIR:"),
        ({"FIRESIDE_DATA_DIR": str(tmp_path / "d2"), "FIRESIDE_STATE_URL": "postgresql://lab:s3cret@127.0.0.1:1/x"},
         "FIRESIDE_STATE_URL:"),
    ]
    (tmp_path / "f").write_text("a file, not a directory")
    for env, name in cases:
        r = cli("db", "status", env=env)
        assert r.returncode == 2, (env, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}"), r.stderr
        assert "s3cret" not in r.stderr + r.stdout
    assert not (tmp_path / "f" / "sub").exists()


def test_the_data_dir_and_its_files_are_the_users_only(tmp_path):
    """#17 item 5 (fails on 7e1ce76): with a permissive umask (022), `fireside-lab` makes the data dir mode 0700 and
    its files (state, lake catalog, secret key) mode 0600, and tightens a data dir that exists with mode 0755."""
    import stat
    d = tmp_path / "d"
    old = os.umask(0o022)
    try:
        r = cli("db", "upgrade", env={"FIRESIDE_DATA_DIR": str(d)})
        assert r.returncode == 0, r.stderr
        mode = lambda p: stat.S_IMODE(p.stat().st_mode)
        assert mode(d) == 0o700
        files = [p for p in d.rglob("*") if p.is_file()]
        assert any(p.name == "state.sqlite" for p in files) and files
        assert {str(p.relative_to(d)): oct(mode(p)) for p in files if mode(p) & 0o077} == {}
        d.chmod(0o755)
        assert cli("db", "status", env={"FIRESIDE_DATA_DIR": str(d)}).returncode == 0 and mode(d) == 0o700
    finally:
        os.umask(old)


def test_every_settings_section_reads_the_toml_file(tmp_path, monkeypatch):
    """#17 item 5 (fails on 7e1ce76: the feeds, highlights, markets and web sections ignored the TOML file that
    FIRESIDE_CONFIG names, while jobs read it): one behaviour for all — environment first, then the file."""
    from fireside_lab.config import reset_settings
    from fireside_lab.feeds.settings import feed_settings
    from fireside_lab.highlights.signals import load_settings
    from fireside_lab.jobs.tasks import jobs_settings
    from fireside_lab.markets.settings import markets_settings
    from fireside_lab.web.guard import web_settings
    conf = tmp_path / "fireside.toml"
    conf.write_text("half_life_h = 5.0\nthreshold = 0.7\nretention_days = 9\nsession_hours = 2.0\n"
                    "notebook_timeout_s = 77.0\n")
    monkeypatch.setenv("FIRESIDE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("FIRESIDE_CONFIG", str(conf))
    reset_settings()
    assert feed_settings().half_life_h == 5.0
    assert load_settings().threshold == 0.7
    assert markets_settings().retention_days == 9
    assert web_settings().session_hours == 2.0
    assert jobs_settings().notebook_timeout_s == 77.0
    monkeypatch.setenv("FIRESIDE_FEEDS_HALF_LIFE_H", "6")           # the environment wins over the file
    assert feed_settings().half_life_h == 6.0
    reset_settings()
