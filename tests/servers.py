"""Real servers for tests, from Debian packages, started on loopback in a temporary directory and stopped after."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time

from browser import free_port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    if p := shutil.which(name):
        return p
    raise RuntimeError("PostgreSQL server binaries are needed: apt-get install postgresql")


@contextlib.contextmanager
def postgres_server(dbnames=("fireside",)):
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>; yields a function dbname -> postgresql:// URL."""
    tmp = tempfile.mkdtemp(prefix="fireside-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the package's postgres user
        shutil.chown(tmp, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = os.path.join(tmp, "data")
    subprocess.run([*as_user, _pg_bin("initdb"), "-D", data, "-U", "lab", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(tmp, "log"), "-w", "-o",
                    f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        for db in dbnames:
            subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lab", db],
                           check=True, capture_output=True)
        yield lambda db="fireside": f"postgresql://lab@127.0.0.1:{port}/{db}"
    finally:
        subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def redis_server():
    """A throw-away redis-server on 127.0.0.1:<free port> (no persistence); yields its redis:// URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is needed: apt-get install redis-server")
    tmp = tempfile.mkdtemp(prefix="fireside-redis-")
    port = free_port()
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis
        r = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def s3_server(bucket: str = "lake"):
    """A throw-away S3 endpoint: moto's server mode (`moto_server`, from PyPI) on 127.0.0.1:<free port>, with `bucket`
    created; yields (endpoint `host:port`, bucket). Credentials are moto's: any key id and secret are accepted."""
    import urllib.request
    exe = shutil.which("moto_server") or os.path.join(os.path.dirname(os.path.realpath(__import__("sys").executable)),
                                                       "moto_server")
    port = free_port()
    p = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://{endpoint}/", timeout=1)
                break
            except OSError:
                if p.poll() is not None:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.05)
        urllib.request.urlopen(urllib.request.Request(f"http://{endpoint}/{bucket}", method="PUT"), timeout=5)
        yield endpoint, bucket
    finally:
        p.terminate()
        p.wait(timeout=10)
