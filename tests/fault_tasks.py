"""Tasks of the fault-injection suite (`tests/test_jobs_faults.py`), imported by its workers (`--import fault_tasks`).

A run of `fault.work` sleeps, then writes one output file named after its key and a fresh id: a run whose work was
completed twice (a stale attempt and the new one both finishing) leaves two files, so duplicates are counted from the
files, not from what the run rows say."""
import os
import time
import uuid
from pathlib import Path

from fireside_lab import jobs

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "params", "metadata": {"tags": ["parameters"]},
         "outputs": [], "source": 'key: str = ""  # the run\'s key\nseconds: float = 1.0  # how long it works\n'
                                  'out_dir: str = ""  # where the output file goes'},
        {"cell_type": "code", "execution_count": None, "id": "work", "metadata": {}, "outputs": [],
         "source": "import os, time, uuid\nfrom pathlib import Path\nfrom fireside_lab import jobs\n"
                   "time.sleep(seconds)\n"
                   "p = Path(out_dir) / f'{key}.{uuid.uuid4().hex}'\n"
                   "p.write_text(str(os.getpid()))\n"
                   "jobs.outputs(key=key)"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@jobs.task(name="fault.work", retries=1, retry_delay=0.2)
def work(key: str,          # the run's key (names its output file)
         seconds: float,    # how long it works
         out_dir: str):     # where the output file goes
    "Work for `seconds`, then write one output file `<key>.<uuid>` into `out_dir`."
    t0 = time.time()
    while time.time() - t0 < seconds:
        time.sleep(0.05)
    (Path(out_dir) / f"{key}.{uuid.uuid4().hex}").write_text(str(os.getpid()))
    return {"key": key}
