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
6. Versions: 2019-03-23 (fall of Baghuz) -> 2024-12-05, and 2024-12-06 -> open. The pocket is
   a feature of its own in both, so its lower confidence can be stated apart from the banks.

Run: ``python scripts/build_zones.py`` (writes) or ``python scripts/build_zones.py --check``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
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

    era1 = {"valid_from": "2019-03-23", "valid_to": "2024-12-05"}
    era2 = {"valid_from": "2024-12-06", "valid_to": None}
    open_note = (
        " Open-ended: later changes (for example arrangements between the SDF and Damascus in 2025 "
        "and after) are not modelled; close this version and add a new one when sources give a date."
    )
    feats = [
        _feature(
            east_minus,
            zone_id="dy-east-2019",
            controller=SDF,
            **era1,
            label="East (Jazira) bank: SDF",
            source=SRC_GEOM,
            confidence="medium",
            notes=(
                "The whole left bank inside the coarse Natural Earth outline, less the seven-villages "
                "pocket. Real front lines followed the river but not every bend; ISIS cells stayed "
                "active in the area. Starts with the fall of Baghuz."
            ),
        ),
        _feature(
            west,
            zone_id="dy-west-2019",
            controller=REGIME,
            **era1,
            label="West (Shamiya) bank: Syrian regime and Iran-backed militias",
            source=SRC_GEOM,
            confidence="medium",
            notes=(
                "The whole right bank, including the Badia desert, where control was thin and ISIS "
                "cells operated; the desert part is nominal."
            ),
        ),
        _feature(
            pk,
            zone_id="dy-pocket-2019",
            controller=REGIME,
            **era1,
            label="Seven villages pocket (east bank): Syrian regime and Iran-backed militias",
            source=SRC_POCKET,
            confidence="low",
            notes=(
                "Husayniyah, Salihiyah, Hatla, Marrat, Mazlum, Khasham, Tabiyah: the pocket's outline "
                "is a hull around village points (several placed approximately, +-1-3 km), not a "
                "surveyed front line."
            ),
        ),
        _feature(
            east_minus,
            zone_id="dy-east-2024",
            controller=SDF,
            **era2,
            label="East (Jazira) bank: SDF",
            source=SRC_GEOM,
            confidence="medium",
            notes="The left bank less the former seven-villages pocket." + open_note,
        ),
        _feature(
            west,
            zone_id="dy-west-2024",
            controller=STG,
            **era2,
            label="West (Shamiya) bank: Syrian transitional government",
            source=SRC_GEOM,
            confidence="medium",
            notes=(
                "After the regime's collapse; for a few days in early December 2024 control of "
                "Deir ez-Zor city changed hands more than once, which this version does not show." + open_note
            ),
        ),
        _feature(
            pk,
            zone_id="dy-pocket-2024",
            controller=STG,
            **era2,
            label="Former seven villages pocket (east bank): Syrian transitional government",
            source=SRC_POCKET,
            confidence="low",
            notes=(
                "Assigned to the transitional government as successor of the regime side; uncertain: "
                "the SDF was reported moving into these villages when regime forces withdrew in "
                "December 2024, and who held them afterwards, and from when, is not settled here." + open_note
            ),
        ),
    ]
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
