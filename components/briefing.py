"""The briefing graphic: the dashboard's own map and timeline figures dressed with what they show.

A map PNG, SVG or PDF and the one-page briefing must say what the screen says and where it came
from: title, filters, zones date, counts, sources and licences (``Stamp``), a legend for every
type and precision, a scale bar and a north arrow, framing that fits the incidents, and for the
briefing the period's main events as a table. This is layout composition, so it lives on the web
side beside the figures (``components.figures``); rendering the result to bytes is the domain's
``conflictmap.export.snapshot``. Plain dict surgery (no plotly import), so it is cheap to test.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from components.figures import AREA_ONLY_GROWTH, AREA_ONLY_MIN_SIZE, PRECISION_OPACITY, marker_size

log = logging.getLogger(__name__)

LICENCE_LINE = (
    "Basemap: Natural Earth (public domain) · places: GeoNames (CC BY 4.0) · rivers: GSHHG (LGPL-3.0)"
)
NOT_STATED = "not stated"


@dataclass(frozen=True)
class Stamp:
    """What a briefing graphic says about itself: what, when, how many, from where, which view."""

    title: str
    start: date | None
    end: date | None
    as_of: date
    incidents: int
    reports: int
    fatalities: int
    outlets: tuple[str, ...]
    url: str
    exported_at: datetime

    def subtitle(self) -> str:
        """The graphic's second line: date span, zones date and counts.

        "all dates" unless both ``start`` and ``end`` are set."""
        span = f"{self.start} to {self.end}" if self.start and self.end else "all dates"
        return (
            f"{span} · zones as of {self.as_of} · {self.incidents:,} incidents "
            f"({self.reports:,} reports, {self.fatalities:,} fatalities)"
        )

    def sources(self, limit: int = 8) -> str:
        """The sources line: the first ``limit`` outlets (then "and N more") and the basemap licences."""
        shown = list(self.outlets[:limit])
        more = len(self.outlets) - len(shown)
        events = ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"
        return f"Events: {events} · {LICENCE_LINE}"

    def footer(self) -> str:
        """When the graphic was made (UTC) and the link that opens the same view."""
        when = self.exported_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"Exported {when} · view: {self.url}"

    def map_position_chosen(self) -> bool:
        """Whether the view's link places the map itself (the analyst panned or zoomed): then the
        export keeps that centre and zoom; otherwise it is framed on the incidents."""
        qs = parse_qs(urlsplit(self.url).query)
        return bool(qs.get("zoom") or (qs.get("lat") and qs.get("lon")))


def fatalities_cell(value: Any) -> str:
    """A fatality count as printed in a table: unknown (None, NaN, blank) is "not stated", never 0."""
    if value is None:
        return NOT_STATED
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "nan", "none", "null", "<na>", NOT_STATED):
            return NOT_STATED
        try:
            value = float(text)
        except ValueError:
            return text
    try:
        number = float(value)
    except (TypeError, ValueError):
        return NOT_STATED
    if math.isnan(number):
        return NOT_STATED
    return f"{int(number):,}"


def _wrap(text: str, width: int) -> str:
    """Plotly does not wrap annotations: break long lines at spaces (or hard, for URLs)."""
    words, lines, line = text.split(" "), [], ""
    for w in words:
        while len(w) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(w[:width])
            w = w[width:]
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _note(text: str, y: float, yanchor: str, size: int, colour: str = "#333") -> dict[str, Any]:
    return {
        "text": text,
        "x": 0,
        "xref": "paper",
        "xanchor": "left",
        "y": y,
        "yref": "paper",
        "yanchor": yanchor,
        "showarrow": False,
        "align": "left",
        "font": {"size": size, "color": colour},
    }


def _legend_every_type(fig: dict[str, Any]) -> None:
    """A type drawn only as pale "area only" discs still gets a legend entry on paper."""
    shown = {t.get("legendgroup") for t in fig.get("data", []) if t.get("showlegend", True)}
    for t in fig.get("data", []):
        group = t.get("legendgroup")
        if (t.get("meta") or {}).get("kind") == "events" and group not in shown:
            t["showlegend"] = True
            shown.add(group)


# ---- map furniture: framing, scale bar, north arrow, legends of size and precision ----------------
# Everything is drawn as layout shapes and annotations on top of the dashboard's own map figure,
# placed in pixels from a corner of the map (``xsizemode="pixel"`` shapes, ``xshift`` notes), so
# it lands where it should at any export size, and stays vector text in SVG and PDF.

WORLD_PX = 512.0  # MapLibre's world is 512 px wide at zoom 0; plotly's map.zoom is MapLibre's zoom
EARTH_M = 40_075_016.686  # the equator, metres (WGS84)
FIT_ZOOM = (5.0, 8.5)  # a lone incident is shown with its district around it, never a street
FIT_PAD_PX = 40  # incidents stay clear of the frame, the scale bar and the north arrow
SCALE_STEPS_KM = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
COLUMN_GAP_PX = 14
AXIS_LABELS_PX = 36  # a date axis's labels under a chart: two lines ("Aug 4" over "2024")
INK = "#333"
SAMPLE_COLOUR = "#3b4654"  # a neutral slate, none of the event types' colours

# The legend's sample sizes; sizes and opacities themselves are the map's (components.figures).
SIZE_STEPS = (0, 5, 25, 100)
PRECISION_SHORT = {1: "solid: town or village", 2: "paler: near a town", 3: "pale disc: governorate only"}
LEGEND_GROUP_GAP = 3
PRECISION_TEXT = {
    1: "solid: in a named town or village",
    2: "paler: near a town, or part of a district",
    3: "large pale disc: governorate or region only, drawn at its capital (not a place)",
}


def merc_y(lat: float) -> float:
    phi = math.radians(max(-85.05, min(85.05, lat)))
    return (1 - math.log(math.tan(math.pi / 4 + phi / 2)) / math.pi) / 2


def _merc_lat(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def metres_per_px(lat: float, zoom: float) -> float:
    """Ground distance of one screen pixel at a latitude and MapLibre zoom (Web Mercator)."""
    return EARTH_M * math.cos(math.radians(lat)) / (WORLD_PX * 2**zoom)


def event_points(fig: dict[str, Any]) -> tuple[list[tuple[float, float]], float]:
    """(lat, lon) of every event marker in the figure and the largest marker's diameter in px."""
    points: list[tuple[float, float]] = []
    biggest = 0.0
    for t in fig.get("data", []):
        if (t.get("meta") or {}).get("kind") != "events":
            continue
        size = (t.get("marker") or {}).get("size", 0)
        sizes = size if isinstance(size, list | tuple) else [size]
        biggest = max([biggest, *(float(s) for s in sizes if s is not None)])
        for lat, lon in zip(t.get("lat") or [], t.get("lon") or [], strict=False):
            if lat is None or lon is None:
                continue
            lat, lon = float(lat), float(lon)
            if math.isfinite(lat) and math.isfinite(lon):
                points.append((lat, lon))
    return points, biggest


