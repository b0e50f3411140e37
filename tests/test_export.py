"""Data export and the briefing graphic, without a browser: ACLED layout, injection guard, paging,
the dressing of figures, and the renderer's clear error when Chromium is missing."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from components import briefing
from conflictmap.export import snapshot, tables
from conflictmap.read.index import build_incidents
from tests.helpers import make_event


def incidents(*events) -> pd.DataFrame:
    frame = pd.DataFrame([e.to_dict() for e in events])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return build_incidents(frame, [])


def test_columns_follow_acled_then_provenance():
    assert tables.COLUMNS[:4] == ("event_id_cnty", "event_date", "year", "time_precision")
    assert (
        tables.COLUMNS.index("latitude")
        < tables.COLUMNS.index("longitude")
        < tables.COLUMNS.index("fatalities")
    )
    assert tables.COLUMNS[-len(tables.PROVENANCE_COLUMNS) :] == tables.PROVENANCE_COLUMNS
    assert {
        "incident_id",
        "n_reports",
        "outlets",
        "evidence",
        "confidence",
        "origin",
        "zone_controller",
        "url",
    } <= set(tables.PROVENANCE_COLUMNS)


def test_rows_use_acled_labels_and_keep_provenance():
    a = make_event("e1", fatalities=3, source="Outlet A", incident_id="inc-1")
    b = make_event("e2", fatalities=5, source="Outlet B", incident_id="inc-1", article_id="art-2")
    c = make_event(
        "e3",
        event_type="explosion_remote_violence",
        sub_event_type="remote explosive/landmine/ied",
        date_precision="week",
        civilian_targeting=True,
        event_date=date(2024, 8, 9),
    )
    rows = tables.export_rows(incidents(a, b, c))
    assert len(rows) == 2  # two reports of one incident are one row
    merged = next(r for r in rows if r["incident_id"] == "inc-1")
    assert merged["event_type"] == "Battles" and merged["sub_event_type"] == "Armed clash"
    assert merged["disorder_type"] == "Political violence"
    assert merged["n_reports"] == 2 and merged["outlets"] == "Outlet A|Outlet B"
    assert merged["source"] == "Outlet A; Outlet B"
    assert merged["fatalities"] == 3  # the most conservative figure, as ACLED codes it
    assert merged["year"] == 2024 and merged["time_precision"] == 1 and merged["country"] == "Syria"
    bomb = next(r for r in rows if r["incident_id"] != "inc-1")
    assert bomb["event_type"] == "Explosions/Remote violence"
    assert bomb["sub_event_type"] == "Remote explosive/landmine/IED"
    assert bomb["time_precision"] == 2 and bomb["civilian_targeting"] == "Civilian targeting"
    assert list(merged) == list(tables.COLUMNS)


@pytest.mark.parametrize(
    ("etype", "sub", "want"),
    [
        ("protest", "peaceful protest", "Demonstrations"),
        ("protest", "excessive force against protesters", "Political violence; Demonstrations"),
        ("riot", "mob violence", "Political violence"),
        ("strategic_development", "arrests", "Strategic developments"),
    ],
)
def test_disorder_type(etype, sub, want):
    assert tables.disorder_type(etype, sub) == want


def test_csv_guards_formula_cells_but_not_numbers():
    hostile = make_event(
        "e1", actor1='=HYPERLINK("http://x")', location="+cmd", evidence="@SUM(A1)", notes="-2+3"
    )
    text = tables.to_csv(tables.export_rows(incidents(hostile)))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["actor1"].startswith("'=") and row["location"] == "'+cmd"
    assert row["evidence"] == "'@SUM(A1)" and row["notes"] == "'-2+3"
    assert row["latitude"] == "35.01"  # numbers are not touched
    assert text.splitlines()[0].split(",") == list(tables.COLUMNS)


def test_geojson_points_and_null_geometry():
    placed = make_event("e1")
    nowhere = make_event("e2", latitude=None, longitude=None, geo_precision=3, event_date=date(2024, 8, 8))
    fc = tables.to_geojson(tables.export_rows(incidents(placed, nowhere)), {"total": 2})
    assert fc["type"] == "FeatureCollection" and fc["meta"] == {"total": 2}
    geoms = [f["geometry"] for f in fc["features"]]
    assert geoms[0] == {"type": "Point", "coordinates": [40.51, 35.01]} and geoms[1] is None
    json.loads(tables.dumps(fc))  # serialisable as is


def test_page_bounds():
    assert tables.Page.parse(None, None) == tables.Page(tables.DEFAULT_LIMIT, 0)
    assert tables.Page.parse("5", "10") == tables.Page(5, 10)
    for bad in (("-1", None), (str(tables.MAX_LIMIT + 1), None), ("x", None), (None, "-3")):
        with pytest.raises(tables.ExportError, match="limit|offset"):
            tables.Page.parse(*bad)


def stamp(**kw) -> briefing.Stamp:
    base = dict(
        title="Battles <b>east</b> bank",
        start=date(2024, 1, 1),
        end=date(2024, 12, 31),
        as_of=date(2024, 12, 31),
        incidents=12,
        reports=15,
        fatalities=7,
        outlets=tuple(f"Outlet {i}" for i in range(11)),
        url="http://127.0.0.1:8050/tools/map/?start=2024-01-01&end=2024-12-31",
        exported_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
    )
    base.update(kw)
    return briefing.Stamp(**base)


def test_dress_says_what_the_image_shows():
    fig = {"data": [], "layout": {"margin": {"t": 0, "b": 0}}}
    out = briefing.dress(fig, stamp(), 1400, 1000)
    texts = " ".join(a["text"] for a in out["layout"]["annotations"])
    assert out["layout"]["title"]["text"] == "Battles east bank"  # markup stripped
    assert (
        "2024-01-01 to 2024-12-31" in texts and "zones as of 2024-12-31" in texts and "12 incidents" in texts
    )
    assert (
        "Natural Earth (public domain)" in texts
        and "GeoNames (CC BY 4.0)" in texts
        and "GSHHG (LGPL-3.0)" in texts
    )
    assert "Outlet 0" in texts and "and 3 more" in texts
    assert "Exported 2025-01-02 03:04 UTC" in texts and "tools/map/?start=2024-01-01" in texts
    assert fig["layout"]["margin"] == {"t": 0, "b": 0}  # the input is not changed


def test_briefing_is_one_figure_with_map_timeline_and_table():
    map_fig = {"data": [{"type": "scattermap", "name": "Battle"}], "layout": {"map": {"zoom": 7}}}
    timeline = {
        "data": [{"type": "bar", "name": "Battle"}],
        "layout": {"xaxis": {"type": "date"}, "yaxis": {}, "yaxis2": {"overlaying": "y"}, "annotations": []},
    }
    table = [
        {
            "date": "2024-08-07",
            "type": "Battle",
            "place": "Dhiban",
            "actors": "A / B",
            "fatalities": "3",
            "sources": "X",
        }
    ]
    fig = briefing.briefing_figure(map_fig, timeline, table, stamp())
    types = [t["type"] for t in fig["data"]]
    assert types == ["scattermap", "bar", "table"]
    assert fig["data"][1]["showlegend"] is False
    lo, hi = fig["layout"]["map"]["domain"]["y"]
    tlo, thi = fig["layout"]["yaxis"]["domain"]
    assert thi < lo and fig["data"][2]["domain"]["y"][1] < tlo
    assert fig["data"][2]["cells"]["values"][2] == ["Dhiban"]


def test_missing_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    assert snapshot.find_chromium() is None
    renderer = snapshot.Renderer(timeout=5)
    with pytest.raises(snapshot.ChromiumMissing, match="apt-get install chromium"):
        renderer.render({"data": [], "layout": {}}, "png", 400, 300)


def test_unknown_format_is_refused():
    with pytest.raises(snapshot.SnapshotError, match="unknown image format"):
        snapshot.Renderer().render({"data": []}, "gif", 400, 300)


def test_a_toll_no_report_gave_is_marked_not_stated_beside_acleds_zero():
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "event_id": "a",
                "event_date": pd.Timestamp("2024-08-12"),
                "event_type": "battle",
                "fatalities": 20.0,
            },
            {
                "event_id": "b",
                "event_date": pd.Timestamp("2024-08-13"),
                "event_type": "battle",
                "fatalities": float("nan"),
            },
        ]
    )
    rows = tables.export_rows(frame)
    assert [(r["fatalities"], r["fatalities_stated"]) for r in rows] == [(20, "yes"), (0, "no")]


def test_a_limit_of_zero_is_refused_so_paging_always_moves():
    with pytest.raises(tables.ExportError, match=r"limit='0' is outside 1\.\."):
        tables.Page.parse("0", "5")
    assert tables.Page.parse("1", "5") == tables.Page(1, 5)
