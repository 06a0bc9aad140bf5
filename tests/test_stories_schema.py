"""Revision stories_0002 on SQLite and PostgreSQL: store v1's times (TIMESTAMP and ISO text, naive UTC) become aware
UTC datetimes, every row kept; the downgrade gives store v1's layout back; a time no parser reads fails the upgrade and
changes nothing. (tests/test_schema.py compares the resulting schema with the declared tables.)"""
import datetime as dt

import pytest
import sqlalchemy as sa

from fireside_lab import store
from fireside_lab.config import get_settings
from fireside_lab.store import schema
from fireside_lab.store.state import make_engine
from servers import postgres_server

UTC = dt.timezone.utc
T = lambda *a: dt.datetime(*a, tzinfo=UTC)

# store v1's rows as its code wrote them: `imported_at`/`created_at` by DuckDB into a TIMESTAMP column (text on
# SQLite), `updated_at` as ISO text (`_stamp`); the second story and suggestion hold other layouts `fromisoformat` reads
V1_STORIES = [("macbeth", "The Tragedy of Macbeth", "2026-12-04 15:22:11.240733", "2026-12-04 15:23:00.000001"),
              ("lighthouse", "The Keeper's Debt", "2026-12-04T15:22:00", "2026-12-04 15:22:00")]
V1_SUGGESTIONS = [("s1", "macbeth", "complete", "2026-12-04 15:24:00.5", "2026-12-04 15:24:01.000000"),
                  ("s2", "lighthouse", "partial", "2026-12-04 15:25:00", "2026-12-04T15:25:00.250000")]
EXPECTED_STORIES = {"macbeth": (T(2026, 12, 4, 15, 22, 11, 240733), T(2026, 12, 4, 15, 23, 0, 1)),
                    "lighthouse": (T(2026, 12, 4, 15, 22), T(2026, 12, 4, 15, 22))}
EXPECTED_SUGGESTIONS = {"s1": (T(2026, 12, 4, 15, 24, 0, 500000), T(2026, 12, 4, 15, 24, 1)),
                        "s2": (T(2026, 12, 4, 15, 25), T(2026, 12, 4, 15, 25, 0, 250000))}


def _v1_store(settings) -> sa.Engine:
    "A state tier at stories_0001 (store v1's schema) holding the v1 rows above."
    engine = make_engine(settings)
    schema.upgrade(engine, "stories_0001")
    with engine.begin() as c:
        for sid, title, imported, updated in V1_STORIES:
            c.execute(sa.text("INSERT INTO stories (story_id, title, format, source, running_summary, summary_id, "
                              "model, imported_at, updated_at) VALUES (:s, :t, 'play', '/x.xml', 'A summary.', "
                              "'abc', 'smollm2', :i, :u)"), dict(s=sid, t=title, i=imported, u=updated))
        for sid, story, status, created, updated in V1_SUGGESTIONS:
            c.execute(sa.text("INSERT INTO suggestions (id, story_id, story_hash, suggestion_type, model, prompt, "
                              "text, status, created_at, updated_at) VALUES (:i, :s, 'h', 'continue', 'smollm2', "
                              "'p', 'Once', :st, :c, :u)"), dict(i=sid, s=story, st=status, c=created, u=updated))
    return engine


def _check_upgraded(st: store.Store):
    from fireside_lab.stories.tables import stories, suggestions
    rows = {r["story_id"]: r for r in st.rows(sa.select(stories))}
    assert {k: (r["imported_at"], r["updated_at"]) for k, r in rows.items()} == EXPECTED_STORIES
    assert all(r["imported_at"].tzinfo is UTC and r["running_summary"] == "A summary." for r in rows.values())
    rows = {r["id"]: r for r in st.rows(sa.select(suggestions))}
    assert {k: (r["created_at"], r["updated_at"]) for k, r in rows.items()} == EXPECTED_SUGGESTIONS
    assert [r["id"] for r in st.rows(sa.select(suggestions).order_by(suggestions.c.created_at.desc()))] == ["s2", "s1"]
    # a v2 write sorts with the upgraded rows, and the named check and the foreign key hold
    st.execute(suggestions.update().where(suggestions.c.id == "s1").values(updated_at=T(2026, 12, 4, 16, 0)))
    assert st.scalar(sa.select(suggestions.c.id).order_by(suggestions.c.updated_at.desc())) == "s1"
    with pytest.raises(store.ConstraintError):
        st.execute(suggestions.update().where(suggestions.c.id == "s1").values(status="done"))
    with pytest.raises(store.ConstraintError):
        st.execute(suggestions.update().where(suggestions.c.id == "s1").values(story_id="hamlet"))