def fit_view(
    points: list[tuple[float, float]],
    width_px: float,
    height_px: float,
    pad_px: float = FIT_PAD_PX,
    zoom_range: tuple[float, float] = FIT_ZOOM,
) -> tuple[float, float, float] | None:
    """Centre (lat, lon) and zoom that show every point with ``pad_px`` to spare; None if no point."""
    if not points:
        return None
    xs = [(lon + 180.0) / 360.0 for _, lon in points]
    ys = [merc_y(lat) for lat, _ in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    room_w, room_h = max(width_px - 2 * pad_px, 40.0), max(height_px - 2 * pad_px, 40.0)
    fits = [
        math.log2(room / (span * WORLD_PX))
        for room, span in ((room_w, x1 - x0), (room_h, y1 - y0))
        if span > 0
    ]
    zoom = min(fits) if fits else zoom_range[1]
    zoom = max(zoom_range[0], min(zoom_range[1], zoom))
    return _merc_lat((y0 + y1) / 2), (x0 + x1) / 2 * 360.0 - 180.0, round(zoom, 3)


def nice_distance_km(km_per_px: float, max_px: float) -> float:
    """The longest round distance (1, 2, 5, 10, 20, 25, 50 … km) whose bar fits in ``max_px``."""
    fitting = [d for d in SCALE_STEPS_KM if d / km_per_px <= max_px]
    return float(fitting[-1]) if fitting else SCALE_STEPS_KM[0] / 2


@dataclass(frozen=True)
class MapBox:
    """Where the map sits: its domain in paper fractions, and the paper's size in pixels."""

    x0: float
    x1: float
    y0: float
    y1: float
    plot_w: float
    plot_h: float

    @property
    def width_px(self) -> float:
        """The map's width in pixels (its domain share of the plot width)."""
        return (self.x1 - self.x0) * self.plot_w

    @property
    def height_px(self) -> float:
        """The map's height in pixels (its domain share of the plot height)."""
        return (self.y1 - self.y0) * self.plot_h


def _shape(kind: str, x: float, y: float, **props: Any) -> dict[str, Any]:
    """A shape sized in pixels around the paper point (x, y); +y is up."""
    return {
        "type": kind,
        "xref": "paper",
        "yref": "paper",
        "xsizemode": "pixel",
        "ysizemode": "pixel",
        "xanchor": x,
        "yanchor": y,
        "layer": "above",
        **props,
    }


def _rect(x: float, y: float, px0: float, py0: float, px1: float, py1: float, **style: Any) -> dict[str, Any]:
    return _shape("rect", x, y, x0=px0, x1=px1, y0=py0, y1=py1, **style)


def _circle(x: float, y: float, cx: float, cy: float, diameter: float, **style: Any) -> dict[str, Any]:
    r = diameter / 2
    return _shape("circle", x, y, x0=cx - r, x1=cx + r, y0=cy - r, y1=cy + r, **style)


def _text(
    text: str, x: float, y: float, dx: float, dy: float, xanchor: str, yanchor: str, size: int = 11, **kw: Any
) -> dict[str, Any]:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": y,
        "xshift": dx,
        "yshift": dy,
        "xanchor": xanchor,
        "yanchor": yanchor,
        "showarrow": False,
        "align": "left",
        "font": {"size": size, "color": kw.pop("colour", INK)},
        **kw,
    }


