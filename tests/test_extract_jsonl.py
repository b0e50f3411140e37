"""The `conflictmap extract` contract: JSONL in, JSONL out, bad lines reported and skipped."""

from __future__ import annotations

import json

from conflictmap.extract_file import extract_jsonl

REQUIRED = {
    "article_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
    "location", "admin1", "latitude", "longitude", "geo_precision", "fatalities", "civilian_targeting",
    "evidence", "confidence",
}  # fmt: skip


def test_extract_jsonl_contract(tmp_path):
    src = tmp_path / "articles.jsonl"
    rows = [
        {
            "id": "x1",
            "url": "https://example.org/a",
            "source": "Example",
            "title": None,
            "publication_date": "2023-05-02",
            "text": "ISIS gunmen attacked an SDF post in Al-Susah on Monday, killing four fighters.",
            "extra": "ignored",
        },
        {"id": "x2", "text": "Nothing happened today.", "publication_date": None},
    ]
    lines = [json.dumps(rows[0]), "{not json", json.dumps({"id": "x3"}), json.dumps(rows[1])]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "events.jsonl"
    seen = []
    counts = extract_jsonl(src, out, progress=lambda n, total: seen.append((n, total)))
    assert counts["articles"] == 2 and counts["skipped"] == 2
    assert any(f"{src}:2:" in e for e in counts["errors"])
    assert any(f"{src}:3:" in e and "text" in e for e in counts["errors"])
    assert seen[-1] == (4, 4)
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(events) == counts["events"] == 1
    ev = events[0]
    assert REQUIRED <= set(ev)
    assert ev["article_id"] == "x1" and ev["event_date"] == "2023-05-01" and ev["fatalities"] == 4
    assert ev["evidence"] in rows[0]["text"]


def test_extract_is_deterministic(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text(
        json.dumps(
            {
                "id": "d1",
                "publication_date": "2021-01-10",
                "text": "Regime shelling hit Al-Mayadin on Saturday. The SDF arrested two men in Hajin.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    extract_jsonl(src, tmp_path / "1.jsonl")
    extract_jsonl(src, tmp_path / "2.jsonl")
    assert (tmp_path / "1.jsonl").read_bytes() == (tmp_path / "2.jsonl").read_bytes()


def test_an_impossible_header_date_does_not_cost_the_article():
    from conflictmap.extract import extract_article
    from conflictmap.geo.gazetteer import load_gazetteer
    from conflictmap.models import Article

    gaz = load_gazetteer()
    for header in ("date 2024-02-30", "Monday, 31 February 2024", "31/02/2024"):
        text = f"{header}\nClashes broke out in Dhiban on Monday between the SDF and tribal fighters."
        art = Article("bad-date", None, "Test", None, None, text)
        extract_article(art, gaz)  # must not raise


def test_markup_in_a_row_never_reaches_the_evidence(tmp_path):
    """`conflictmap extract` reads rows with the ingest stage's reader: markup is stripped as it
    is on ingest, so the evidence is the sentence a reader sees, not its HTML."""
    src = tmp_path / "a.jsonl"
    row = {
        "id": "m1",
        "publication_date": "2024-02-06",
        "text": "<p><b>ISIS gunmen</b> attacked an SDF checkpoint in Hajin on Monday, killing two fighters.</p>",
    }
    src.write_text(json.dumps(row) + "\n", encoding="utf-8")
    out = tmp_path / "events.jsonl"
    counts = extract_jsonl(src, out)
    (ev,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert counts["events"] == 1 and ev["fatalities"] == 2
    assert "<" not in ev["evidence"] and ev["evidence"].startswith("ISIS gunmen attacked")
