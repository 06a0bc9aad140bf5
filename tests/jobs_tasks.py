"""Tasks used by the jobs tests: imported by the test process and by the workers it starts (`--import jobs_tasks`)."""
import os
import time
from pathlib import Path

from fireside_lab import jobs


@jobs.task(name="test.add")
def add(a: int,      # first number
        b: int = 1):  # second number
    "Add two numbers."
    jobs.progress(0.5, "adding")
    return {"total": a + b}


@jobs.task(name="test.flaky", retries=2, retry_delay=0.3)
def flaky(marker: str,    # file counting the attempts
          succeed_on: int = 3):  # the attempt that succeeds
    "Fail until attempt `succeed_on` (attempts are counted in the marker file)."
    p = Path(marker)
    n = int(p.read_text()) + 1 if p.exists() else 1
    p.write_text(str(n))
    if n < succeed_on:
        raise RuntimeError(f"attempt {n} fails")
    return {"attempts": n}


@jobs.task(name="test.sleep", timeout=None)
def sleep(seconds: float,       # how long
          marker: str = ""):    # a file written when the task starts (with the worker pid)
    "Sleep in small steps, reporting progress."
    if marker:
        Path(marker).write_text(str(os.getpid()))
    t0 = time.time()
    while time.time() - t0 < seconds:
        jobs.progress(min(1.0, (time.time() - t0) / seconds), "sleeping")
        time.sleep(0.05)
    return {"slept": seconds}


@jobs.task(name="test.noop")
def noop():
    "Nothing (throughput benchmark)."
    return {}


@jobs.task(name="test.source")
def source(n: int):
    return {"x": n}


@jobs.task(name="test.square")
def square(x: int):
    return {"y": x * x, "square": x * x}


@jobs.task(name="test.cube")
def cube(x: int):
    return {"y": x ** 3, "cube": x ** 3}


@jobs.task(name="test.total")
def total(y: list[int], square: int, cube: int):
    return {"total": sum(y), "check": square + cube}


jobs.chain("test.chain", ["test.source", ["test.square", "test.cube"], "test.total"])


@jobs.task(name="test.where", queue="gpu")
def where():
    "Report which process ran this gpu-queue task and which devices it saw."
    return {"pid": os.getpid(), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


# chains (tests/test_jobs_chains.py): outputs declared by a TypedDict return annotation, nested chains, a chain whose
# second step cannot get its inputs, slow chains to cancel
from typing import TypedDict  # noqa: E402


class Incremented(TypedDict):
    x: int


class Seeded(TypedDict):
    x: int


@jobs.task(name="test.inc")
def inc(x: int) -> Incremented:
    return {"x": x + 1}


@jobs.task(name="test.seed")
def seed(n: int, z: int = 0) -> Seeded:
    return {"x": n}


@jobs.task(name="test.needs_z")
def needs_z(z: int):
    return {"w": z}


@jobs.task(name="test.after_sleep")
def after_sleep(slept: float):
    return {"slept": slept}


jobs.chain("test.inner", ["test.inc", "test.square"])                                  # outputs y, square
jobs.chain("test.nested", ["test.source", ["test.inner", "test.cube"], "test.total"])   # a chain inside a group
jobs.chain("test.seeded", ["test.seed", "test.needs_z"])          # 'z' only from the chain's own arguments
jobs.chain("test.misfit", ["test.source", "test.needs_z"])        # test.source's outputs are not declared
jobs.chain("test.slow_chain", ["test.sleep", "test.after_sleep"])
jobs.chain("test.slow_nested", ["test.slow_chain", "test.after_sleep"])


PRICES = {"ETH/BTC": 0.05}


@jobs.task(name="test.lookup")
def lookup(symbol: str):   # a market symbol
    "A price from a table: KeyError for an unknown symbol, ValueError for an empty one (two different crashes)."
    if not symbol:
        raise ValueError("symbol is empty")
    return {"price": PRICES[symbol]}


@jobs.task(name="test.limited", concurrency_key="limited", concurrency_limit=2)
def limited(seconds: float = 1.0):   # how long it holds its place
    "At most two of these run at once (concurrency key `limited`, limit 2)."
    time.sleep(seconds)
    return {"pid": os.getpid()}


@jobs.task(name="test.on_gpu0", slots=["gpu:0"])
def on_gpu0(seconds: float = 0.5):   # how long it holds the slot
    "Needs the resource slot gpu:0 of its worker's host."
    time.sleep(seconds)
    return {"pid": os.getpid()}


@jobs.task(name="test.per_market", concurrency_key="market:{symbol}")
def per_market(symbol: str, seconds: float = 0.1):
    "One run per market at a time."
    time.sleep(seconds)
    return {"symbol": symbol}
