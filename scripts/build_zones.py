"""Build ``data/zones.geojson``: Deir ez-Zor control zones split along the Euphrates, by date.

Why a script and not a hand-drawn file: every vertex of the output comes from two public
inputs (the Natural Earth governorate polygon and the GSHHG Euphrates line) plus seven
village points from the project's gazetteer, so anyone can re-run this and get the same bytes
(``--check`` compares a fresh build with the file on disk; a test runs it).

Method (all in WGS84 lon/lat degrees; this is a briefing map, not surveying):

1. Governorate: the feature with ``iso_3166_2 == "SY-DY"`` in ``ne10m_admin1_syria.geojson``.
2. Cut line: the Euphrates MultiLineString clipped to the governorate grown by 0.05 deg and
   merged; the longest piece (both ends outside the polygon) is the cut line, so
   ``shapely.ops.split`` cuts the polygon cleanly in two, and the banks share the river line
   exactly (a buffer-based split would leave a strip of river with no zone).
3. Which half is which bank: the gazetteer (``deirezzor_places.csv``) tags each place ``east``
   (Jazira, left bank) or ``west`` (Shamiya, right bank); the half holding most ``east`` places
   is the east bank. Where a tagged place lands on the other half close to the river (the river
   line is off by up to ~1.5 km in places: it puts Abu Kamal on the left bank), a small disc
   around the place is moved to its tagged bank (``reconcile_banks``; reported on stderr).
4. The "seven villages" pocket (Husayniyah, Salihiyah, Hatla, Marrat, Mazlum, Khasham, Tabiyah):
   the convex hull of the village points together with the stretch of river between the
   villages' nearest river points, buffered by POCKET_BUFFER_DEG (~1.5 km), clipped to the east
   bank. Taking the river stretch into the hull makes the pocket run flush to the river, with no
   sliver of SDF zone between the pocket and the water.
5. Snapping: everything is snapped to a 1e-5 deg grid (~1 m) and overlaid on that grid, west
   last (governorate less east and pocket), so each day's zones tile the governorate exactly.
6. Versions from the change log ``data/zone_changes.csv``: one row per dated report and area
   (``east`` bank less the pocket, the seven-villages ``pocket``, the ``west`` bank with the
   city). A ``change`` row starts a version of its area, ending the day before the area's next
   change; a ``context`` row adds its sources and dated note to the version in force. Each
   feature carries ``status`` (held/contested), ``confidence``, its ``sources`` (and the same
   joined in ``source``) and the timeline's ``change_label``. The dates and sources follow the
   research notes in ``../shared/design/ZONES-HISTORY.md``.

Run: ``python scripts/build_zones.py`` (writes) or ``python scripts/build_zones.py --check``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import shapely
from shapely import ops
from shapely.geometry import LineString, MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"
OUT = DATA / "zones.geojson"

RIVER_OVERSHOOT_DEG = 0.05
POCKET_BUFFER_DEG = 0.015
RECONCILE_MAX_DEG = 0.03  # ~3 km: farther than this, a bank disagreement is a data error to fix by hand
RECONCILE_MARGIN_DEG = 0.003  # ~300 m past the river line
COORD_DECIMALS = 5
GRID = 10.0**-COORD_DECIMALS

# Gazetteer names of the seven east-bank villages the regime held opposite Deir ez-Zor city.
POCKET_VILLAGES: tuple[str, ...] = (
    "Al-Husayniyah",
    "Al-Salihiyah (Deir ez-Zor)",
    "Hatla",
    "Marrat",
    "Mazlum",
    "Khasham",
    "Tabiyah Jazira",
)

SDF = "SDF"
REGIME = "Syrian regime and Iran-backed militias"
STG = "Syrian transitional government"

SRC_GEOM = (
    "Geometry: Natural Earth 10m admin-1 (SY-DY) split along the GSHHG/WDB II Euphrates by "
    "scripts/build_zones.py"
)
SRC_POCKET = (
    "Geometry: hull of the seven villages' gazetteer points (data/deirezzor_places.csv) and the "
    "adjacent river stretch, buffered ~1.5 km, clipped to the east bank, by scripts/build_zones.py"
)


def _input(name: str) -> Path:
    """Prefer the project's copy in data/, fall back to the shared folder (first build)."""
    local = DATA / name
    return local if local.exists() else SHARED / name


def governorate() -> BaseGeometry:
    fc = json.loads(_input("ne10m_admin1_syria.geojson").read_bytes())
    for feat in fc["features"]:
        if feat["properties"].get("iso_3166_2") == "SY-DY":
            return shape(feat["geometry"])
    raise SystemExit("SY-DY (Deir ez-Zor) not found in ne10m_admin1_syria.geojson")


