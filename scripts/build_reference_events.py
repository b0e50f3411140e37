"""Build data/reference_events.jsonl: the English dev corpus's gold events as curated facts.

Why: the dashboard opens on hand-coded facts from 2017 to 2026 so an analyst sees the history
before feeding it anything, and the de-duplication can be checked against a known grouping
(the gold ``incident_id``: reports of one real incident share it).

Only facts are carried over: date and its precision, type, sub-type, actors, place and
coordinates, fatalities, civilian targeting, the outlet, the address and the gold incident id.
Events the gold marks as outside the study area are left out. The place is matched to the
project's own gazetteer (``data/deirezzor_places.csv``), whose name and point then stand for it,
so a reference fact and a report the extractor placed in the same village carry the same place
id (which the rule "never merge two named towns" relies on). The one-line summary is written
here from those facts by a template, in the project's own words; the corpus's texts, evidence
sentences and notes are third-party writing and are never copied.

usage: python scripts/build_reference_events.py [GOLD.jsonl ...] [--output OUTPUT.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conflictmap.geo.gazetteer import Gazetteer, Place, load_gazetteer  # noqa: E402
from conflictmap.models import km_between  # noqa: E402 - after the path is set

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_GOLD = (CORPUS / "dev.jsonl", CORPUS / "dev2.jsonl")
DEFAULT_OUT = ROOT / "data" / "reference_events.jsonl"

FACT_FIELDS = (
    "event_date",
    "date_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "admin1",
    "geo_precision",
    "fatalities",
    "civilian_targeting",
)
# Gold points were set from the curated gazetteer where it has the place; further than this
# from any of its places, a point is the annotator's approximation and is kept as it is.
SNAP_KM = 1.0
NAME_KM = 2.0
AREA_KM = 25.0
SETTLEMENTS = frozenset({"city", "town", "village", "neighbourhood"})
PRECISION_WORDS = {1: "at", 2: "near", 3: "in the area of"}
DATE_WORDS = {"week": "in the week of", "month": "in the month of"}


def kind_of(ev: dict) -> str:
    """The sub-type as a noun phrase: 'Other (curfew)' reads as 'Curfew'."""
    kind = (ev.get("sub_event_type") or ev.get("event_type") or "event").replace("_", " ").strip()
    if kind.lower().startswith("other (") and kind.endswith(")"):
        kind = kind[7:-1]
    return kind[:1].upper() + kind[1:]


def summary(ev: dict, location: str, outlet: str) -> str:
    """A one-line description written from the fact fields alone."""
    actors = [a.removeprefix("Other: ") for a in (ev.get("actor1"), ev.get("actor2")) if a]
    who = f" involving {' and '.join(actors)}" if actors else ""
    where = f"{PRECISION_WORDS.get(ev.get('geo_precision') or 3, 'in')} {location or 'an unnamed place'}"
    when = f"{DATE_WORDS.get(ev.get('date_precision') or 'day', 'on')} {ev['event_date']}"
    toll = ""
    fat = ev.get("fatalities")
    if fat == 0:
        toll = "; no deaths reported"
    elif fat is not None:
        toll = f"; {fat} reported killed"
    return f"{kind_of(ev)}{who} {where} {when}{toll}. Coded by hand from a report by {outlet}."


def match_place(gaz: Gazetteer, curated: list[Place], ev: dict) -> Place | None:
    """The gazetteer place the gold point stands for: its name when it resolves nearby, else
    the curated place at the point itself."""
    lat, lon = ev.get("latitude"), ev.get("longitude")
    if lat is None or lon is None:
        return None
    res = gaz.resolve(ev.get("location") or "")
    if res and km_between(lat, lon, res.place.latitude, res.place.longitude) <= NAME_KM:
        return res.place
    nearest = min(curated, key=lambda p: km_between(lat, lon, p.latitude, p.longitude), default=None)
    if nearest and km_between(lat, lon, nearest.latitude, nearest.longitude) <= SNAP_KM:
        return nearest
    return None


def area_name(curated: list[Place], ev: dict) -> str:
    """A label for a point no gazetteer place stands for: the nearest settlement, ACLED-style."""
    towns = [p for p in curated if p.kind in SETTLEMENTS]
    lat, lon = ev["latitude"], ev["longitude"]
    nearest = min(towns, key=lambda p: km_between(lat, lon, p.latitude, p.longitude), default=None)
    if nearest is None or km_between(lat, lon, nearest.latitude, nearest.longitude) > AREA_KM:
        return f"{ev.get('admin1') or 'Deir ez-Zor'} governorate"
    return nearest.name


def build(gold_paths: list[Path], gaz: Gazetteer | None = None) -> list[dict]:
    gaz = gaz or load_gazetteer(ROOT / "data")
    curated = [p for p in gaz.places if p.place_id.startswith("dz:")]
    out = []
    for gold_path in gold_paths:
        with gold_path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    art = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{gold_path}:{line_no}: not JSON ({exc})") from exc
                outlet = art.get("source") or "an unnamed outlet"
                for n, ev in enumerate(art.get("events") or []):
                    if ev.get("in_study_area") is False or ev.get("latitude") is None:
                        continue
                    key = f"{art['id']}:{n}:{ev.get('incident_id')}"
                    place = match_place(gaz, curated, ev)
                    row = {k: ev.get(k) for k in FACT_FIELDS}
                    if place is not None:
                        location, lat, lon, place_id = (
                            place.name,
                            place.latitude,
                            place.longitude,
                            place.place_id,
                        )
                    else:  # named after the nearest settlement, the point kept as coded
                        location, lat, lon, place_id = (
                            area_name(curated, ev),
                            ev["latitude"],
                            ev["longitude"],
                            None,
                        )
                    row.update(
                        location=location,
                        place_id=place_id,
                        latitude=round(float(lat), 5),
                        longitude=round(float(lon), 5),
                        event_id="ref:" + hashlib.sha1(key.encode()).hexdigest()[:16],  # noqa: S324 - an id, not security
                        article_id=f"ref:{art['id']}",
                        incident_id="ref:" + str(ev.get("incident_id") or key),
                        source=outlet,
                        url=art.get("url"),
                        origin="reference",
                        geo_method="coded by hand",
                        confidence=1.0,
                        evidence="",
                        notes=summary(ev, location, outlet),
                        extractor_version="reference",
                    )
                    out.append(row)
    out.sort(key=lambda r: (r["event_date"], r["event_id"]))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="*", type=Path, help="gold JSONL files (default: dev.jsonl and dev2.jsonl)")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    golds = args.gold or list(DEFAULT_GOLD)
    missing = [str(g) for g in golds if not g.exists()]
    if missing:
        raise SystemExit(
            f"gold file not found: {', '.join(missing)} (expected the shared corpus beside the project)"
        )
    rows = build(golds)
    args.output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    incidents = len({r["incident_id"] for r in rows})
    print(f"wrote {len(rows)} reference events ({incidents} incidents) to {args.output}")


if __name__ == "__main__":
    main()
