"""Stories without a model: import of the bundled plays and the STORIUM sample, idempotence, revisions, bad input, CLI."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "stories"
MACBETH, RJ, STORIUM = SAMPLES / "macbeth.xml", SAMPLES / "r_and_j.xml", SAMPLES / "lighthouse.storium.json"


@pytest.fixture
def st(data_dir):
    "The process's store in this test's data dir (the verbs use it without `store=`)."
    from fireside_lab import store
    return store.default()


def _count(st, sql, *params):
    return st.lake_query(sql, list(params))[0][0]


def _counts(st, story_id):
    q = lambda sql: _count(st, sql, story_id)
    return dict(entries=q("SELECT count(*) FROM lake.story_entries WHERE story_id = ?"),
                speeches=q("SELECT count(*) FROM lake.story_entries WHERE story_id = ? AND format = 'speech'"),
                stagedirs=q("SELECT count(*) FROM lake.story_entries WHERE story_id = ? AND format = 'stagedir'"),
                scenes=q("SELECT count(DISTINCT scene_id) FROM lake.story_scenes WHERE story_id = ?"),
                characters=q("SELECT count(*) FROM lake.story_characters WHERE story_id = ?"),
                cards=q("SELECT count(*) FROM lake.story_cards WHERE story_id = ?"))


def _top_level_stagedirs(path):
    "STAGEDIRs that are direct children of a SCENE/PROLOGUE (the narrator entries), counted independently of the importer."
    import xml.etree.ElementTree as ET
    root = ET.fromstring(path.read_bytes().split(b"\n", 2)[2] if b"DOCTYPE" in path.read_bytes()[:200] else path.read_bytes())
    local = lambda t: t.rsplit("}", 1)[-1]
    return sum(1 for el in root.iter() if local(el.tag) in ("SCENE", "PROLOGUE") for c in el if local(c.tag) == "STAGEDIR")


def test_import_bundled_plays_with_correct_counts(st):
    from fireside_lab import stories
    r = stories.import_story(MACBETH)
    assert (r.story_id, r.title) == ("macbeth", "The Tragedy of Macbeth")
    c = _counts(st, "macbeth")
    assert (c["scenes"], c["speeches"], c["characters"]) == (28, 649, 28)
    assert c["stagedirs"] == _top_level_stagedirs(MACBETH) and c["entries"] == 649 + c["stagedirs"] == r.entries_added
    r = stories.import_story(RJ)   # the copy with a default XML namespace
    c = _counts(st, "romeo-and-juliet")
    assert (c["scenes"], c["speeches"]) == (26, 841)           # 24 scenes and 2 prologues
    assert c["stagedirs"] == _top_level_stagedirs(RJ)
    entries = stories.entries("macbeth")
    assert list(entries.entry_number) == list(range(1, len(entries) + 1))
    assert entries.iloc[1][["scene_id", "role", "character"]].tolist() == ["act1-scene1", "character", "First Witch"]
    assert set(entries.status) == {"new"} and entries.result.isna().all() and entries.hash.str.len().eq(64).all()
    sm = stories.summaries(store=st)          # the same store, passed explicitly
    assert set(sm.story_id) == {"macbeth", "romeo-and-juliet"} and sm.entries_processed.eq(0).all()


def test_reimport_is_a_noop_and_a_revised_speech_is_a_new_row(st, tmp_path):
    from fireside_lab import stories
    stories.import_story(MACBETH)
    before, snap = _counts(st, "macbeth"), st.lake_snapshot_id()
    r = stories.import_story(MACBETH)
    assert (r.entries_added, r.scenes_added, r.characters_added, r.cards_added) == (0, 0, 0, 0)
    assert _counts(st, "macbeth") == before and st.lake_snapshot_id() == snap

    changed = tmp_path / "macbeth-changed.xml"
    text = MACBETH.read_text()
    old = "<LINE>So foul and fair a day I have not seen.</LINE>"
    assert text.count(old) == 1
    changed.write_text(text.replace(old, "<LINE>So foul and fair a day I never saw.</LINE>"))
    r = stories.import_story(changed)
    assert r.entries_added == 1 and _counts(st, "macbeth")["entries"] == before["entries"] + 1
    n = _count(st, "SELECT entry_number FROM lake.story_entries WHERE story_id = 'macbeth' "
                   "AND text LIKE 'So foul and fair%'")
    rows = st.lake_query("SELECT hash, text FROM lake.story_entries WHERE story_id = 'macbeth' AND entry_number = ? "
                         "ORDER BY imported_at", [n])
    assert len(rows) == 2 and rows[0][0] != rows[1][0]
    cur = stories.entries("macbeth")
    assert len(cur) == before["entries"] and cur.set_index("entry_number").text[n].endswith("I never saw.")
    assert len(stories.pending_entries("macbeth")) == before["entries"]


def test_hash_is_hmac_of_canonical_json_with_the_secret(st, monkeypatch, tmp_path):
    import hashlib, hmac
    from fireside_lab import stories
    from fireside_lab.config import secret_key
    stories.import_story(STORIUM)
    e = stories.entries("handmade-lighthouse-0001").iloc[0]
    body = {"story_id": "handmade-lighthouse-0001", "scene_id": e.scene_id, "entry_number": 1, "role": "narrator",
            "character": None, "format": "establishment", "text": e.text, "json": json.loads(e.json)}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert e.hash == hmac.new(secret_key(), canon, hashlib.sha256).hexdigest()


def test_storium_sample(st):
    from fireside_lab import stories
    r = stories.import_story(STORIUM)
    c = _counts(st, "handmade-lighthouse-0001")
    assert (r.title, c["entries"], c["scenes"], c["characters"]) == ("The Keeper's Debt", 8, 2, 2)
    assert c["cards"] == 5 + 1 + 2 + 4      # 5 character cards, 1 place, 2 challenges, 4 played on challenges
    e = stories.entries("handmade-lighthouse-0001")
    assert e.role.tolist()[:3] == ["narrator", "character", "character"] and e.character[1] == "Maren Holt"
    assert e.format.tolist()[0] == "establishment" and e.format.tolist()[-1] == "conclusion"


BAD = [
    ("broken.xml", "<PLAY><TITLE>T</TITLE>\n<ACT><SCENE>\n</ACT></PLAY>", r"broken.xml: line 3 column \d+: malformed XML: mismatched tag"),
    ("broken.json", '{"game_pid": "g",\n "scenes": [\n {"entries": [}]}', r"broken.json: line 3 column \d+: malformed JSON"),
    ("nofield.json", json.dumps({"game_pid": "g", "scenes": [{"entries": [{"seq_id": 1, "format": "move", "description": "x"}]}]}),
     r"nofield.json: scenes\[0\].entries\[0\]: missing required field 'role'"),
    ("nopid.json", json.dumps({"scenes": []}), r"nopid.json: game: missing required field 'game_pid'"),
    ("noline.xml", MACBETH.read_text().replace("<LINE>Where the place?</LINE>", ""), r"noline.xml: line \d+: <SPEECH> has no <LINE>"),
    ("other.xml", "<html><body/></html>", r"other.xml: line 1: expected a <PLAY> root element, found <html>"),
    ("plain.txt", "hello", r"plain.txt: line 1: not a play \(XML\) or a STORIUM export \(JSON\)"),
]


def test_bad_input_names_file_and_place_and_writes_nothing(st, tmp_path):
    "Each bad file (one store for all of them: a fresh store per case costs seconds of migrations)."
    import sqlalchemy as sa
    from fireside_lab import stories
    from fireside_lab.stories.tables import stories as stories_table
    snap = st.lake_snapshot_id()
    for name, text, expected in BAD:
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(stories.StoryError, match=expected):
            stories.import_story(p)
    assert st.lake_snapshot_id() == snap
    assert _count(st, "SELECT count(*) FROM lake.story_entries") == 0
    assert st.scalar(sa.select(sa.func.count()).select_from(stories_table)) == 0


def test_second_half_of_a_file_bad_nothing_imported(st, tmp_path):
    from fireside_lab import stories
    g = json.loads(STORIUM.read_text())
    g["scenes"][1]["entries"][3]["seq_id"] = "eight"
    p = tmp_path / "late-error.json"
    p.write_text(json.dumps(g, indent=1))
    with pytest.raises(stories.StoryError, match=r"late-error.json: scenes\[1\].entries\[3\].seq_id: expected int, found str"):
        stories.import_story(p)
    assert _count(st, "SELECT count(*) FROM lake.story_entries") == 0


def test_unknown_story(st):
    from fireside_lab import stories
    stories.import_story(STORIUM)
    for call in (lambda: stories.entries("hamlet"), lambda: stories.summarize(["hamlet"]),
                 lambda: stories.suggest("hamlet")):
        with pytest.raises(stories.StoryNotFound, match="unknown story 'hamlet'"):
            call()


def _cli(*args):
    return subprocess.run([sys.executable, "-c", "from fireside_lab.cli import main; main()", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_cli_import_list_and_errors(data_dir, tmp_path):
    r = _cli("stories", "import", MACBETH, STORIUM)
    assert r.returncode == 0, r.stderr
    assert "macbeth: 'The Tragedy of Macbeth': " in r.stdout and "28 new scenes" in r.stdout
    assert "handmade-lighthouse-0001" in r.stdout
    r = _cli("stories", "import", MACBETH)
    assert r.returncode == 0 and "macbeth: 'The Tragedy of Macbeth': 0 new of" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"game_pid": 1, "scenes": [{"entries": [{"seq_id": 1}]}]}')
    r = _cli("stories", "import", bad)
    assert r.returncode == 1 and f"{bad}: scenes[0].entries[0]: missing required field 'format'" in r.stderr
    r = _cli("stories", "list")
    assert r.returncode == 0 and "macbeth\tThe Tragedy of Macbeth\t0/" in r.stdout and "1 " not in r.stdout.split("\n")[0][:2]
    r = _cli("stories", "summarize", "--story", "hamlet")
    assert r.returncode == 1 and "unknown story 'hamlet'" in r.stderr
    from click.testing import CliRunner
    from fireside_lab.stories.cli import stories_cli
    for cmd in ("import", "list", "summarize", "suggest"):
        r = CliRunner().invoke(stories_cli, [cmd, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output


def test_story_json_with_nan_deep_nesting_or_huge_numbers_is_a_clear_error(st, tmp_path):
    """#17 item 7 (fails on 7e1ce76): a NaN inside an otherwise good export was accepted, deep nesting raised a bare
    RecursionError, a 5,000-digit number a bare ValueError; each is now a StoryError naming the file, nothing written."""
    from fireside_lab import stories
    from fireside_lab.stories.model import StoryError, read_story
    good = (SAMPLES / "lighthouse.storium.json").read_text()
    cases = {"nan.json": good.rstrip().rstrip("}") + ', "rating": NaN}',
             "deep.json": "[" * 200_000 + "]" * 200_000,
             "huge.json": good.rstrip().rstrip("}") + ', "rating": 1' + "0" * 5000 + "}"}
    for name, text in cases.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(StoryError, match=name):
            read_story(p)
        with pytest.raises(StoryError, match=name):
            stories.import_story(p, store=st)
    assert stories.summaries(store=st).empty


def test_story_xml_entities_and_external_references_are_refused(st, tmp_path):
    """#17 item 7 (fails on 7e1ce76): an entity declared in a play's DTD was expanded into the story, an external one
    silently left out; both are refused with a StoryError naming the file (defusedxml), nothing imported."""
    from fireside_lab import stories
    from fireside_lab.stories.model import StoryError, read_story
    play = (SAMPLES / "macbeth.xml").read_text(encoding="utf-8")
    head, body = play.split("<PLAY", 1)
    for name, dtd, ref in [("internal.xml", '<!DOCTYPE PLAY [<!ENTITY boom "BOOM">]>', "&boom;"),
                           ("external.xml", '<!DOCTYPE PLAY [<!ENTITY ext SYSTEM "file:///etc/hostname">]>', "&ext;")]:
        p = tmp_path / name
        p.write_text(head.split("<!DOCTYPE")[0] + dtd + "<PLAY" + body.replace("<TITLE>", f"<TITLE>{ref}", 1),
                     encoding="utf-8")
        with pytest.raises(StoryError, match=rf"{name}: XML entities"):
            read_story(p)
        with pytest.raises(StoryError, match=name):
            stories.import_story(p, store=st)
    assert stories.summaries(store=st).empty