def euphrates() -> BaseGeometry:
    fc = json.loads(_input("rivers_euphrates_khabur.geojson").read_bytes())
    for feat in fc["features"]:
        if feat["properties"].get("name") == "Euphrates":
            return shape(feat["geometry"])
    raise SystemExit("Euphrates not found in rivers_euphrates_khabur.geojson")


def places() -> list[dict[str, str]]:
    with _input("deirezzor_places.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def cut_line(gov: BaseGeometry, river: BaseGeometry) -> LineString:
    """The river inside the governorate, overshooting both ends so a split cuts right through.

    The clip can catch short stray bits where the river brushes the grown outline; the longest
    merged piece is the one that crosses the governorate, and both its ends must lie outside it.
    """
    clipped = river.intersection(gov.buffer(RIVER_OVERSHOOT_DEG))
    merged = ops.linemerge(clipped) if clipped.geom_type == "MultiLineString" else clipped
    pieces = list(getattr(merged, "geoms", [merged]))
    line = max(pieces, key=lambda g: g.length)
    ends = [Point(line.coords[0]), Point(line.coords[-1])]
    if line.geom_type != "LineString" or any(gov.covers(e) for e in ends):
        raise SystemExit("the Euphrates does not cross the governorate from edge to edge; cannot split")
    return line


def split_banks(gov: BaseGeometry, line: LineString, rows: list[dict[str, str]]) -> tuple[Any, Any]:
    """Split into (east, west) and name the halves by a vote of the gazetteer's bank tags."""
    halves = list(ops.split(gov, line).geoms)
    if len(halves) != 2:
        raise SystemExit(f"splitting the governorate along the river gave {len(halves)} parts, expected 2")
    votes = [0, 0]
    for i, half in enumerate(halves):
        for row in rows:
            if row["bank"] in ("east", "west") and half.contains(_pt(row)):
                votes[i] += 1 if row["bank"] == "east" else -1
    return (halves[0], halves[1]) if votes[0] > votes[1] else (halves[1], halves[0])


def reconcile_banks(
    east: BaseGeometry, west: BaseGeometry, line: LineString, rows: list[dict[str, str]]
) -> tuple[BaseGeometry, BaseGeometry]:
    """Let the gazetteer's bank tags win over the river line near the river.

    The GSHHG line is off by up to a kilometre or two in places (it puts Abu Kamal's centre, a
    right-bank town, just on the left bank). Events are placed at gazetteer points, so a point
    on the wrong side would be given the wrong controller. For each tagged place that falls on
    the other half within RECONCILE_MAX_DEG of the line, a disc centred on it, reaching
    RECONCILE_MARGIN_DEG past the river, is moved to its tagged bank; the disc is cut back to
    the Voronoi cell of the place against places tagged for the other bank, so it never takes a
    neighbour across the water with it. General rule, no per-place cases.
    """
    tagged = [(r, _pt(r)) for r in rows if r["bank"] in ("east", "west")]
    for row, p in tagged:
        wrong, right = (west, east) if row["bank"] == "east" else (east, west)
        if not wrong.contains(p):
            continue
        dist = line.distance(p)
        if dist > RECONCILE_MAX_DEG:
            print(
                f"note: {row['name']} is tagged {row['bank']} but lies {dist * 111:.1f} km into the "
                "other bank; left as is (fix the gazetteer or the river)",
                file=sys.stderr,
            )
            continue
        radius = dist + RECONCILE_MARGIN_DEG
        disc = p.buffer(radius)
        rivals = [q for r2, q in tagged if r2["bank"] != row["bank"] and q.distance(p) < 2 * radius]
        if rivals:  # keep only the part nearer to this place than to any place of the other bank
            cells = shapely.voronoi_polygons(MultiPoint([p, *rivals]), extend_to=disc)
            disc = disc.intersection(next(c for c in cells.geoms if c.contains(p)))
        moved = _polygonal(disc.intersection(wrong))
        wrong, right = _polygonal(wrong.difference(moved)), _polygonal(right.union(moved))
        east, west = (right, wrong) if row["bank"] == "east" else (wrong, right)
        print(
            f"note: {row['name']} ({row['bank']}) lay {dist * 111:.1f} km on the other side of the "
            f"river line; moved {moved.area * 111 * 92:.1f} km2 around it to its bank",
            file=sys.stderr,
        )
    return east, west


def _pt(row: dict[str, str]) -> Point:
    return Point(float(row["longitude"]), float(row["latitude"]))


def pocket(east: BaseGeometry, line: LineString, rows: list[dict[str, str]]) -> BaseGeometry:
    """The regime-held east-bank pocket, from the seven villages' points (see module docstring)."""
    by_name = {r["name"]: r for r in rows if r["bank"] == "east" and r["admin2"] == "Deir ez-Zor"}
    missing = [n for n in POCKET_VILLAGES if n not in by_name]
    if missing:
        raise SystemExit(f"pocket villages missing from the gazetteer: {missing}")
    pts = [_pt(by_name[n]) for n in POCKET_VILLAGES]
    along = sorted(line.project(p) for p in pts)
    stretch = ops.substring(line, along[0], along[-1])
    hull = MultiPoint([*pts, *(Point(c) for c in stretch.coords)]).convex_hull
    return _polygonal(shapely.intersection(hull.buffer(POCKET_BUFFER_DEG), east, grid_size=GRID))


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of an overlay result (overlays can leave stray lines)."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys)


def _feature(geom: BaseGeometry, **props: Any) -> dict[str, Any]:
    geom = shapely.set_precision(geom, GRID)
    geom = shapely.normalize(geom)
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


AREAS: dict[str, str] = {
    "east": "East (Jazira) bank",
    "pocket": "Seven villages (east bank)",
    "west": "West (Shamiya) bank and city",
}
KINDS = ("change", "context")
STATUSES = ("held", "contested")
CONFIDENCES = ("high", "medium", "low")
CONTESTED = "Contested"
SOURCE_SEP = " | "  # between sources in a cell of the change log and in a feature's ``source``
AREA_CAVEATS = {
    "east": (
        "Geometry: the whole left bank inside the coarse Natural Earth outline, less the seven-villages "
        "pocket; real front lines followed the river but not every bend."
    ),
    "pocket": (
        "Geometry: a hull around the seven villages' gazetteer points (several placed approximately, "
        "+-1-3 km), not a surveyed front line."
    ),
    "west": "Geometry: the whole right bank, including the Badia desert, where control was nominal.",
}


class ChangeLogError(SystemExit):
    """The change log cannot be turned into versions; the message names the row and why."""


def read_change_log(path: Path | None = None) -> list[dict[str, Any]]:
    """Rows of ``data/zone_changes.csv``, checked one by one (line numbers as an editor shows them).

    Why checked here and not only at load time: the change log is the hand-edited record; a
    typo in a date or a status must stop the build with the line to fix, not produce a zones
    file that loads but says something else.
    """
    path = path or DATA / "zone_changes.csv"
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, raw in enumerate(csv.DictReader(fh), start=2):
            row = {k: (v or "").strip() for k, v in raw.items()}
            try:
                row["day"] = date.fromisoformat(row["date"])
            except ValueError:
                problems.append(f"line {line}: date {row['date']!r} is not YYYY-MM-DD")
                continue
            row["line"] = line
            row["sources"] = [s.strip() for s in row["sources"].split(SOURCE_SEP) if s.strip()]
            checks = [
                (row["area"] in AREAS, f"area {row['area']!r} not one of {sorted(AREAS)}"),
                (row["kind"] in KINDS, f"kind {row['kind']!r} not one of {KINDS}"),
                (row["status"] in STATUSES, f"status {row['status']!r} not one of {STATUSES}"),
                (
                    row["confidence"] in CONFIDENCES,
                    f"confidence {row['confidence']!r} not one of {CONFIDENCES}",
                ),
                (bool(row["controller"]), "no controller"),
                (bool(row["sources"]), "no sources: every row must cite at least one"),
                (
                    (row["status"] == "contested") == (row["controller"] == CONTESTED),
                    f"status contested goes with controller {CONTESTED!r} and only with it",
                ),
                (
                    row["status"] != "contested" or row["confidence"] == "low",
                    "a contested area is low confidence",
                ),
            ]
            problems += [f"line {line}: {msg}" for ok, msg in checks if not ok]
            rows.append(row)
    if problems:
        raise ChangeLogError(f"{path}: " + "; ".join(problems))
    return rows


def versions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn the change log into zone versions: one per ``change`` row, per area.

    A change row starts a version of its area on its date; the version ends the day before the
    area's next change (open-ended if none). A ``context`` row adds its sources and its note
    (dated) to the version in force on its date, and must agree with it on controller and
    status, so a context row can never silently say something the map does not show. Every
    change date after the first carries one short ``change_label`` for the timeline.
    """
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    for area in AREAS:
        changes = sorted(
            (r for r in rows if r["area"] == area and r["kind"] == "change"), key=lambda r: r["day"]
        )
        days = [r["day"] for r in changes]
        if len(set(days)) != len(days):
            problems.append(f"area {area}: two changes on one date")
        for i, row in enumerate(changes):
            end = changes[i + 1]["day"] - timedelta(days=1) if i + 1 < len(changes) else None
            prev = changes[i - 1]["controller"] if i else None
            nxt = changes[i + 1]["controller"] if i + 1 < len(changes) else None
            out.append(
                {
                    "area": area,
                    "valid_from": row["day"],
                    "valid_to": end,
                    "controller": row["controller"],
                    "status": row["status"],
                    "confidence": row["confidence"],
                    "sources": list(row["sources"]),
                    "notes": [row["note"]] if row["note"] else [],
                    "contested_by": sorted({c for c in (prev, nxt) if c and c != CONTESTED})
                    if row["status"] == "contested"
                    else [],
                }
            )
    for row in (r for r in rows if r["kind"] == "context"):
        v = next(
            (
                v
                for v in out
                if v["area"] == row["area"]
                and v["valid_from"] <= row["day"]
                and (v["valid_to"] is None or row["day"] <= v["valid_to"])
            ),
            None,
        )
        if v is None:
            problems.append(f"line {row['line']}: context before the first change of {row['area']}")
            continue
        if (v["controller"], v["status"]) != (row["controller"], row["status"]):
            problems.append(
                f"line {row['line']}: context says {row['controller']}/{row['status']} but the version in "
                f"force says {v['controller']}/{v['status']}"
            )
        v["sources"] += [s for s in row["sources"] if s not in v["sources"]]
        if row["note"]:
            v["notes"].append(f"{row['date']}: {row['note']}")
    first = min((v["valid_from"] for v in out), default=None)
    labels: dict[date, set[str]] = {}
    for row in rows:
        if row["kind"] == "change" and row["day"] != first:
            labels.setdefault(row["day"], set())
            if row["change_label"]:
                labels[row["day"]].add(row["change_label"])
    for day, found in sorted(labels.items()):
        if len(found) != 1:
            problems.append(
                f"{day}: needs exactly one change_label among its change rows, has {sorted(found)}"
            )
    if problems:
        raise ChangeLogError("zone_changes.csv: " + "; ".join(problems))
    for v in out:
        v["change_label"] = next(iter(labels.get(v["valid_from"], {""})))
    return sorted(out, key=lambda v: (v["valid_from"], list(AREAS).index(v["area"])))


def _label(v: dict[str, Any]) -> str:
    if v["status"] == "contested":
        return f"{AREAS[v['area']]}: contested ({' vs '.join(v['contested_by']) or 'claimants unclear'})"
    return f"{AREAS[v['area']]}: {v['controller']}"


def build() -> dict[str, Any]:
    gov = governorate()
    line = cut_line(gov, euphrates())
    rows = places()
    east, _ = reconcile_banks(*split_banks(gov, line, rows), line, rows)
    # Snap once, then overlay on the same grid; west is the governorate less everything east
    # of the river, taken last so it carries every vertex its neighbours put on the shared
    # border. The three zones then tile the governorate with no slivers or pinholes.
    east = shapely.set_precision(east, GRID)
    pk = pocket(east, line, rows)
    east_minus = _polygonal(shapely.difference(east, pk, grid_size=GRID))
    east_all = shapely.union(east_minus, pk, grid_size=GRID)
    west = _polygonal(shapely.difference(shapely.set_precision(gov, GRID), east_all, grid_size=GRID))
    geoms = {"east": east_minus, "pocket": pk, "west": west}
    geom_sources = {"east": SRC_GEOM, "pocket": SRC_POCKET, "west": SRC_GEOM}

    feats = []
    for v in versions(read_change_log()):
        props: dict[str, Any] = {
            "zone_id": f"dy-{v['area']}-{v['valid_from'].isoformat()}",
            "controller": v["controller"],
            "valid_from": v["valid_from"].isoformat(),
            "valid_to": v["valid_to"].isoformat() if v["valid_to"] else None,
            "label": _label(v),
            "source": SOURCE_SEP.join(v["sources"]),
            "confidence": v["confidence"],
            "notes": " ".join([*v["notes"], AREA_CAVEATS[v["area"]]]),
            "status": v["status"],
            "sources": v["sources"],
            "area": v["area"],
            "change_label": v["change_label"],
            "geometry_source": geom_sources[v["area"]],
        }
        if v["contested_by"]:
            props["contested_by"] = v["contested_by"]
        feats.append(_feature(geoms[v["area"]], **props))
    return {
        "type": "FeatureCollection",
        "name": "deir_ez_zor_control_zones",
        "features": feats,
    }


def dumps(fc: dict[str, Any]) -> str:
    """One feature a line: diffs of a rebuild stay readable, and the bytes are deterministic."""
    head = '{"type": "FeatureCollection", "name": ' + json.dumps(fc["name"]) + ', "features": [\n'
    body = ",\n".join(json.dumps(f, ensure_ascii=False) for f in fc["features"])
    return head + body + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="rebuild in memory; exit 1 if data/ differs")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text = dumps(build())
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