def scale_bar(box: MapBox, lat: float, zoom: float) -> tuple[list[dict], list[dict]]:
    """A two-part bar with its length in km, in the map's lower left corner (shapes, notes)."""
    km_per_px = metres_per_px(lat, zoom) / 1000
    km = nice_distance_km(km_per_px, max(60.0, min(220.0, box.width_px * 0.2)))
    bar = km / km_per_px
    x, y = box.x0, box.y0
    left, base = 16.0, 14.0
    label = f"{km:g} km"
    shapes = [
        _rect(
            x,
            y,
            8,
            6,
            left + bar + 12 + 7 * len(label),
            40,
            fillcolor="rgba(255,255,255,0.85)",
            line={"width": 0},
        ),
        _rect(x, y, left, base, left + bar / 2, base + 6, fillcolor=INK, line={"color": INK, "width": 1}),
        _rect(
            x,
            y,
            left + bar / 2,
            base,
            left + bar,
            base + 6,
            fillcolor="white",
            line={"color": INK, "width": 1},
        ),
    ]
    notes = [
        _text("0", x, y, left, base + 8, "center", "bottom", 10),
        _text(label, x, y, left + bar, base + 8, "center", "bottom", 10),
    ]
    return shapes, notes


def north_arrow(box: MapBox, bearing: float = 0.0) -> tuple[list[dict], list[dict]]:
    """An arrow and "N" in the map's upper right corner, turned with the map's bearing."""
    x, y = box.x1, box.y1
    cx, cy = -34.0, -46.0  # the arrow's middle, from the corner
    turn = math.radians(-bearing)  # MapLibre's bearing turns the map clockwise: north turns back

    def at(px: float, py: float) -> tuple[float, float]:
        return (
            cx + px * math.cos(turn) + py * math.sin(turn),
            cy - px * math.sin(turn) + py * math.cos(turn),
        )

    tip, left, notch, right = at(0, 16), at(-9, -14), at(0, -7), at(9, -14)
    path = "M {:.1f},{:.1f} L {:.1f},{:.1f} L {:.1f},{:.1f} L {:.1f},{:.1f} Z".format(
        *tip, *left, *notch, *right
    )
    shapes = [
        _circle(x, y, cx, cy + 4, 50, fillcolor="rgba(255,255,255,0.85)", line={"width": 0}),
        _shape("path", x, y, path=path, fillcolor=INK, line={"color": INK, "width": 1}),
    ]
    lx, ly = at(0, 19)
    notes = [_text("<b>N</b>", x, y, lx, ly, "center", "bottom", 13)]
    return shapes, notes


def _sample(x: float, y: float, cx: float, cy: float, size: float, opacity: float) -> dict[str, Any]:
    line = {"color": "white", "width": 0.6}
    return _circle(x, y, cx, cy, size, fillcolor=SAMPLE_COLOUR, opacity=opacity, line=line)


