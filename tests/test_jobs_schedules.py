"""Schedules (hardening issue item 4): every run option travels from a preset, the call or `schedules.toml` into the
schedule and each run it fires; the overlap policy (skip, queue, allow) and the misfire policy (run_once, skip), with
every due time's outcome in `schedule_fires`, decided once however many workers (or threads) tick; the dashboard shows
them; revisions jobs_0005 to jobs_0011 (a worker's device, failure signatures, leases, the cache, exact re-runs,
resumes) upgrade and downgrade a store with rows in it (SQLite and PostgreSQL).

Where no worker is needed the tests call `scheduler_tick(now=…)` and finish a run as a worker would (`claim`, then
`succeed`); the end-to-end test runs real worker processes on a virtual clock 60x real time."""
from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

import jobs_tasks  # noqa: F401  (registers the test tasks in this process too)
from jobs_helpers import data_env, workers
from servers import postgres_server

from fireside_lab import jobs, store
from fireside_lab.jobs import tables
from fireside_lab.jobs.lifecycle import claim, succeed

UTC = dt.timezone.utc


_BASE: dt.datetime | None = None


@pytest.fixture(autouse=True)
def _one_base_minute_per_test():
    """Fix the base of `_minute` once per test: computed again at each call, a test that ran across a minute boundary
    of the wall clock saw its later ticks a minute late (a flaky failure of the thread race under load)."""
    global _BASE
    _BASE = store.utcnow().replace(second=0, microsecond=0) + dt.timedelta(minutes=2)
    yield


def _minute(k: int = 0, s: int = 5) -> dt.datetime:
    "`s` seconds into the `k`-th whole minute after the next one at the test's start (after any schedule it makes)."
    return _BASE + dt.timedelta(minutes=k, seconds=s)


def _finish(run_id: str):
    "Do what a worker does with a run: claim it, then mark it succeeded."
    assert succeed(claim(run_id), {"done": True})


def _ticked(now, *names) -> list[str]:
    "The runs one tick at `now` starts for the schedules `names`."
    return [r for r in jobs.scheduler_tick(now) if jobs.get_run(r)["schedule"] in names]


def _fires(name: str) -> list[dict]:
    f = tables.schedule_fires.c
    rows = store.default().rows(sa.select(tables.schedule_fires).where(f.schedule == name).order_by(f.due_at))
    return [dict(r) for r in rows]


# ---------------------------------------------------------------------------------------------------------- options
def test_schedule_from_preset_carries_queue_timeout_retries_to_every_run(tmp_path):
    "Fails on 9fa2c49: the schedule kept only the preset's task and arguments; its runs had the task's options."
    with data_env(tmp_path):
        jobs.preset_save("add-gpu", "test.add", {"a": 1}, {"queue": "gpu", "timeout": 45, "retries": 3,
                                                          "retry_delay": 2.5})
        s = jobs.schedule_add("from-preset", "* * * * *", preset="add-gpu")
        assert (s["queue"], s["timeout_s"], s["retries"], s["retry_delay"], s["preset"]) == \
            ("gpu", 45.0, 3, 2.5, "add-gpu")
        jobs.preset_save("add-gpu", "test.add", {"a": 9}, {"queue": "cpu"})      # changed later: the schedule's copy stays
        (rid,) = _ticked(_minute(0), "from-preset")
        r = jobs.get_run(rid)
        assert (r["queue"], r["timeout_s"], r["retries"], r["retry_delay"], r["preset"], r["params"]) == \
            ("gpu", 45.0, 3, 2.5, "add-gpu", {"a": 1})
        # given directly: they win over the preset's; a bad one is refused naming the schedule and option
        s = jobs.schedule_add("direct", "* * * * *", preset="add-gpu", queue="gpu", timeout=10, retries=0)
        assert (s["queue"], s["timeout_s"], s["retries"], s["retry_delay"]) == ("gpu", 10.0, 0, None)
        for bad, needle in ((dict(queue="tpu"), "'queue' must be one of ('cpu', 'gpu'), got 'tpu'"),
                            (dict(timeout=-1), "'timeout' must be a number > 0, got -1"),
                            (dict(retries=-2), "'retries' must be a whole number >= 0, got -2"),
                            (dict(retry_delay="soon"), "'retry_delay' must be a number >= 0, got 'soon'")):
            with pytest.raises(jobs.JobsError, match="schedule 'bad'") as e:
                jobs.schedule_add("bad", "* * * * *", "test.add", {"a": 1}, **bad)
            assert needle in str(e.value)
        assert "bad" not in {x["name"] for x in jobs.schedules()}


