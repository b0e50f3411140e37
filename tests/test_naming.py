"""Downloads are named after the view they hold, so five exports of five views can be told apart."""

from __future__ import annotations

import re
from datetime import date

import pytest

from conflictmap.export.naming import date_part, download_name, route_download_name, slug
from conflictmap.read.query import EventFilter

Q = EventFilter.from_query


@pytest.mark.parametrize(
    ("query", "ext", "want"),
    [
        ("type=battle&start=2024-01-01&end=2024-12-31", "csv", "deir-ez-zor-battles-2024.csv"),
        (
            "type=battle&type=protest&start=2023-08-01&end=2023-10-31",
            "png",
            "deir-ez-zor-battle-protest-2023-08-01-to-2023-10-31.png",
        ),
        ("", "geojson", "deir-ez-zor-all-events.geojson"),
        ("start=2024-08-01&end=2024-08-31", "pdf", "deir-ez-zor-all-events-2024-08.pdf"),
        ("start=2024-08-12&end=2024-08-12&type=riot", "svg", "deir-ez-zor-riots-2024-08-12.svg"),
        ("start=2024-03-05", "csv", "deir-ez-zor-all-events-from-2024-03-05.csv"),
        ("end=2019-03-23", "csv", "deir-ez-zor-all-events-to-2019-03-23.csv"),
        (
            "type=explosion_remote_violence&actor=SDF&zone=SDF&minfat=5&q=oil+field",
            "csv",
            "deir-ez-zor-explosions-involving-sdf-in-sdf-zone-5-plus-killed-mentioning-oil-field.csv",
        ),
        ("zone=none", "csv", "deir-ez-zor-all-events-outside-zones.csv"),
        (
            "zone=SDF&zone=Syrian+transitional+government",
            "csv",
            "deir-ez-zor-all-events-in-sdf-syrian-transitional-government-zones.csv",
        ),
        (
            "prec=1&prec=2&origin=reference",
            "csv",
            "deir-ez-zor-all-events-located-town-near-town-hand-coded.csv",
        ),
    ],
)
def test_names_say_what_the_view_holds(query, ext, want):
    assert download_name(Q(query), ext) == want


def test_what_does_not_change_the_incidents_does_not_change_the_name():
    base = download_name(Q("type=battle&start=2024-01-01&end=2024-12-31"), "png")
    moved = Q("type=battle&start=2024-01-01&end=2024-12-31&lat=35.3&lon=40.1&zoom=9&layers=events&event=x1")
    assert download_name(moved, "png") == base
    # every type ticked is the same as none ticked; all three precisions the same as none
    every = "&".join(
        f"type={t}"
        for t in ("battle", "explosion_remote_violence", "violence_against_civilians", "protest", "riot")
    )
    assert download_name(Q(every + "&type=strategic_development&prec=1&prec=2&prec=3"), "csv") == (
        "deir-ez-zor-all-events.csv"
    )


def test_briefing_and_timeline_carry_their_kind_map_and_events_do_not():
    flt = Q("type=battle&start=2024-01-01&end=2024-12-31")
    assert download_name(flt, "pdf", "briefing") == "deir-ez-zor-battles-2024-briefing.pdf"
    assert download_name(flt, "png", "timeline") == "deir-ez-zor-battles-2024-timeline.png"
    assert download_name(flt, "pdf", "map") == "deir-ez-zor-battles-2024.pdf"
    assert download_name(Q(""), "pdf", "briefing") == "deir-ez-zor-all-events-briefing.pdf"


def test_hostile_and_foreign_text_becomes_a_safe_ascii_name():
    flt = EventFilter(
        actors=('"; rm -rf / <script>', "Jaysh al-ʿAshāʾir"),
        outlets=("عنب بلدي", "Enab Baladi"),
        text="../../etc/passwd\r\n",
    )
    name = download_name(flt, "CSV")
    assert re.fullmatch(r"[a-z0-9-]+\.csv", name), name
    assert "involving-rm-rf-script-jaysh-al-ashair" in name and "from-enab-baladi" in name
    assert "mentioning-etc-passwd" in name
    with pytest.raises(ValueError, match="extension"):
        download_name(flt, 'csv"; x=1')


def test_a_long_filter_is_cut_at_a_word_and_keeps_its_dates():
    actors = tuple(f"Armed group {i}" for i in range(40))
    flt = EventFilter(actors=actors, start=date(2023, 8, 1), end=date(2023, 10, 31))
    stem = download_name(flt, "png", "briefing").removesuffix(".png")
    tail = "-2023-08-01-to-2023-10-31-briefing"
    assert len(stem) <= 120 and stem.endswith(tail)
    head = stem.removesuffix(tail)
    uncut = "deir-ez-zor-all-events-involving-" + "-".join(slug(a) for a in actors)
    assert uncut.startswith(head + "-")  # cut where a word ends


def test_date_part_and_slug():
    assert date_part(date(2023, 1, 1), date(2023, 12, 31)) == "2023"
    assert date_part(date(2023, 1, 1), date(2024, 12, 31)) == "2023-to-2024"
    assert date_part(date(2023, 1, 2), date(2024, 12, 31)) == "2023-01-02-to-2024-12-31"
    assert date_part(date(2023, 8, 1), date(2023, 10, 31)) == "2023-08-01-to-2023-10-31"
    assert date_part(date(2024, 2, 1), date(2024, 2, 29)) == "2024-02"
    assert date_part(None, None) == ""
    assert slug("Deir ez-Zor Military Council (DMC)") == "deir-ez-zor-military-council-dmc"


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("/tools/map/api/events.csv", "deir-ez-zor-battles-2024.csv"),
        ("/api/events.geojson", "deir-ez-zor-battles-2024.geojson"),
        ("/export/map.png", "deir-ez-zor-battles-2024.png"),
        ("/tools/map/export/briefing.pdf", "deir-ez-zor-battles-2024-briefing.pdf"),
        ("/export/timeline.svg", "deir-ez-zor-battles-2024-timeline.svg"),
        ("/api/zones.geojson", "fallback.json"),
        ("/api/meta", "fallback.json"),
    ],
)
def test_route_names(path, want):
    query = "type=battle&start=2024-01-01&end=2024-12-31&title=Anything&width=900&download=1"
    assert route_download_name(path, query, "fallback.json") == want
