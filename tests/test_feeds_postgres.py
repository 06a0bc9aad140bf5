"""Feeds with the shared-deployment `state` engine: a throw-away PostgreSQL server (Debian package) on loopback.
The same calls as on SQLite: publish, follow, preferences, engagement, the four feeds and a cursor page."""
from datetime import datetime, timedelta

import numpy as np

from conftest import ROOT
from servers import postgres_server

from fireside_lab import config, feeds, store

CLIP, THUMB = ROOT / "data/samples/feeds/pig-1.mp4", ROOT / "data/samples/feeds/pig-1.jpg"
T = datetime(2026, 1, 10, 12)


def test_feeds_on_postgres(data_dir):
    with postgres_server() as url:
        s = config.get_settings(data_dir=data_dir, state_url=url())
        con = store.connect(s)
        assert store.layout(s).state_engine == "postgres"
        for u in ("ann", "bob", "vic"): feeds.add_user(con, u)
        axis = lambda k: np.eye(384, dtype=np.float32)[k]
        P = {k: feeds._publish(con, c, f"post {k}", [k.lower()], CLIP, THUMB, created_at=T - timedelta(hours=h), vec=axis(a))
             for k, (c, h, a) in dict(A=("ann", 1, 0), B=("bob", 2, 1), C=("ann", 3, 0), D=("bob", 4, 2)).items()}
        name = {v: k for k, v in P.items()}
        names = lambda page: [name[p] for p in page.post_ids]
        feeds.engage(con, "vic", P["C"], "like"); feeds.engage(con, "bob", P["D"], "share"); feeds.engage(con, "ann", P["B"], "view")
        feeds.follow(con, "vic", "bob")
        feeds.set_preferences(con, "vic", muted_tags=["a"])
        assert feeds.preferences(con, "vic").muted_tags == ("a",)
        assert names(feeds.feed(con, "vic", "new", now=T)) == ["B", "C", "D"]           # A muted by its tag
        assert names(feeds.feed(con, "vic", "following", now=T)) == ["B", "D"]
        # trending: D 8^.8/6^1.8 = 0.2098, C 4^.8/5^1.8 = 0.1673, B 1^.8/4^1.8 = 0.0825
        assert names(feeds.feed(con, "vic", "trending", now=T)) == ["D", "C", "B"]
        fy = feeds.feed(con, "vic", "for-you", now=T, limit=1)
        rest = feeds.feed(con, "vic", "for-you", now=T, limit=10, cursor=fy.cursor)
        assert names(fy) + names(rest) == names(feeds.feed(con, "vic", "for-you", now=T))
        assert set(names(fy) + names(rest)) == {"B", "C", "D"}       # C liked, not seen: stays
        try:
            feeds.engage(con, "nobody", P["A"], "like"); raise AssertionError
        except feeds.UnknownUserError:
            pass
        assert store.query(con, "SELECT count(*) FROM state.engagement")[0][0] == 3
        con.close()