def map_legends(
    x: float, y: float, width_px: float, compact: bool = False
) -> tuple[list[dict], list[dict], float]:
    """Legends of circle size (fatalities) and location precision, bottom-up from paper (x, y).

    ``compact`` (a small image) puts the sizes in one row and shortens the precision texts.
    Returns shapes, notes and the height they take in pixels.
    """
    shapes: list[dict] = []
    notes: list[dict] = []
    gutter = 48.0  # circles are centred in it, their labels start after it
    chars = max(24, int((width_px - gutter - 8) / 5.9))
    h = 4.0
    # Location precision: the same slate in the map's three opacities and the area-only size.
    area_disc = max(AREA_ONLY_MIN_SIZE, marker_size(0) * AREA_ONLY_GROWTH)
    texts = PRECISION_SHORT if compact else PRECISION_TEXT
    for prec in (3, 2, 1):
        size = area_disc if prec == 3 else (14.0 if compact else 16.0)
        text = _wrap(texts[prec], chars)
        row = max(size, 14.0 * (text.count("<br>") + 1)) + (4 if compact else 8)
        mid = h + row / 2
        shapes.append(_sample(x, y, gutter / 2, mid, size, PRECISION_OPACITY[prec]))
        notes.append(_text(text, x, y, gutter, mid, "left", "middle", 10))
        h += row
    notes.append(_text("<b>Location precision</b>", x, y, 4, h + 2, "left", "bottom", 12))
    h += 26 if compact else 30
    # Circle size: fatalities of the incidents under a circle.
    if compact:
        cx = 4.0
        labels = {0: "none or<br>not stated", SIZE_STEPS[-1]: f"{SIZE_STEPS[-1]}+"}
        for fat in SIZE_STEPS:
            size = marker_size(fat)
            cx += max(size, 44.0) / 2
            shapes.append(_sample(x, y, cx, h + 26 + 21, size, 0.75))
            notes.append(_text(labels.get(fat, str(fat)), x, y, cx, h + 24, "center", "top", 9))
            cx += max(size, 44.0) / 2 + 6
        h += 26 + 42 + 4
    else:
        note = _wrap("a little larger when several incidents share one circle", chars + 8)
        notes.append(_text(note, x, y, 4, h, "left", "bottom", 9, colour="#555"))
        h += 12.0 * (note.count("<br>") + 1) + 6
        for fat in reversed(SIZE_STEPS):
            size = marker_size(fat)
            row = max(size, 14.0) + 6
            mid = h + row / 2
            shapes.append(_sample(x, y, gutter / 2, mid, size, 0.75))
            last = f"{fat} or more" if fat == SIZE_STEPS[-1] else str(fat)
            notes.append(
                _text("none or not stated" if fat == 0 else last, x, y, gutter, mid, "left", "middle", 10)
            )
            h += row
    notes.append(_text("<b>Circle size: fatalities</b>", x, y, 4, h + 2, "left", "bottom", 12))
    h += 20
    return shapes, notes, h


def legend_height_px(fig: dict[str, Any]) -> float:
    """A generous estimate of the height of plotly's own legend (group titles, entries, gaps)."""
    font = float(((fig.get("layout") or {}).get("legend") or {}).get("font", {}).get("size") or 11)
    entries, groups, titles = 0.0, set(), 0
    for t in fig.get("data", []):
        default = not str(t.get("type", "")).startswith("choropleth")
        if not t.get("showlegend", default) or t.get("visible") is False or not t.get("name"):
            continue
        entries += max(19.0, font * 1.3 * (str(t["name"]).count("<br>") + 1) + 6)
        groups.add(t.get("legendgroup") or id(t))
        titles += bool((t.get("legendgrouptitle") or {}).get("text"))
    return 10 + titles * 24 + entries + LEGEND_GROUP_GAP * max(0, len(groups) - 1)


def project(lat: float, lon: float, centre: tuple[float, float], zoom: float) -> tuple[float, float]:
    """Pixels right of and below the map's centre where (lat, lon) is drawn (Web Mercator)."""
    world = WORLD_PX * 2**zoom
    return (
        (lon - centre[1]) / 360.0 * world,
        (merc_y(lat) - merc_y(centre[0])) * world,
    )