def test_schedules_toml_names_queue_options_and_policies(tmp_path):
    "Fails on 9fa2c49: `queue` (or any run option) in schedules.toml was an unknown key."
    with data_env(tmp_path):
        toml = tmp_path / "schedules.toml"
        toml.write_text('[[schedule]]\nname = "gpu-add"\ntask = "test.add"\ncron = "* * * * *"\nparams = {a = 2}\n'
                        'queue = "gpu"\ntimeout = 120\nretries = 2\nretry_delay = 1.5\noverlap = "allow"\n'
                        'misfire = "skip"\n')
        assert jobs.load_schedules(toml) == ["gpu-add"]
        s = jobs.get_schedule("gpu-add")
        assert (s["queue"], s["timeout_s"], s["retries"], s["retry_delay"], s["overlap"], s["misfire"]) == \
            ("gpu", 120.0, 2, 1.5, "allow", "skip")
        (rid,) = _ticked(_minute(0), "gpu-add")
        r = jobs.get_run(rid)
        assert (r["queue"], r["timeout_s"], r["retries"], r["retry_delay"]) == ("gpu", 120.0, 2, 1.5)
        # a reload without them: the task's own options and the default policies
        toml.write_text('[[schedule]]\nname = "gpu-add"\ntask = "test.add"\ncron = "* * * * *"\nparams = {a = 2}\n')
        jobs.load_schedules(toml)
        s = jobs.get_schedule("gpu-add")
        assert (s["queue"], s["timeout_s"], s["retries"], s["overlap"], s["misfire"]) == \
            (None, None, None, "skip", "run_once")
        # bad values: the error names the file's entry and the key; nothing is written
        good = '[[schedule]]\nname = "ok"\ntask = "test.add"\ncron = "0 1 * * *"\nparams = {a = 1}\n'
        for line, needle in (('queue = "fast"', "schedule #2 (nope): 'queue' must be one of ('cpu', 'gpu')"),
                             ('retries = "two"', "schedule #2 (nope): 'retries' must be a whole number >= 0"),
                             ("timeout = 0", "schedule #2 (nope): 'timeout' must be a number > 0"),
                             ('overlap = "never"', "schedule #2 (nope): 'overlap' must be one of"),
                             ('misfire = "all"', "schedule #2 (nope): 'misfire' must be one of"),
                             ('colour = "red"', "schedule #2 (nope): unknown key(s) ['colour']")):
            toml.write_text(good + f'[[schedule]]\nname = "nope"\ntask = "test.add"\ncron = "* * * * *"\n{line}\n')
            with pytest.raises(jobs.JobsError) as e:
                jobs.load_schedules(toml)
            assert needle in str(e.value), e.value
        assert {x["name"] for x in jobs.schedules()} == {"gpu-add"}


# ---------------------------------------------------------------------------------------------------------- policies
def test_overlap_skip_queue_allow_at_the_tick(tmp_path):
    """Fails on 9fa2c49 (no `overlap`; every due time ran, on top of the unfinished run). skip: recorded, not run;
    queue: waits, then runs once when the previous run ends, one at a time, in due order; allow: runs alongside."""
    with data_env(tmp_path):
        for policy in ("skip", "queue", "allow"):
            jobs.schedule_add(f"slow-{policy}", "* * * * *", "test.add", {"a": 1}, overlap=policy)
        assert jobs.get_schedule("slow-skip")["overlap"] == "skip"
        assert jobs.schedule_add("default", "0 0 1 1 *", "test.add", {"a": 1})["overlap"] == "skip"   # the default
        names = ("slow-skip", "slow-queue", "slow-allow")
        first = {jobs.get_run(r)["schedule"]: r for r in _ticked(_minute(0), *names)}
        assert sorted(first) == sorted(names)
        # minute 1 and 2: every first run is still queued (unfinished)
        assert [jobs.get_run(r)["schedule"] for r in _ticked(_minute(1), *names)] == ["slow-allow"]
        assert [jobs.get_run(r)["schedule"] for r in _ticked(_minute(2), *names)] == ["slow-allow"]
        skip, queue = _fires("slow-skip"), _fires("slow-queue")
        assert [f["outcome"] for f in skip] == ["run", "skipped", "skipped"]
        assert skip[1]["run_id"] is None and f"run {first['slow-skip']} was still queued" in skip[1]["detail"]
        assert [f["outcome"] for f in queue] == ["run", "waiting", "waiting"]
        assert len(_fires("slow-allow")) == 3 and all(f["outcome"] == "run" for f in _fires("slow-allow"))
        # the queued schedule's first run ends: its earliest waiting due time starts, once, and only that one
        claimed = claim(first["slow-queue"])
        assert _ticked(_minute(2, 20), "slow-queue") == []                   # running: still waits
        succeed(claimed, {})
        (second,) = _ticked(_minute(2, 30), "slow-queue")
        assert jobs.get_run(second)["due_at"] == _minute(1, 0)
        assert _ticked(_minute(2, 40), "slow-queue") == []
        _finish(second)
        (third,) = _ticked(_minute(2, 50), "slow-queue")
        assert jobs.get_run(third)["due_at"] == _minute(2, 0)
        queue = _fires("slow-queue")
        assert [(f["outcome"], f["run_id"]) for f in queue] == \
            [("run", first["slow-queue"]), ("run", second), ("run", third)]
        assert queue[1]["detail"].startswith("waited (run ") and "started when it ended" in queue[1]["detail"]
        # skip: once the run ended, the next due time runs again
        _finish(first["slow-skip"])
        assert len(_ticked(_minute(3), "slow-skip")) == 1
        # switching a queue schedule off ends its waiting due times (a later switch-on does not run them)
        _ticked(_minute(4), "slow-queue")
        assert _fires("slow-queue")[-1]["outcome"] == "waiting"
        jobs.set_enabled("slow-queue", False)
        last = _fires("slow-queue")[-1]
        assert (last["outcome"], last["detail"]) == ("skipped", "the schedule was switched off")


