"""The Atom feed writer (conflictmap.export.atom): a valid Atom 1.0 document whose untrusted
text stays text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from conflictmap.export.atom import ATOM_NS, FeedEntry, atom_feed, entry_content, entry_title, incident_entry

A = "{" + ATOM_NS + "}"
HOSTILE = 'Shelling hit the market <script>alert("x")</script> ]]> & more \x00\x0b here.'


def _feed(entries: list[FeedEntry]) -> ET.Element:
    body = atom_feed(
        "conflictmap: Around Hajin",
        "http://app.intranet/feeds/around-hajin.atom",
        "http://app.intranet/?area=1,2;3,4;5,6",
        entries,
        datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
    )
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(body)  # noqa: S314 - the feed the test just made


def _entry(i: int, evidence: str = "Clashes in Hajin.") -> FeedEntry:
    return incident_entry(
        {
            "incident_id": f"inc:{i}",
            "event_type": "battle",
            "location": "Hajin",
            "event_date": datetime(2024, 8, 9),
            "evidence": evidence,
            "fatalities": 3.0,
        },
        datetime(2025, 3, 3 - i, 8, 0, tzinfo=UTC),
        f"http://app.intranet/?event=inc:{i}",
        ["Wire A", "Wire B"],
    )


def test_the_feed_has_what_atom_requires_and_entries_in_the_order_given():
    root = _feed([_entry(0), _entry(1), _entry(2)])
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == "http://app.intranet/feeds/around-hajin.atom"
    assert root.findtext(f"{A}title") == "conflictmap: Around Hajin"
    assert root.findtext(f"{A}updated") == "2025-03-03T09:00:00Z"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {
        "self": "http://app.intranet/feeds/around-hajin.atom",
        "alternate": "http://app.intranet/?area=1,2;3,4;5,6",
    }
    assert root.find(f"{A}author/{A}name") is not None
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [
        f"tag:conflictmap,2025:incident:inc:{i}" for i in range(3)
    ]
    first = entries[0]
    assert first.findtext(f"{A}title") == "Battle at Hajin, 2024-08-09"
    assert first.findtext(f"{A}updated") == "2025-03-03T08:00:00Z"
    assert first.find(f"{A}link").get("href") == "http://app.intranet/?event=inc:0"
    assert [a.findtext(f"{A}name") for a in first.findall(f"{A}author")] == ["Wire A", "Wire B"]
    content = first.find(f"{A}content")
    assert content.get("type") == "text"
    assert content.text == "Clashes in Hajin.\n\nFatalities: 3\n\nReported by: Wire A, Wire B"
    for e in entries:  # every entry has the elements Atom requires
        for tag in ("id", "title", "updated"):
            assert e.findtext(f"{A}{tag}")


def test_hostile_text_stays_text():
    root = _feed([_entry(0, HOSTILE)])
    raw = ET.tostring(root, encoding="unicode")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    content = root.find(f"{A}entry/{A}content")
    assert content.get("type") == "text"
    assert content.text.startswith('Shelling hit the market <script>alert("x")</script> ]]> & more  here.')
    assert list(content) == []  # no child element came out of the text


def test_hostile_names_and_links_stay_attribute_values():
    e = FeedEntry(
        "inc:1", "<b>x</b>", 'http://a/?q="><script>', datetime(2025, 1, 1, tzinfo=UTC), "x", ("<i>Wire</i>",)
    )
    root = _feed([e])
    entry = root.find(f"{A}entry")
    assert entry.findtext(f"{A}title") == "<b>x</b>"
    assert entry.find(f"{A}link").get("href") == 'http://a/?q="><script>'
    assert entry.findtext(f"{A}author/{A}name") == "<i>Wire</i>"


def test_an_empty_feed_is_still_a_feed():
    root = _feed([])
    assert root.findall(f"{A}entry") == [] and root.findtext(f"{A}updated") == "2025-03-03T09:00:00Z"


def test_titles_and_content_without_place_toll_or_outlet():
    assert entry_title("protest", None, date(2025, 1, 2)) == "Protest, place not named, 2025-01-02"
    assert entry_title("explosion_remote_violence", "Mayadin", date(2025, 1, 2)).startswith(
        "Explosion / remote violence at Mayadin"
    )
    assert entry_content("", [], float("nan")) == "(no sentence kept)\n\nReported by: outlet not named"