def place_labels(
    fig: dict[str, Any], box: MapBox, centre: tuple[float, float], zoom: float, keep_clear: list[tuple]
) -> list[dict[str, Any]]:
    """The map's place-name labels as notes on the page, and their text trace taken out.

    MapLibre needs a glyph server to draw text, which an offline export does not have (kaleido
    answers "Map error."), so the names are drawn by plotly over the map instead: vector text
    in SVG and PDF. They come in the figure's order (most important first); a name that would
    cover one already placed, the scale bar or the north arrow, or fall off the map, is left out.
    """
    notes: list[dict[str, Any]] = []
    keep: list[dict[str, Any]] = []
    taken = list(keep_clear)
    for a in (fig.get("layout") or {}).get("annotations") or []:  # the map's own notices
        if a.get("xref") == "paper" and a.get("yref") == "paper" and a.get("text"):
            size = float((a.get("font") or {}).get("size") or 12)
            w, h = 0.6 * size * len(str(a["text"])) + 12, size + 12
            cx = (float(a.get("x", 0.5)) - box.x0) * box.plot_w
            cy = (box.y1 - float(a.get("y", 0.5))) * box.plot_h
            x0 = {"left": cx, "right": cx - w}.get(a.get("xanchor", "center"), cx - w / 2)
            y0 = {"top": cy, "bottom": cy - h}.get(a.get("yanchor", "middle"), cy - h / 2)
            taken.append((x0, y0, x0 + w, y0 + h))
    for t in fig.get("data", []):
        is_text = str(t.get("mode", "")) == "text" and str(t.get("type", "")).endswith("map")
        if not ((t.get("meta") or {}).get("kind") == "labels" or is_text):
            keep.append(t)
            continue
        font = dict(t.get("textfont") or {})
        size = float(font.get("size") or 11)
        texts = t.get("text") or []
        texts = texts if isinstance(texts, list | tuple) else [texts] * len(t.get("lat") or [])
        below = str(t.get("textposition") or "").startswith("bottom")  # Arabic names, under the Latin
        for lat, lon, text in zip(t.get("lat") or [], t.get("lon") or [], texts, strict=False):
            if lat is None or lon is None or not text:
                continue
            dx, dy = project(float(lat), float(lon), centre, zoom)
            px, py = box.width_px / 2 + dx + 3, box.height_px / 2 + dy + (4 if below else -2)
            w, h = 0.58 * size * len(str(text)) + 4, size + 4
            rect = (px, py, px + w, py + h) if below else (px, py - h, px + w, py)
            if rect[0] < 4 or rect[1] < 4 or rect[2] > box.width_px - 4 or rect[3] > box.height_px - 4:
                continue
            if any(not (rect[2] < r[0] or r[2] < rect[0] or rect[3] < r[1] or r[3] < rect[1]) for r in taken):
                continue
            taken.append(rect)
            notes.append(
                {
                    "text": str(text),
                    "xref": "paper",
                    "yref": "paper",
                    "x": box.x0 + px / box.plot_w,
                    "y": box.y1 - py / box.plot_h,
                    "xanchor": "left",
                    "yanchor": "top" if below else "bottom",
                    "showarrow": False,
                    "font": {"size": size, "color": font.get("color") or INK},
                }
            )
    fig["data"] = keep
    return notes


def _has_map(fig: dict[str, Any]) -> bool:
    return "map" in (fig.get("layout") or {}) and any(
        str(t.get("type", "")).endswith("map") for t in fig.get("data", [])
    )


def legend_column_px(width: float) -> float:
    """Width of the column beside the map that holds the legends."""
    return max(240.0, min(330.0, 0.23 * width))


def _margins(fig: dict[str, Any], stamp: Stamp, width: int, legend_bottom: int) -> tuple[dict[str, Any], str]:
    """The dressed figure's margins and its footer text (sources, licences, export stamp)."""
    from conflictmap.textsafe import plain

    chars = max(60, int(width / 6.2))
    footer = _wrap(plain(stamp.sources()), chars) + "<br>" + _wrap(plain(stamp.footer()), chars)
    n_footer = footer.count("<br>") + 1
    margin = dict((fig.get("layout") or {}).get("margin") or {})
    below = legend_bottom + AXIS_LABELS_PX if legend_bottom else 0  # date labels, then the legend
    margin.update({"t": 84, "b": 16 + 13 * n_footer + below})
    if _has_map(fig):  # the dashboard's room for its legend: on paper the legend has its column
        margin.update(l=10, r=10)
    else:
        margin.update(l=max(margin.get("l", 0), 10), r=max(margin.get("r", 0), 10))
    return margin, footer


