"""Polls on the shared-deployment store: `state` on a real PostgreSQL server (the plpgsql count trigger)."""
import numpy as np
import pytest

from servers import postgres_server


def test_polls_on_postgres(tmp_path):
    from fireside_lab import polls, store
    from fireside_lab.config import get_settings
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg:
        s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                         lake_data_path=str(tmp_path / "lakefiles") + "/")
        con = store.connect(s)
        assert store.layout(s).state_engine == "postgres"
        assert polls.import_anes96(con) == {"anes96-pid": 944, "anes96-pid-private": 944}
        assert polls.import_anes96(con) == {"anes96-pid": 0, "anes96-pid-private": 0}
        assert polls.report(con, "anes96-pid").table["count"].tolist() == [200, 180, 108, 37, 94, 150, 175]

        polls.create_poll(con, "Toppings?", ["cheese", "olives", "ham"], poll_id="toppings", kind="multiple", allow_change=True)
        polls.vote(con, "toppings", "ann", ["cheese", "olives"])
        polls.vote(con, "toppings", "bob", ["olives"])
        assert polls.vote(con, "toppings", "ann", ["ham"])["replaced"] is True
        counts = dict(store.query(con, "SELECT option_index, n FROM state.poll_counts WHERE poll_id = 'toppings'"))
        assert counts == {-1: 2, 0: 0, 1: 1, 2: 1}

        polls.create_poll(con, "Once?", ["a", "b"], poll_id="once", privacy_p=0.7)
        polls.vote(con, "once", "ann", "a")
        with pytest.raises(polls.DuplicateBallot):
            polls.vote(con, "once", "ann", "b")
        polls.cast_ballots(con, "once", [f"v{i}" for i in range(500)], np.zeros(500, np.int64), rng=np.random.default_rng(0))
        r = polls.report(con, "once")
        assert r.n == 501 and r.table["count"].sum() == 501 and r.table.ci_low[0] <= 1 <= r.table.ci_high[0] + 1e-12
        polls.close_poll(con, "once")
        with pytest.raises(polls.PollError, match="is closed"):
            polls.vote(con, "once", "zed", "a")
        assert polls.list_polls(con).set_index("poll_id").loc["once", "status"] == "closed"