def test_misfire_run_once_or_skip_after_downtime(tmp_path):
    """Fails on 9fa2c49 (no `misfire`). The tick comes 3 h 30 min after the last one: `run_once` runs the latest missed
    due time once, `skip` records it `missed` and runs nothing until the next due time."""
    with data_env(tmp_path):
        jobs.schedule_add("catch-up", "0 * * * *", "test.add", {"a": 1})
        jobs.schedule_add("no-catch-up", "0 * * * *", "test.add", {"a": 1}, misfire="skip")
        assert jobs.get_schedule("catch-up")["misfire"] == "run_once"
        hour = store.utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        both = ("catch-up", "no-catch-up")
        assert len(_ticked(hour + dt.timedelta(seconds=3), *both)) == 2        # on time: both run
        for r in jobs.runs()["run_id"]:
            _finish(r)
        late = _ticked(hour + dt.timedelta(hours=3, minutes=30), *both)       # three due times missed
        assert [jobs.get_run(r)["schedule"] for r in late] == ["catch-up"]
        assert jobs.get_run(late[0])["due_at"] == hour + dt.timedelta(hours=3)   # the latest, once
        assert _ticked(hour + dt.timedelta(hours=3, minutes=31), *both) == []
        catch, miss = _fires("catch-up")[-1], _fires("no-catch-up")[-1]
        assert catch["outcome"] == "run" and catch["detail"] == "catch-up run, 30 min late (after downtime)"
        assert (miss["outcome"], miss["run_id"], miss["due_at"]) == ("missed", None, hour + dt.timedelta(hours=3))
        assert "found 30 min late" in miss["detail"] and "misfire policy skip" in miss["detail"]
        assert len(_fires("catch-up")) == len(_fires("no-catch-up")) == 2     # the earlier missed ones: not back-filled
        _finish(late[0])
        on_time = _ticked(hour + dt.timedelta(hours=4, seconds=20), *both)   # the next due time, within the grace
        assert sorted(jobs.get_run(r)["schedule"] for r in on_time) == ["catch-up", "no-catch-up"]


def _race(n_threads: int = 8):
    "Many threads tick at once: each due time is decided once, a waiting due time starts once."
    jobs.schedule_add("race-skip", "* * * * *", "test.add", {"a": 1})
    jobs.schedule_add("race-queue", "* * * * *", "test.add", {"a": 1}, overlap="queue")
    jobs.schedule_add("race-allow", "* * * * *", "test.add", {"a": 1}, overlap="allow")
    names = ("race-skip", "race-queue", "race-allow")

    def tick_all(now):
        with ThreadPoolExecutor(n_threads) as ex:
            return [r for rs in ex.map(lambda _: jobs.scheduler_tick(now), range(n_threads)) for r in rs]

    first = tick_all(_minute(0))
    assert sorted(jobs.get_run(r)["schedule"] for r in first) == sorted(names)
    second = tick_all(_minute(1))
    assert [jobs.get_run(r)["schedule"] for r in second] == ["race-allow"]
    assert [f["outcome"] for f in _fires("race-skip")] == ["run", "skipped"]
    assert [f["outcome"] for f in _fires("race-queue")] == ["run", "waiting"]
    for r in first + second:
        _finish(r)
    released = tick_all(_minute(1, 30))
    assert [jobs.get_run(r)["schedule"] for r in released] == ["race-queue"]
    assert [f["outcome"] for f in _fires("race-queue")] == ["run", "run"]
    runs = jobs.runs(limit=100)
    assert runs.groupby("schedule").size().to_dict() == {"race-allow": 2, "race-queue": 2, "race-skip": 1}


