"""Feeds with the shared-deployment `state` engine: a throw-away PostgreSQL server (Debian package) on loopback.
The same calls as on SQLite: publish, follow, preferences, engagement, the four feeds and a cursor page, the lake
features, the analytics and the rate limit."""
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from conftest import ROOT
from servers import postgres_server

from fireside_lab import config, feeds, store
from fireside_lab.feeds.settings import RateLimitError, UnknownUserError, feed_settings
from fireside_lab.feeds.tables import engagement

CLIP, THUMB = ROOT / "data/samples/feeds/pig-1.mp4", ROOT / "data/samples/feeds/pig-1.jpg"
T = datetime(2026, 1, 10, 12)


def test_feeds_on_postgres(data_dir):
    with postgres_server() as url:
        s = config.get_settings(data_dir=data_dir, state_url=url())
        st = store.Store(s)
        assert st.engine.dialect.name == "postgresql"
        for u in ("ann", "bob", "vic"): feeds.add_user(u, store=st)
        axis = lambda k: np.eye(384, dtype=np.float32)[k]
        P = {k: feeds.publish(c, f"post {k}", [k.lower()], CLIP, THUMB, created_at=T - timedelta(hours=h),
                              embedding=axis(a), store=st)
             for k, (c, h, a) in dict(A=("ann", 1, 0), B=("bob", 2, 1), C=("ann", 3, 0), D=("bob", 4, 2)).items()}
        name = {v: k for k, v in P.items()}
        names = lambda page: [name[p] for p in page.post_ids]
        feeds.engage("vic", P["C"], "like", store=st); feeds.engage("bob", P["D"], "share", store=st)
        feeds.engage("ann", P["B"], "view", store=st)
        feeds.follow("vic", "bob", store=st)
        feeds.set_preferences("vic", muted_tags=["a"], store=st)
        assert feeds.preferences("vic", store=st).muted_tags == ("a",)
        assert names(feeds.feed("vic", "new", now=T, store=st)) == ["B", "C", "D"]           # A muted by its tag
        assert names(feeds.feed("vic", "following", now=T, store=st)) == ["B", "D"]
        # trending: D 8^.8/6^1.8 = 0.2098, C 4^.8/5^1.8 = 0.1673, B 1^.8/4^1.8 = 0.0825
        assert names(feeds.feed("vic", "trending", now=T, store=st)) == ["D", "C", "B"]
        fy = feeds.feed("vic", "for-you", now=T, limit=1, store=st)
        rest = feeds.feed("vic", "for-you", now=T, limit=10, cursor=fy.cursor, store=st)
        assert names(fy) + names(rest) == names(feeds.feed("vic", "for-you", now=T, store=st))
        assert set(names(fy) + names(rest)) == {"B", "C", "D"}       # C liked, not seen: stays
        try:
            feeds.engage("nobody", P["A"], "like", store=st); raise AssertionError
        except UnknownUserError:
            pass
        assert st.scalar(sa.select(sa.func.count()).select_from(engagement)) == 3
        # the lake features and the analytics, computed by PostgreSQL (the same statements as on SQLite)
        r = feeds.refresh_features(store=st)
        assert r["posts"] == 3 and st.lake_query("SELECT post_id, likes, shares, views FROM lake.feed_post_stats "
                                                 "ORDER BY post_id") == sorted([(P["C"], 1, 0, 0), (P["D"], 0, 1, 0),
                                                                                (P["B"], 0, 0, 1)])
        epd = feeds.events_per_day(store=st)
        assert epd.event.tolist() == ["like", "share", "view"] and epd.events.tolist() == [1, 1, 1]
        assert set(epd.day) == {r["at"].date() for r in st.rows(sa.select(engagement.c.at))}   # UTC days
        assert [name[p] for p in feeds.top_posts(4, store=st).post_id] == ["D", "C", "B", "A"]
        tc = feeds.top_creators(store=st)
        assert tc.to_dict("list") == {"creator": ["bob", "ann"], "posts": [2, 2], "engagement": [9.0, 4.0],
                                      "followers": [1, 0], "reputation": [4 / 3, 4 / 3]}
        assert feeds.active_users(store=st).active_users.tolist() == [3]
        # the rate limit, exact on PostgreSQL too: the third event within the window is refused
        tight = feed_settings(rate_limit_events=2, rate_limit_window_s=60)
        feeds.engage("ann", P["C"], "view", settings=tight, store=st)
        try:
            feeds.engage("ann", P["D"], "view", settings=tight, store=st); raise AssertionError
        except RateLimitError:
            pass
        st.close()
