"""Small builders shared by the tests: events and zones written for the tests, not real data."""

from __future__ import annotations

from datetime import date

from shapely.geometry import box

from conflictmap.models import Event, ZoneVersion


def make_event(event_id: str, **kw) -> Event:
    base = dict(
        event_id=event_id,
        article_id=kw.pop("article_id", f"art-{event_id}"),
        event_date=kw.pop("event_date", date(2024, 8, 7)),
        event_type=kw.pop("event_type", "battle"),
        sub_event_type=kw.pop("sub_event_type", "armed clash"),
        actor1="SDF",
        actor2="NDF (pro-regime militia)",
        location="Dhiban",
        place_id="dz:dhiban",
        admin1="Deir ez-Zor",
        latitude=35.01,
        longitude=40.51,
        geo_precision=1,
        geo_method="exact name",
        fatalities=None,
        evidence="Fighters clashed in the village overnight.",
        confidence=0.7,
        source="Test Outlet",
        url="https://example.org/report",
    )
    base.update(kw)
    return Event(**base)


def evidence_at(text: str, sentence: str) -> dict:
    """The evidence fields of an event whose sentence stands in ``text`` (exact offsets)."""
    start = text.index(sentence)
    return {"evidence": sentence, "evidence_start": start, "evidence_end": start + len(sentence)}


def split_zones() -> list[ZoneVersion]:
    """Two banks as boxes split at lon 40.5, controller changing on 2024-12-06 in the west."""
    west, east = box(39.0, 34.0, 40.5, 36.0), box(40.5, 34.0, 42.0, 36.0)
    return [
        ZoneVersion("east-2019", "SDF", date(2019, 3, 23), None, "east bank", east),
        ZoneVersion(
            "west-2019",
            "Syrian regime and Iran-backed militias",
            date(2019, 3, 23),
            date(2024, 12, 5),
            "west bank",
            west,
        ),
        ZoneVersion(
            "west-2024", "Syrian transitional government", date(2024, 12, 6), None, "west bank", west
        ),
    ]