def test_one_decision_per_due_time_across_threads_sqlite(tmp_path):
    with data_env(tmp_path):
        _race()


def test_one_decision_per_due_time_across_threads_and_migration_postgres(tmp_path):
    "The same race on PostgreSQL (the schedule's row locked FOR UPDATE), then jobs_0005 down and up with rows in it."
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg, \
         data_env(tmp_path, FIRESIDE_STATE_URL=pg("fireside"), FIRESIDE_LAKE_CATALOG_URL=pg("fireside_lake"),
                  FIRESIDE_LAKE_DATA_PATH=str(tmp_path / "lakefiles") + "/"):
        assert store.default().engine.dialect.name == "postgresql"
        _race()
        _migration_round_trip(store.default().engine)


def _migration_round_trip(engine):
    """jobs_0006 and jobs_0005 down (a worker's device columns go; fires that ran nothing go, options and policies go)
    and up (defaults: skip, run_once, run; device columns back, NULL for the rows written before)."""
    from fireside_lab.store.schema import downgrade, upgrade
    with engine.begin() as c:
        n_run = c.execute(sa.text("SELECT count(*) FROM schedule_fires WHERE outcome = 'run'")).scalar()
        assert c.execute(sa.text("SELECT count(*) FROM schedule_fires WHERE run_id IS NULL")).scalar() >= 1
    with engine.begin() as c:
        n_workers = c.execute(sa.text("SELECT count(*) FROM workers")).scalar()
    revisions = ["jobs_0005", "jobs_0006", "jobs_0007", "jobs_0008", "jobs_0009", "jobs_0010",
                 "jobs_0011"]
    assert [r for r, _ in downgrade(engine, "jobs_0004")] == revisions[::-1]
    cols = {c["name"] for c in sa.inspect(engine).get_columns("schedules")}
    assert not cols & {"overlap", "misfire", "queue", "timeout_s"}
    assert not {c["name"] for c in sa.inspect(engine).get_columns("workers")} & {"device", "device_memory_mib"}
    assert not {c["name"] for c in sa.inspect(engine).get_columns("runs")} & {"signature", "signature_title",
                                                                              "priority", "concurrency_key"}
    assert "run_leases" not in sa.inspect(engine).get_table_names()
    with engine.begin() as c:
        assert c.execute(sa.text("SELECT count(*) FROM schedule_fires")).scalar() == n_run
    assert [r for r, _ in upgrade(engine)] == revisions
    with engine.begin() as c:
        assert c.execute(sa.text("SELECT count(*) FROM workers WHERE device IS NULL")).scalar() == n_workers
        assert set(c.execute(sa.text("SELECT overlap, misfire FROM schedules")).all()) == {("skip", "run_once")}
        assert set(c.execute(sa.text("SELECT outcome FROM schedule_fires")).scalars()) == {"run"}
    with engine.connect() as c, pytest.raises(sa.exc.IntegrityError):     # the named CHECK constraints are back
        c.execute(sa.text("UPDATE schedules SET overlap = 'sometimes'"))


def test_migration_round_trip_sqlite(tmp_path):
    with data_env(tmp_path):
        jobs.schedule_add("s", "* * * * *", "test.add", {"a": 1})
        (rid,) = _ticked(_minute(0), "s")
        assert _ticked(_minute(1), "s") == []                     # skipped: a fire with no run
        from fireside_lab.jobs.worker import device_info, write_heartbeat
        write_heartbeat(dict(worker_id="h:1", host="h", pid=1, queue="gpu", concurrency=1, status="up",
                             started_at=_minute(0), heartbeat_at=_minute(1), version="0", note="", **device_info("gpu")))
        _migration_round_trip(store.default().engine)
        assert jobs.get_schedule("s")["overlap"] == "skip" and jobs.get_run(rid)["schedule"] == "s"


