"""Polls on the shared-deployment store: `state` on a real PostgreSQL server (the plpgsql count trigger), and revision
polls_0002 there with rows written in store v1's schema."""
import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from servers import postgres_server


def test_polls_on_postgres(tmp_path):
    from fireside_lab import polls, store
    from fireside_lab.config import get_settings
    from fireside_lab.polls.tables import poll_counts
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg:
        s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                         lake_data_path=str(tmp_path / "lakefiles") + "/")
        st = store.Store(s)
        assert st.engine.dialect.name == "postgresql"
        assert polls.import_anes96(store=st) == {"anes96-pid": 944, "anes96-pid-private": 944}
        assert polls.import_anes96(store=st) == {"anes96-pid": 0, "anes96-pid-private": 0}
        assert polls.report("anes96-pid", store=st).table["count"].tolist() == [200, 180, 108, 37, 94, 150, 175]

        polls.create_poll("Toppings?", ["cheese", "olives", "ham"], poll_id="toppings", kind="multiple",
                          allow_change=True, store=st)
        polls.vote("toppings", "ann", ["cheese", "olives"], store=st)
        polls.vote("toppings", "bob", ["olives"], store=st)
        assert polls.vote("toppings", "ann", ["ham"], store=st)["replaced"] is True
        counts = {r["option_index"]: r["n"] for r in st.rows(sa.select(poll_counts)
                                                             .where(poll_counts.c.poll_id == "toppings"))}
        assert counts == {-1: 2, 0: 0, 1: 1, 2: 1}

        polls.create_poll("Once?", ["a", "b"], poll_id="once", privacy_p=0.7, store=st)
        polls.vote("once", "ann", "a", store=st)
        with pytest.raises(polls.DuplicateBallot):
            polls.vote("once", "ann", "b", store=st)
        # group commit (the API's): ballots in one transaction, a refused one alone rolled back (a savepoint here)
        from fireside_lab.polls.ballots import cast_in, definition
        out = []
        def batch(conn):
            out.clear()
            for voter in ("gc1", "ann", "gc2"):
                try: out.append(cast_in(conn, definition("once", store=st), voter, "a")["voter"])
                except polls.PollError as e: out.append(type(e).__name__)
        st.transaction(batch)
        assert out == ["gc1", "DuplicateBallot", "gc2"]              # two ballots more: 503 below
        polls.cast_ballots("once", [f"v{i}" for i in range(500)], np.zeros(500, np.int64), store=st)
        r = polls.report("once", store=st)
        assert r.n == 503 and r.table["count"].sum() == 503 and r.table.share[0] > 0.8   # truth 1, sd 0.023
        polls.close_poll("once", store=st)
        with pytest.raises(polls.PollError, match="is closed"):
            polls.vote("once", "zed", "a", store=st)
        assert polls.list_polls(store=st).set_index("poll_id").loc["once", "status"] == "closed"
        st.close()


V1_ROWS = """
INSERT INTO polls (poll_id, question, options, kind, privacy, privacy_p, epsilon, allow_change, voters, opens_at,
                   closes_at, closed, creator, created_at)
VALUES ('v1-plain', 'Tea or coffee?', '["tea", "coffee"]', 'single', 'none', NULL, NULL, 0, NULL, NULL, NULL, 1, 'ada',
        '2026-12-04 15:22:04.991401'),
       ('v1-private', 'Did you vote?', '["yes", "no"]', 'single', 'randomized_response', 0.75, 1.9459, 1,
        '["ann", "bob"]', '2026-12-01 00:00:00', '2100-01-01 00:00:00', 0, 'ada', '2026-12-04 15:22:04.996935');
INSERT INTO poll_counts VALUES ('v1-plain', -1, 0), ('v1-plain', 0, 0), ('v1-plain', 1, 0),
                               ('v1-private', -1, 0), ('v1-private', 0, 0), ('v1-private', 1, 0);
INSERT INTO ballots VALUES ('v1-plain', 'ann', '[0]', '2026-12-04 15:22:05.004592'),
                           ('v1-private', 'ann', '[1]', '2026-12-04 15:22:05.013682');
"""


def test_revision_polls_0002_on_postgres(tmp_path):
    """v1's schema with v1's rows (naive TIMESTAMPs, integer flags) upgraded in place: aware times that equal the naive
    ones read as UTC, booleans, named CHECKs, the trigger still counting; down to v1's types and up again."""
    from fireside_lab import polls, store
    from fireside_lab.config import get_settings
    from fireside_lab.polls.tables import poll_counts
    utc = dt.timezone.utc
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg:
        s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                         lake_data_path=str(tmp_path / "lakefiles") + "/")
        st = store.Store(s)
        assert [r for r, _ in st.downgrade("polls@polls_0001")] == ["polls_0003", "polls_0002"]
        with st.engine.begin() as c:
            c.exec_driver_sql(V1_ROWS)
            types = dict(c.exec_driver_sql("SELECT column_name, data_type FROM information_schema.columns "
                                           "WHERE table_name = 'polls'").all())
        assert types["closed"] == "integer" and types["created_at"] == "timestamp without time zone"
        assert [r for r, _ in st.upgrade()] == ["polls_0002", "polls_0003"]

        plain, private = polls.get_poll("v1-plain", store=st), polls.get_poll("v1-private", store=st)
        assert plain.closed is True and private.allow_change is True and private.voters == ("ann", "bob")
        assert private.created_at == dt.datetime(2026, 12, 4, 15, 22, 4, 996935, tzinfo=utc)
        assert private.opens_at == dt.datetime(2026, 12, 1, tzinfo=utc) and private.status() == "open"
        with st.engine.connect() as c:
            checks = {r[0] for r in c.exec_driver_sql("SELECT conname FROM pg_constraint WHERE contype = 'c' "
                                                      "AND conrelid = 'polls'::regclass")}
        assert checks == {"ck_polls_kind", "ck_polls_privacy", "ck_polls_privacy_p"}
        with pytest.raises(store.ConstraintError):
            st.execute(sa.text("UPDATE polls SET kind = 'ranked' WHERE poll_id = 'v1-plain'"))
        assert polls.report("v1-plain", store=st).n == 1          # the row counted by the trigger after the upgrade
        polls.vote("v1-private", "bob", "no", store=st)
        assert polls.vote("v1-private", "ann", "yes", store=st)["replaced"] is True
        counts = {r["option_index"]: r["n"] for r in st.rows(sa.select(poll_counts)
                                                             .where(poll_counts.c.poll_id == "v1-private"))}
        assert counts[-1] == 2 and counts[0] + counts[1] == 2
        with pytest.raises(polls.PollError, match="is closed"):
            polls.vote("v1-plain", "bob", "tea", store=st)

        st.downgrade("polls@polls_0001")
        with st.engine.connect() as c:
            types = dict(c.exec_driver_sql("SELECT column_name, data_type FROM information_schema.columns "
                                           "WHERE table_name IN ('polls', 'ballots')").all())
            created = c.exec_driver_sql("SELECT created_at FROM polls WHERE poll_id = 'v1-private'").scalar()
        assert types["closed"] == "integer" and types["cast_at"] == "timestamp without time zone"
        assert created == dt.datetime(2026, 12, 4, 15, 22, 4, 996935)          # naive UTC again
        st.upgrade()
        assert polls.report("v1-private", store=st).n == 2
        st.close()