def _anchor_notes_in(notes: list[dict[str, Any]], x: tuple[float, float], y: tuple[float, float]) -> None:
    """Paper-placed notes of a figure now drawn in a part of the page move into that part."""
    for a in notes:
        if a.get("xref") == "paper" and isinstance(a.get("x"), int | float):
            a["x"] = x[0] + a["x"] * (x[1] - x[0])
        if a.get("yref") == "paper" and isinstance(a.get("y"), int | float):
            a["y"] = y[0] + a["y"] * (y[1] - y[0])


def place_map(fig: dict[str, Any], plot_w: float, y: tuple[float, float]) -> None:
    """Put the map in rows ``y`` of the page, leaving the legend column on its right."""
    lay = fig["layout"]
    x1 = 1 - (legend_column_px(plot_w) + COLUMN_GAP_PX) / plot_w
    lay.setdefault("map", {})["domain"] = {"x": [0, x1], "y": list(y)}
    _anchor_notes_in(lay.setdefault("annotations", []), (0, x1), y)


def furnish_map(fig: dict[str, Any], stamp: Stamp, plot_w: float, plot_h: float) -> None:
    """Frame the map on its incidents, add scale bar, north arrow and the legends beside it."""
    from conflictmap.textsafe import plain

    lay = fig["layout"]
    m = lay.setdefault("map", {})
    dom = m.get("domain") or {"x": [0, 1], "y": [0, 1]}
    box = MapBox(dom["x"][0], dom["x"][1], dom["y"][0], dom["y"][1], plot_w, plot_h)
    if not stamp.map_position_chosen():
        points, biggest = event_points(fig)
        fitted = fit_view(points, box.width_px, box.height_px, FIT_PAD_PX + biggest / 2)
        if fitted:
            m["center"], m["zoom"] = {"lat": fitted[0], "lon": fitted[1]}, fitted[2]
    centre = m.get("center") or {}
    lat, lon, zoom = float(centre.get("lat", 35.0)), float(centre.get("lon", 40.0)), float(m.get("zoom", 7.0))
    shapes, notes = list(lay.get("shapes") or []), list(lay.get("annotations") or [])
    # Pixel boxes (from the map's top left) of the scale bar and the north arrow.
    corners = [(0, box.height_px - 46, 260, box.height_px), (box.width_px - 66, 0, box.width_px, 84)]
    notes += place_labels(fig, box, (lat, lon), zoom, corners)
    for part_shapes, part_notes in (
        scale_bar(box, lat, zoom),
        north_arrow(box, float(m.get("bearing") or 0)),
    ):
        shapes += part_shapes
        notes += part_notes
    col_x = box.x1 + COLUMN_GAP_PX / plot_w
    col_w = plot_w * (1 - col_x)
    # The colour legend moves from over the map's north-west into the column, long names wrapped.
    chars = max(22, int((col_w - 48) / 6.0))
    for t in fig.get("data", []):
        if t.get("name"):
            t["name"] = _wrap(plain(t["name"]), chars)
    legend = dict(lay.get("legend") or {})
    legend.update(x=col_x, y=box.y1, xanchor="left", yanchor="top", xref="paper", yref="paper")
    legend.update(bgcolor="rgba(255,255,255,0)", tracegroupgap=LEGEND_GROUP_GAP)
    lay["legend"] = legend
    # Size and precision legends at the foot of the column; in one row when the image is small.
    above = legend_height_px(fig) if lay.get("showlegend", True) else 0.0
    for compact in (False, True):
        legend_shapes, legend_notes, needed = map_legends(col_x, box.y0, col_w, compact)
        if above + needed + 12 <= box.height_px:
            break
    else:
        log.info(
            "legends need %.0f px beside a map %.0f px high: they overlap", above + needed, box.height_px
        )
    lay["shapes"], lay["annotations"] = shapes + legend_shapes, notes + legend_notes
    place_colour_bars(fig, col_x, box, above, needed)


COLOUR_BAR_TITLE_PX = 110.0  # the density bar's title: five short lines above the bar


def place_colour_bars(fig: dict[str, Any], col_x: float, box: MapBox, above: float, below: float) -> None:
    """A colour bar (the density layer's) goes into the legend column, between the colour
    legend (``above`` px from the top) and the size and precision legends (``below`` px from
    the bottom).

    Left where the dashboard puts it (right of the paper), plotly widens the right margin to
    fit it and narrows the map by that much after the page was laid out: the map then showed
    less ground than the scale bar, place names and framing had been computed for.
    """
    room = box.height_px - above - below - COLOUR_BAR_TITLE_PX - 24
    for t in fig.get("data", []):
        bar = t.get("colorbar")
        if not isinstance(bar, dict) or t.get("showscale") is False:
            continue
        bar.update(
            x=col_x + 6 / box.plot_w,
            xanchor="left",
            y=box.y0 + (below + 12) / box.plot_h,
            yanchor="bottom",
            lenmode="pixels",
            len=max(60.0, min(220.0, room)),
            xpad=0,
        )


