"""The word index of the search text (read/words.py): a text search looked up in it finds
exactly the incidents a scan finds, for words, pieces of words, Arabic, punctuation and needles
of several words; the index file is written beside the table, mapped by every worker and
retired with its table."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conflictmap.config import Settings
from conflictmap.read import columnar
from conflictmap.read.index import EventIndex
from conflictmap.read.service import DataService
from conflictmap.read.words import build_words, read_words, split_words, words_file, write_words
from conflictmap.storage.store import EventStore
from tests.test_columnar_index import _fill

# Invented sentences shaped like the reports the search column holds (lower case, as stored).
TEXTS = [
    "clashes erupted at dawn in hajin; three sdf fighters were killed, a local source said.",
    "a drone struck a car near al-busayrah, killing two men (one a commander).",
    "قتل مدني برصاص مجهولين في بلدة ذيبان شرقي دير الزور",
    "residents of diban protested against the sdf's arrests — dozens joined.",
    "",
    None,
    "the shelling of deir ez-zor's outskirts went on overnight.",
    "انفجار عبوة ناسفة على طريق البصيرة",
    "hajin hajin hajin: the same word thrice in one sentence.",
    "tabs\tand\nnew lines\u00a0and a no-break space separate words too.",
]


def _scan(texts: list[str | None], needle: str) -> list[bool]:
    return [bool(t) and needle in t for t in texts]


def _index(texts: list[str | None], folder: Path) -> EventIndex:
    """An index of the texts with their word index, read through a file as a worker reads it."""
    frame = pd.DataFrame({"search": pd.array(texts, dtype="str")})
    path = folder / "t.arrow.words"
    write_words(build_words(pa.array(texts, type=pa.large_string())), path)
    return EventIndex(frame, read_words(path, len(texts)))


def _needles(texts: list[str | None], count: int, seed: int) -> list[str]:
    """Pieces of the texts at random places and lengths: inside words, across spaces, whole."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    present = [t for t in texts if t]
    out = []
    for _ in range(count):
        t = rnd.choice(present)
        a = rnd.randrange(len(t))
        out.append(t[a : a + rnd.randint(1, 14)])
    return out


FIXED = [
    "hajin",
    "sdf",
    "jin",
    "ez-zor",
    "eir ez",
    "ذيبان",
    "دير الزور",
    "عبوة",
    "(one",
    "men (one a",
    "nowhere",
    " ",
    "\t",
    "a",
    "—",
]


@pytest.mark.parametrize("needle", FIXED + _needles(TEXTS, 60, seed=7))
def test_a_lookup_finds_exactly_what_a_scan_finds(needle, tmp_path):
    index = _index(TEXTS, tmp_path)
    assert index.words is not None
    everything = np.ones(len(TEXTS), dtype=bool)
    got = index.contains("search", needle, everything)
    assert got.tolist() == _scan(TEXTS, needle), needle


def test_other_filters_still_narrow_a_lookup(tmp_path):
    index = _index(TEXTS, tmp_path)
    within = np.zeros(len(TEXTS), dtype=bool)
    within[0] = True  # only the first incident is kept by the other filters
    got = index.contains("search", "hajin", within)
    assert got.tolist() == [True] + [False] * (len(TEXTS) - 1)


def test_a_single_word_is_answered_by_the_index_alone(tmp_path):
    index = _index(TEXTS, tmp_path)
    rows, certain = index.words.candidates("hajin")
    assert certain and sorted(set(rows.tolist())) == [0, 8]
    rows, certain = index.words.candidates("eir ez")
    assert not certain and 6 in rows.tolist()  # a candidate, then read
    assert index.words.candidates("   ") is None


def test_a_word_twice_in_a_row_is_listed_once():
    words = build_words(pa.array(["hajin hajin hajin", "hajin"], type=pa.large_string()))
    assert sorted(words.column("rows")[0].as_py()) == [0, 1]


def test_words_are_cut_as_arrow_cuts_them():
    assert split_words("  deir\tez-zor\u00a0city \n") == ["deir", "ez-zor", "city"]
    assert split_words("") == [] and split_words(" \t ") == []


def test_an_index_made_for_another_table_is_not_used(tmp_path):
    path = tmp_path / "x.arrow.words"
    write_words(build_words(pa.array(["one", "two"], type=pa.large_string())), path)
    assert read_words(path, 3) is None
    assert read_words(tmp_path / "missing.words", 2) is None
    frame = pd.DataFrame({"search": ["one", "two", "three"]})
    assert EventIndex(frame, read_words(path, 2)).words is None  # rows differ: scan


@pytest.fixture
def settings(tmp_path):
    s = Settings(data_dir=tmp_path)
    _fill(EventStore(s.db_url))
    return s


def test_every_table_file_has_its_word_index_and_a_worker_maps_it(settings):
    svc = DataService(settings)
    index = svc.index()
    tables = sorted(settings.effective_index_dir.glob("*.arrow"))
    assert len(tables) == 1 and words_file(tables[0]).exists()
    assert index.words is not None
    hajin = index.contains("search", "hajin", np.ones(len(index), dtype=bool))
    expected = [("hajin" in str(t)) for t in index.frame["search"]]
    assert hajin.tolist() == expected and sum(expected) == 3


