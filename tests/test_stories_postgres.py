"""Stories on the shared-deployment store: `state` and the DuckLake catalog on a real PostgreSQL server (no model)."""
import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from servers import postgres_server

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "stories"


def test_stories_on_postgres(tmp_path):
    from fireside_lab import store, stories
    from fireside_lab.config import get_settings
    from fireside_lab.stories.generation import ModelLoadError
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg:
        s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                         lake_data_path=str(tmp_path / "lakefiles") + "/")
        st = store.Store(s)
        assert st.engine.dialect.name == "postgresql"
        r = stories.import_story(SAMPLES / "lighthouse.storium.json", store=st)
        assert (r.entries_added, r.scenes_added, r.characters_added, r.cards_added) == (8, 2, 2, 12)
        assert stories.import_story(SAMPLES / "lighthouse.storium.json", store=st).entries_added == 0

        # two importers of a new story at once (a DuckLake commit conflict is retried): both succeed
        errors = []
        def imp():
            try: stories.import_story(SAMPLES / "macbeth.xml", store=st)
            except Exception as e: errors.append(e)
        threads = [threading.Thread(target=imp) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join(300)
        assert errors == []
        sm = stories.summaries(store=st).set_index("story_id")
        assert sorted(sm.index) == ["handmade-lighthouse-0001", "macbeth"]
        assert sm.entries_total["macbeth"] == len(stories.entries("macbeth", store=st)) == 772
        assert sm.updated_at["macbeth"].tzname() == "UTC" and sm.entries_processed.eq(0).all()

        with pytest.raises(ModelLoadError):
            stories.suggest("macbeth", "scene", model="/nonexistent/model", store=st)
        sug = stories.suggestions("macbeth", store=st).iloc[0]
        assert sug.status == "failed" and sug.story_hash == stories.story_hash("macbeth", store=st)
        assert abs(sug.created_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
        with pytest.raises(stories.StoryNotFound):
            stories.suggest("hamlet", store=st)
        rows = st.scalar(sa.text("SELECT count(*) FROM suggestions"))
        assert rows == 1
        _story_row_inserted_meanwhile_is_updated(st)
        st.close()


def _story_row_inserted_meanwhile_is_updated(st):
    """The importer's state step when another importer inserts the same new story between its UPDATE (no row yet)
    and its INSERT: the INSERT waits for the other transaction, fails on the key inside a savepoint, and the row is
    updated instead; nothing is lost and no error reaches the caller."""
    from fireside_lab.store import utcnow
    from fireside_lab.stories.importer import _upsert_story
    from fireside_lab.stories.model import Story
    from fireside_lab.stories.tables import stories as stories_table
    inserted, t0 = threading.Event(), utcnow()
    def other_importer():
        with st.begin() as conn:
            conn.execute(stories_table.insert().values(story_id="race", title="Other", imported_at=t0, updated_at=t0))
            inserted.set()
            threading.Event().wait(1.0)                       # commit only after ours has updated nothing
    other = threading.Thread(target=other_importer)
    other.start()
    inserted.wait(30)
    st.transaction(_upsert_story, Story("race", "Ours", "/x.json", "storium"), utcnow())
    other.join(30)
    row = st.row(sa.select(stories_table).where(stories_table.c.story_id == "race"))
    assert (row["title"], row["source"], row["imported_at"]) == ("Ours", "/x.json", t0) and row["updated_at"] > t0
