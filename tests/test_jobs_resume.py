"""Resume a failed notebook run from its failed cell (#20 item 4) with a real worker and papermill: the cell tagged
`skip-on-resume` (its result kept in a file) does not run again, the in-memory cells before the failure do, the
failed cell and the rest run; the same parameters; a run that did not fail cannot be resumed."""
from __future__ import annotations

import json

import pytest

import jobs_tasks  # noqa: F401
from jobs_helpers import data_env, workers

from fireside_lab import jobs


def _cell(source, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "execution_count": None, "outputs": [],
            "source": source}


def test_resume_skips_kept_cells_and_runs_the_rest(tmp_path):
    pipes, marks = tmp_path / "pipelines", tmp_path / "marks"
    pipes.mkdir(); marks.mkdir()
    nb = {"cells": [
        _cell(f"marks = {str(marks)!r}\nn: int = 2  # a number", ["parameters"]),
        _cell("import pathlib\np = pathlib.Path(marks) / 'slow'\np.write_text(p.read_text() + 'x' if p.exists() "
              "else 'x')\nprint('slow step done')", ["skip-on-resume"]),
        _cell("import pathlib\nq = pathlib.Path(marks) / 'cheap'\nq.write_text(q.read_text() + 'x' if q.exists() "
              "else 'x')\nvalue = n * 21"),
        _cell("assert not (pathlib.Path(marks) / 'fail').exists(), 'told to fail'\nfrom fireside_lab import jobs\n"
              "jobs.outputs(value=value)"),
    ], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}
    (pipes / "resumable.ipynb").write_text(json.dumps(nb))
    (marks / "fail").write_text("")
    with data_env(tmp_path / "data", FIRESIDE_JOBS_PIPELINES_DIR=str(pipes)):
        with workers(1):
            failed = jobs.wait(jobs.submit("pipelines/resumable", n=2), timeout=300)
            assert failed["status"] == "failed" and "told to fail" in failed["error"], failed["error"]
            assert (marks / "slow").read_text() == "x" and (marks / "cheap").read_text() == "x"
            with pytest.raises(jobs.JobsError, match="cannot be resumed"):
                jobs.resume(jobs.submit("test.add", a=1))
            (marks / "fail").unlink()
            resumed = jobs.wait(jobs.resume(failed["run_id"]), timeout=300)
        assert resumed["status"] == "succeeded", (resumed["error"], resumed.get("traceback"))
        assert resumed["outputs"] == {"value": 42} and resumed["params"] == failed["params"]
        assert resumed["resume_of"] == failed["run_id"] and resumed["resume_cell"] == failed["failed_cell"]
        assert (marks / "slow").read_text() == "x"          # kept: not run again
        assert (marks / "cheap").read_text() == "xx"        # in memory only: ran again
        executed = json.loads(open(resumed["notebook_path"]).read())
        assert any(c["cell_type"] == "markdown" and "Skipped on resume" in "".join(c["source"])
                   for c in executed["cells"])