def test_a_new_version_retires_the_old_word_index_and_orphans(settings):
    svc = DataService(settings)
    svc.index()
    old_table = next(settings.effective_index_dir.glob("*.arrow"))
    orphan = old_table.with_name(old_table.name.replace("-v", "-v9").replace(".arrow", "") + ".arrow.words")
    orphan.write_bytes(b"left by a builder that was killed")
    _fill(
        EventStore(settings.db_url),
        [("SDF", "ISIS", "battle", "Abu Hamam", "A clash at Abu Hamam.", 4)],
        "Valley News",
    )
    index = svc.index()
    names = sorted(p.name for p in settings.effective_index_dir.iterdir() if not p.name.endswith(".lock"))
    assert len(names) == 2, names  # the new table and its words, nothing else
    assert not words_file(old_table).exists() and not orphan.exists()
    found = index.contains("search", "abu hamam", np.ones(len(index), dtype=bool))
    assert found.sum() == 1


def test_a_derived_table_gets_a_word_index_of_its_own_rows(settings, monkeypatch):
    """A correction derives the next table (no full build); its word index follows it, so the
    corrected incident's row is found where the derived table put it."""
    from conflictmap.review.decisions import Reviews

    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)  # a small table: derive anyway
    svc = DataService(settings)
    first = svc.index().frame
    target = str(first.loc[first["location"].astype(str) == "Dhiban", "incident_id"].iloc[0])

    def forbidden(*_a, **_k):
        raise AssertionError("a decision's table is derived, not built")

    Reviews(EventStore(settings.db_url)).correct(target, {"fatalities": 9}, who="ana", expected_version=0)
    monkeypatch.setattr(columnar, "build_table", forbidden)
    index = svc.index()
    assert index.words is not None and index.words.n_rows == len(index)
    for needle in ("dhiban", "checkpoint", "ذيبان", "gunfire again"):
        got = index.contains("search", needle, np.ones(len(index), dtype=bool))
        assert got.tolist() == [needle in str(t) for t in index.frame["search"]], needle


def _postings(words: pa.Table) -> dict[str, set[int]]:
    """Word -> the rows holding it, words of no row left out (a derived index keeps them)."""
    vocab = words.column("words")[0].as_py()
    starts = words.column("starts")[0].as_py()
    rows = words.column("rows")[0].as_py()
    out = {w: set(rows[starts[i] : starts[i + 1]]) for i, w in enumerate(vocab)}
    return {w: r for w, r in out.items() if r}


def test_derived_word_indexes_equal_ones_built_from_their_tables(settings, monkeypatch):
    """Merge, split, reject and a hand-added incident move rows, drop them and bring new words;
    after each, the derived word index lists the same rows for every word as one built whole."""
    from conflictmap.review.decisions import Reviews

    monkeypatch.setattr(columnar, "DERIVE_FROM_ROWS", 0)
    built = []
    real_build = columnar.build_words

    def counting_build(column):
        built.append(len(column))
        return real_build(column)

    svc = DataService(settings)
    first = svc.index().frame
    monkeypatch.setattr(columnar, "build_words", counting_build)
    store = EventStore(settings.db_url)
    reviews = Reviews(store)
    hajin = [str(i) for i, p in zip(first["incident_id"], first["location"], strict=True) if p == "Hajin"]
    dhiban = [str(i) for i, p in zip(first["incident_id"], first["location"], strict=True) if p == "Dhiban"]
    moved = str(store.incident_reports(hajin[2])[0]["event_id"])
    steps = [
        lambda: reviews.merge(hajin[2], hajin[0], who="ana", expected_version=0, into_version=0),
        lambda: reviews.reject(dhiban[0], "not_an_event", who="ana", expected_version=0),
        lambda: reviews.split(hajin[0], moved, who="ana", expected_version=1),
        lambda: reviews.add_event(
            {
                "event_type": "battle",
                "sub_event_type": "armed clash",
                "event_date": "2024-03-02",
                "place_id": "dz:al-busayrah",
                "actor1": "SDF",
                "fatalities": 1,
            },
            who="ana",
            source_url="https://river.example/video",
            note="zarqawiyya ambush filmed from a rooftop",  # words no report used before
        ),
    ]
    for step in steps:
        step()
        svc.index()
        table_file = next(settings.effective_index_dir.glob("*.arrow"))
        table = pa.ipc.open_file(pa.memory_map(str(table_file), "r")).read_all()
        on_disk = pa.ipc.open_file(pa.memory_map(str(words_file(table_file)), "r")).read_all()
        assert _postings(on_disk) == _postings(real_build(table.column("search")))
    assert built == [], "every step's word index was derived, none cut again from the whole table"
    index = svc.index()
    assert index.contains("search", "zarqawiyya", np.ones(len(index), dtype=bool)).sum() == 1
