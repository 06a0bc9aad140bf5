"""Helpers of the jobs tests: real worker processes (`fireside-lab worker`) and a real Redis server, on loopback."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker_env(extra: dict | None = None) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    env.update(extra or {})
    return env


class Worker:
    """A `fireside-lab worker` process in its own session (so the test can kill it and its children together)."""

    def __init__(self, workers: int = 1, queue: str = "cpu", env: dict | None = None, log: Path | None = None, args=()):
        self.log = log or Path(tempfile.mkstemp(prefix="fireside-worker-", suffix=".log")[1])
        self._f = open(self.log, "w")
        cmd = [sys.executable, "-c", "from fireside_lab.cli import main; main()", "worker", "--queue", queue,
               "--workers", str(workers), "--import", "jobs_tasks", *args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=worker_env(env), stdout=self._f, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_up(self, timeout: float = 60):
        "Wait until this worker's heartbeat row is written."
        from fireside_lab import jobs
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            df = jobs.workers()
            if ((df["pid"] == self.pid) & (df["status"] == "up")).any():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"worker {self.pid} did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._f.close()


@contextlib.contextmanager
def workers(n: int = 2, per: int = 1, env: dict | None = None):
    "`n` worker processes (each with `per` huey process workers), up before the block runs, stopped after."
    ws = [Worker(per, env=env) for _ in range(n)]
    try:
        for w in ws:
            w.wait_up()
        yield ws
    finally:
        for w in ws:
            w.stop()


@contextlib.contextmanager
def redis_server():
    "A real redis-server on a free loopback port in a temporary directory, without persistence; yields its URL."
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is needed (Debian package redis-server)")
    from browser import free_port
    import redis
    port = free_port()
    d = tempfile.mkdtemp(prefix="fireside-redis-")
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", d, "--protected-mode", "yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        t0 = time.time()
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.exceptions.ConnectionError:
                if time.time() - t0 > 20 or p.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
        yield url
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def data_env(tmp: Path, queue_url: str | None = None, **extra):
    "Point FIRESIDE_DATA_DIR (and the queue URL) of this process, and the workers it starts, at `tmp`."
    from fireside_lab.config import reset_settings
    keys = {"FIRESIDE_DATA_DIR": str(tmp), "FIRESIDE_QUEUE_URL": queue_url or "", **extra}
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    reset_settings()
    try:
        yield tmp
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()