def dress(
    fig: dict[str, Any], stamp: Stamp, width: int, height: int, legend_bottom: int = 0
) -> dict[str, Any]:
    """Title, subtitle, sources/licences and export stamp around a map or timeline figure dict.

    A map also gets its furniture: framed on its incidents (unless the view's link places it),
    a scale bar, a north arrow, and beside it the legends of colour, circle size and precision.
    """
    from conflictmap.textsafe import plain

    fig = copy.deepcopy(fig)
    fig.setdefault("data", [])
    _legend_every_type(fig)
    layout = fig.setdefault("layout", {})
    margin, footer = _margins(fig, stamp, width, legend_bottom)
    plot_w = max(50, width - margin["l"] - margin["r"])
    plot_h = max(50, height - margin["t"] - margin["b"])
    if _has_map(fig):
        if "domain" not in layout["map"]:  # a map on its own; the briefing places its map itself
            place_map(fig, plot_w, (0, 1))
        furnish_map(fig, stamp, plot_w, plot_h)
    layout.update(
        margin=margin,
        width=width,
        height=height,
        title={
            "text": plain(stamp.title, 160),
            "x": 0.01,
            "xanchor": "left",
            "y": 1 - 10 / height,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 20, "color": "#111"},
        },
    )
    notes = list(layout.get("annotations") or [])
    notes.append(_note(plain(stamp.subtitle()), 1 + 8 / plot_h, "bottom", 13))
    below = 0
    if legend_bottom:  # a chart's legend under its date labels, and the footer under the legend
        below = legend_bottom + AXIS_LABELS_PX
        legend = dict(layout.get("legend") or {})
        legend.update(orientation="h", x=0, xanchor="left", y=-AXIS_LABELS_PX / plot_h, yanchor="top")
        layout["legend"] = legend
    notes.append(_note(footer, -(below + 6) / plot_h, "top", 10, "#444"))
    layout["annotations"] = notes
    return fig


def _timeline_into(
    fig: dict[str, Any], timeline: dict[str, Any], y0: float, y1: float, plot_w: float
) -> None:
    """Move the timeline's traces, axes, lines and notes into ``fig`` within paper rows y0..y1."""
    tl = copy.deepcopy(timeline)
    tlay = tl.get("layout", {})
    for trace in tl.get("data", []):
        trace["showlegend"] = False  # the map's legend already names every type, in the same colours
        fig["data"].append(trace)
    lay = fig["layout"]
    # The axes' labels and titles stay inside the page's plot area (inset, no automargin): left
    # to push the margins, plotly narrowed the whole page after it was laid out, and the map
    # above showed less ground than its scale bar and place names had been computed for.
    inset = (
        (TIMELINE_AXIS_PX / plot_w, 1 - TIMELINE_AXIS_PX / plot_w)
        if plot_w > 4 * TIMELINE_AXIS_PX
        else (0, 1)
    )
    fixed = {"automargin": False}
    lay["xaxis"] = {**tlay.get("xaxis", {}), **fixed, "domain": list(inset), "anchor": "y"}
    lay["yaxis"] = {**tlay.get("yaxis", {}), **fixed, "domain": [y0, y1], "anchor": "x"}
    lay["yaxis2"] = {**tlay.get("yaxis2", {}), **fixed, "overlaying": "y", "side": "right", "anchor": "x"}
    lay["barmode"] = tlay.get("barmode", "stack")
    lay["bargap"] = tlay.get("bargap", 0.05)
    lay["plot_bgcolor"] = "white"
    shapes = list(lay.get("shapes") or [])
    for s in tlay.get("shapes") or []:
        if s.get("yref") in ("paper", None):
            s["yref"] = "y domain"
        shapes.append(s)
    lay["shapes"] = shapes
    notes = list(lay.get("annotations") or [])
    for a in tlay.get("annotations") or []:
        if a.get("yref") == "paper":
            a["yref"] = "y domain"
        if a.get("xref") == "paper":
            a["xref"] = "x domain"
        notes.append(a)
    lay["annotations"] = notes