def test_sqlite_upgrade_downgrade_every_row_kept(tmp_path):
    settings = get_settings(data_dir=tmp_path)
    engine = _v1_store(settings)
    schema.upgrade(engine)
    st = store.Store(settings)
    _check_upgraded(st)
    with st.connect() as c:
        ddl = dict(c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'suggestions'").all())
    assert "CONSTRAINT ck_suggestions_status CHECK" in ddl["suggestions"]
    assert "ix_suggestions_story_id_created_at" in ddl
    assert "FOREIGN KEY(story_id) REFERENCES stories (story_id)" in ddl["suggestions"]

    assert [r for r, _ in st.downgrade("stories@stories_0001")] == ["stories_0002"]
    with engine.connect() as c:
        stories_v1 = c.exec_driver_sql("SELECT story_id, imported_at, updated_at FROM stories ORDER BY story_id").all()
        ddl = dict(c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'suggestions'").all())
        updated = c.exec_driver_sql("SELECT updated_at FROM suggestions WHERE id = 's1'").scalar()
    # v1's layout: naive UTC text with microseconds, what store v1's `_stamp` wrote
    assert stories_v1 == [("lighthouse", "2026-12-04 15:22:00.000000", "2026-12-04 15:22:00.000000"),
                          ("macbeth", "2026-12-04 15:22:11.240733", "2026-12-04 15:23:00.000001")]
    assert updated == "2026-12-04 16:00:00.000000"
    assert "suggestions_story" in ddl and "FOREIGN KEY" not in ddl["suggestions"] and "CHECK" in ddl["suggestions"]
    assert "updated_at TEXT" in ddl["suggestions"] and "created_at TIMESTAMP" in ddl["suggestions"]
    assert [r for r, _ in st.upgrade()] == ["stories_0002"]
    assert st.scalar(sa.text("SELECT count(*) FROM suggestions")) == 2
    st.close()


def test_sqlite_upgrade_reads_other_iso_layouts_and_refuses_what_is_not_a_time(tmp_path):
    settings = get_settings(data_dir=tmp_path)
    engine = _v1_store(settings)
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE suggestions SET updated_at = '2026-12-04T16:24:01+01:00' WHERE id = 's1'")
        c.exec_driver_sql("UPDATE suggestions SET updated_at = '2026-12-04T15:25:00.25Z' WHERE id = 's2'")
    schema.upgrade(engine)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT id, updated_at FROM suggestions ORDER BY id").all() == \
            [("s1", "2026-12-04 15:24:01.000000"), ("s2", "2026-12-04 15:25:00.250000")]
    schema.downgrade(engine, "stories@stories_0001")
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE stories SET updated_at = 'yesterday' WHERE story_id = 'macbeth'")
        before = c.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all()
    with pytest.raises(store.SchemaError, match=r"nothing was changed.*stories\.updated_at of story_id 'macbeth' "
                                                r"holds 'yesterday', which is not a time"):
        schema.upgrade(engine)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all() == before
        assert c.exec_driver_sql("SELECT updated_at FROM stories WHERE story_id = 'macbeth'").scalar() == "yesterday"


def test_postgres_upgrade_downgrade_every_row_kept(tmp_path):
    with postgres_server() as url:
        settings = get_settings(data_dir=tmp_path, state_url=url())
        engine = _v1_store(settings)
        schema.upgrade(engine)
        st = store.Store(settings)
        _check_upgraded(st)
        types = lambda: {r["col"]: r["data_type"] for r in st.rows(sa.text(
            "SELECT table_name || '.' || column_name AS col, data_type FROM information_schema.columns "
            "WHERE table_name IN ('stories', 'suggestions') "
            "AND column_name IN ('imported_at', 'created_at', 'updated_at')"))}
        assert set(types().values()) == {"timestamp with time zone"}
        names = lambda kind: {r["conname"] for r in st.rows(sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'suggestions'::regclass AND contype = :k"),
            dict(k=kind))}
        assert names("c") == {"ck_suggestions_status"} and names("f") == {"fk_suggestions_story_id_stories"}

        assert [r for r, _ in st.downgrade("stories@stories_0001")] == ["stories_0002"]
        assert types() == {"stories.imported_at": "timestamp without time zone", "stories.updated_at": "text",
                           "suggestions.created_at": "timestamp without time zone", "suggestions.updated_at": "text"}
        assert names("c") == {"suggestions_status_check"} and names("f") == set()
        with st.engine.connect() as c:
            got = c.execute(sa.text("SELECT story_id, imported_at, updated_at FROM stories ORDER BY story_id")).all()
            assert got == \
                [("lighthouse", dt.datetime(2026, 12, 4, 15, 22), "2026-12-04 15:22:00.000000"),
                 ("macbeth", dt.datetime(2026, 12, 4, 15, 22, 11, 240733), "2026-12-04 15:23:00.000001")]
            assert c.execute(sa.text("SELECT updated_at FROM suggestions WHERE id = 's1'")).scalar() == \
                "2026-12-04 16:00:00.000000"
        assert [r for r, _ in st.upgrade()] == ["stories_0002"]
        from fireside_lab.stories.tables import suggestions
        created = {r["id"]: r["created_at"] for r in st.rows(sa.select(suggestions.c.id, suggestions.c.created_at))}
        assert created == {k: v[0] for k, v in EXPECTED_SUGGESTIONS.items()}
        st.close()
        engine.dispose()