# ---------------------------------------------------------------------------------------------------------- dashboard
def test_dashboard_schedules_table_shows_policies_options_and_fires(tmp_path):
    "Fails on 9fa2c49: the schedules table had no overlap / misfire / option columns and no fires table."
    from fireside_lab.jobs.dashboard import dashboard, fires_frame, schedules_frame
    from fireside_lab.identity import User
    with data_env(tmp_path):
        jobs.schedule_add("hourly-gpu", "0 * * * *", "test.add", {"a": 1}, queue="gpu", timeout=90, retries=2,
                          retry_delay=0.5, overlap="queue", misfire="skip")
        jobs.schedule_add("plain", "* * * * *", "test.add", {"a": 1})
        hour = store.utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        jobs.scheduler_tick(hour + dt.timedelta(minutes=20))
        sf = schedules_frame().set_index("name")
        assert sf.loc["hourly-gpu", ["overlap", "misfire", "queue", "timeout_s", "retries", "retry_delay"]].tolist() == \
            ["queue", "skip", "gpu", "90", "2", "0.5"]
        assert sf.loc["plain", ["overlap", "misfire", "queue", "timeout_s"]].tolist() == ["skip", "run_once", "", ""]
        assert sf.loc["hourly-gpu", "last_fire"].startswith(f"missed {hour:%Y-%m-%d %H:%M}: found 20 min late")
        assert sf.loc["plain", "last_fire"].startswith("run ")
        page = dashboard(user=User("root", "Root", "admin"))
        assert {"overlap", "misfire", "queue", "timeout_s", "retries", "last_fire"} <= \
            set(page.schedules_table.value.columns)
        assert sorted(page.fires_table.value["outcome"]) == ["missed", "run"]
        assert fires_frame().set_index("schedule").loc["hourly-gpu", "outcome"] == "missed"


# ---------------------------------------------------------------------------------------------------------- end to end
def test_slow_schedules_never_overlap_with_two_workers(tmp_path):
    """Fails on 9fa2c49 (a run every minute, started while the previous one ran). Real workers, a virtual clock 60x
    real time: a one-minute schedule whose run takes 2.5 minutes (`skip`) and one whose run takes 1.5 minutes
    (`queue`). Neither ever has a run created while its previous run is unfinished; skip records the due times it
    skipped; queue starts its waiting due times one by one, in due order; each due time is decided once."""
    start = time.time()
    with data_env(tmp_path, FIRESIDE_JOBS_CLOCK=f"{start},60", FIRESIDE_JOBS_HEARTBEAT_S="0.5"):
        jobs.schedule_add("slow-skip", "* * * * *", "test.sleep", {"seconds": 2.5})
        jobs.schedule_add("slow-queue", "* * * * *", "test.sleep", {"seconds": 1.5}, overlap="queue")
        with workers(2):
            time.sleep(8)
            for name in ("slow-skip", "slow-queue"):
                jobs.set_enabled(name, False)
            time.sleep(1)                       # a tick that read the schedules before the switch-off has ended
            df = jobs.runs(limit=1000)
            for rid in df["run_id"]:
                assert jobs.wait(rid, timeout=60)["status"] == "succeeded"
        for name in ("slow-skip", "slow-queue"):
            fires = _fires(name)
            runs = sorted((jobs.get_run(r) for r in df.query(f"schedule == '{name}'")["run_id"]),
                          key=lambda r: r["created_at"])
            assert len(runs) >= 2, (name, fires)
            for a, b in zip(runs, runs[1:]):
                assert b["created_at"] >= a["finished_at"], (name, a, b)          # never alongside its previous run
                assert b["due_at"] > a["due_at"]                                   # in due order
            ran = {f["run_id"]: f["due_at"] for f in fires if f["outcome"] == "run"}
            assert ran == {r["run_id"]: r["due_at"] for r in runs}                 # one fire per run, one run per fire
            dues = [f["due_at"] for f in fires]
            assert all((b - a).total_seconds() == 60 for a, b in zip(dues, dues[1:]))   # every due time decided once
        skip = _fires("slow-skip")
        assert any(f["outcome"] == "skipped" and "was still " in f["detail"] for f in skip), skip
        queue = _fires("slow-queue")
        assert any(f["outcome"] == "run" and (f["detail"] or "").startswith("waited") for f in queue), queue
        assert all(f["detail"] == "the schedule was switched off" for f in queue if f["outcome"] == "skipped")