TIMELINE_AXIS_PX = 58.0  # room each side of the timeline for its tick labels and axis title
TABLE_COLUMNS = ["date", "type", "place", "actors", "fatalities", "sources"]
TABLE_WIDTHS = [70, 110, 110, 170, 62, 160]
TABLE_FONT_PX, TABLE_ROW_PX, TABLE_LINE_PX = 10, 22, 14
# Pixel rows of the briefing page below the map, from the bottom up (see ``briefing_figure``).
HEADING_PX = 18  # a section heading (12 px text) and the space under it
TICKS_PX = 40  # the timeline's date labels: two lines ("Aug 4" over "2024") and a gap
TIMELINE_PX = 170


def _table_height(cells: list[list[str]], widths: list[float]) -> float:
    """Pixels the table needs: a header and each row as tall as its longest wrapped cell."""
    per_char = TABLE_FONT_PX * 0.56
    total = TABLE_ROW_PX + 8
    for row in zip(*cells, strict=False):
        lines = max(
            max(1, math.ceil(len(str(c)) * per_char / max(w - 12, 20)))
            for c, w in zip(row, widths, strict=False)
        )
        total += TABLE_ROW_PX + (lines - 1) * TABLE_LINE_PX
    return total


def briefing_figure(
    map_fig: dict[str, Any],
    timeline_fig: dict[str, Any],
    table: list[dict[str, str]],
    stamp: Stamp,
    width: int = 1100,
    height: int = 1550,
) -> dict[str, Any]:
    """One page: the map on top, the timeline under it, then the period's main events with sources.

    The page is laid out in pixels from the bottom: the table as tall as its rows, its heading,
    the timeline's date labels (two lines), the timeline, its heading, and the map takes the
    rest. Fatalities a report did not state print as "not stated", never as 0.
    """
    from conflictmap.textsafe import plain

    fig = copy.deepcopy(map_fig)
    fig.setdefault("data", [])
    lay = fig.setdefault("layout", {})
    margin, _ = _margins(fig, stamp, width, 0)
    plot_w = max(50, width - margin["l"] - margin["r"])
    plot_h = max(50, height - margin["t"] - margin["b"])

    columns = list(table[0].keys()) if table else TABLE_COLUMNS
    cells = [
        [fatalities_cell(row.get(c)) if c == "fatalities" else plain(row.get(c), 90) for row in table]
        for c in columns
    ]
    if not table:
        cells = [["No events match these filters"]] + [[""]] * (len(columns) - 1)
    weights = [TABLE_WIDTHS[TABLE_COLUMNS.index(c)] if c in TABLE_COLUMNS else 100 for c in columns]
    widths_px = [w * plot_w / sum(weights) for w in weights]

    def frac(px: float) -> float:
        return px / plot_h

    table_top = _table_height(cells, widths_px)
    table_heading = table_top + 6
    timeline_bottom = table_heading + HEADING_PX + TICKS_PX
    timeline_top = timeline_bottom + TIMELINE_PX
    timeline_heading = timeline_top + 8
    map_bottom = timeline_heading + HEADING_PX + 16
    if map_bottom > plot_h * 0.7:  # a very long table (or a short page): the map keeps 30 %
        log.warning("briefing: the table needs %.0f px of %.0f; the page will be crowded", table_top, plot_h)

    place_map(fig, plot_w, (min(frac(map_bottom), 0.7), 1.0))
    _timeline_into(fig, timeline_fig, frac(timeline_bottom), frac(timeline_top), plot_w)
    fig["data"].append(
        {
            "type": "table",
            "domain": {"x": [0, 1], "y": [0, frac(table_top)]},
            "columnwidth": weights,
            "header": {
                "values": [c.capitalize() for c in columns],
                "fill": {"color": "#e9e4d8"},
                "font": {"size": 11, "color": "#111"},
                "align": "left",
                "height": TABLE_ROW_PX,
            },
            "cells": {
                "values": cells,
                "font": {"size": TABLE_FONT_PX, "color": "#222"},
                "align": "left",
                "height": TABLE_ROW_PX,
            },
        }
    )
    notes = list(lay.get("annotations") or [])
    notes.append(
        _note(
            "Main events of the period (most fatalities first), with their sources",
            frac(table_heading),
            "bottom",
            12,
        )
    )
    notes.append(
        _note("Incidents per period by type (bars), fatalities (line)", frac(timeline_heading), "bottom", 12)
    )
    lay["annotations"] = notes
    lay["showlegend"] = True
    return dress(fig, stamp, width, height)
