"""Export maps drawn as plain 2D geometry instead of a WebGL map.

Why: in an export, creating the MapLibre map in the browser's software WebGL was 91-95 % of a
warm PNG's time (an empty map alone cost 2.2-2.6 s), and a map subplot prints into SVG and PDF as
one raster image. The offline map has no tiles, only vector layers (the basemap's lines and
lakes, the control zones, markers and the drawn area), so the same figure can be drawn on
ordinary x/y axes in the map's own projection: Web Mercator pixels at the figure's zoom, centred
on its centre, north up. The page looks the same and frames the same ground (the briefing's
scale bar and place names already use this projection, ``briefing.project``), and SVG and PDF
exports become true vectors with selectable text.

What cannot be flattened stays a map, and the export takes the slower road: raster tiles from
a configured tile server, the density layer (MapLibre's heatmap kernel), or any trace or layer
kind not handled here. ``flatten`` answers None for those and never guesses.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

from components.briefing import project
from components.figures import _GAUSS_COEF as GAUSS_COEF  # MapLibre's heatmap kernel

# Map trace kinds drawn here, and the map layer kinds (layout.map.layers) drawn here.
FLAT_TRACES = {"scattermap", "choroplethmap", "densitymap"}
DENSITY_CELL_PX = 3  # the density grid's cell; MapLibre draws its heatmap at a quarter of the pixels
FLAT_LAYERS = {"line", "fill"}
# Keys of a scattermap trace that a 2D scatter takes as they are.
SCATTER_KEYS = (
    "name",
    "mode",
    "text",
    "textposition",
    "textfont",
    "hoverinfo",
    "hovertemplate",
    "customdata",
    "legendgroup",
    "legendgrouptitle",
    "legendrank",
    "showlegend",
    "visible",
    "opacity",
    "meta",
)
# Marker keys a map marker shares with a 2D marker (a map marker has no outline).
MARKER_KEYS = ("size", "color", "opacity", "sizemode", "sizeref", "sizemin")


def flatten(fig: dict[str, Any]) -> dict[str, Any] | None:
    """``fig`` (a dressed export figure with layout width, height and margin) with its map drawn
    on 2D axes, or None when the map holds something only MapLibre can draw."""
    lay = fig.get("layout") or {}
    m = lay.get("map")
    if not isinstance(m, dict) or not _flattenable(fig, m):
        return None
    out = copy.deepcopy(fig)
    lay = out["layout"]
    m = lay.pop("map")
    margin = lay.get("margin") or {}
    plot_w = float(lay.get("width", 700)) - float(margin.get("l", 80)) - float(margin.get("r", 80))
    plot_h = float(lay.get("height", 450)) - float(margin.get("t", 100)) - float(margin.get("b", 80))
    dom = m.get("domain") or {}
    dx, dy = list(dom.get("x") or [0, 1]), list(dom.get("y") or [0, 1])
    box_w, box_h = plot_w * (dx[1] - dx[0]), plot_h * (dy[1] - dy[0])
    centre = m.get("center") or {}
    proj = Projection(float(centre.get("lat", 0.0)), float(centre.get("lon", 0.0)), float(m.get("zoom", 1.0)))

    n = _free_axis_number(lay)
    hidden = {"visible": False, "fixedrange": True, "autorange": False, "showgrid": False, "zeroline": False}

    def axes(k: int, over: int | None = None) -> tuple[str, str]:
        lay[f"xaxis{k}"] = {**hidden, "domain": dx, "range": [-box_w / 2, box_w / 2], "anchor": f"y{k}"}
        lay[f"yaxis{k}"] = {**hidden, "domain": dy, "range": [-box_h / 2, box_h / 2], "anchor": f"x{k}"}
        if over is not None:
            lay[f"xaxis{k}"]["overlaying"], lay[f"yaxis{k}"]["overlaying"] = f"x{over}", f"y{over}"
        return f"x{k}", f"y{k}"

    # The map's background colour as a rectangle under its area only (plot_bgcolor would paint
    # every subplot, the briefing's timeline too).
    lay["shapes"] = [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "paper",
            "x0": dx[0],
            "x1": dx[1],
            "y0": dy[0],
            "y1": dy[1],
            "layer": "below",
            "line": {"width": 0},
            "fillcolor": _background(m),
        },
        *(lay.get("shapes") or []),
    ]
    # A layer "below traces" lies under every trace; any other (the dashed outline of a contested
    # zone) over them all, as plotly's map inserts a layer without ``below`` above the rest.
    layers = m.get("layers") or []
    below = [t for lyr in layers if lyr.get("below") == "traces" for t in _layer_traces(lyr, proj)]
    above = [t for lyr in layers if lyr.get("below") != "traces" for t in _layer_traces(lyr, proj)]
    # plotly's map stacks its traces by kind whatever their order in the figure: choropleths
    # (zones) lowest, then the density, then scatter (markers, names) on top.
    by_kind: dict[str, list[dict[str, Any]]] = {"choroplethmap": [], "densitymap": [], "scattermap": []}
    others: list[dict[str, Any]] = []
    data = out.get("data", [])
    for i, t in enumerate(data):
        kind = str(t.get("type", "scatter"))
        if kind not in by_kind:
            others.append(t)
            continue
        made = (
            [_scatter(t, proj, box_w, box_h)]
            if kind == "scattermap"
            else _zones(t, proj)
            if kind == "choroplethmap"
            else _density(t, proj, box_w, box_h)
        )
        # The legend keeps the figure's order although the drawing order changed: plotly ranks
        # unranked entries 1000 in trace order, so each gets a rank just under 1000 by its index.
        for part in made:
            if "legendrank" not in t:
                part["legendrank"] = 999 + i / (len(data) + 1)
        by_kind[kind] += made
    traces = [*by_kind["choroplethmap"], *by_kind["densitymap"], *by_kind["scattermap"], *above, *others]
    # Layers said "below traces": the basemap first, then zones and markers in the figure's order.
    # plotly draws a subplot's heatmaps under its lines and markers whatever their order, so a
    # heatmap that follows other map traces starts a subplot overlaid on the first (same axes
    # ranges): the density lies over the zones and under the markers, as MapLibre draws it.
    xa, ya = axes(n)
    drawn_here = False
    for t in below + traces:
        if not t.pop("_flat", False):
            continue
        if t.get("type") == "heatmap" and drawn_here:
            xa, ya = axes(_free_axis_number(lay), over=n)
            drawn_here = False
        t["xaxis"], t["yaxis"] = xa, ya
        drawn_here = True
    out["data"] = below + traces
    return out


class Projection:
    """Web Mercator at a MapLibre zoom (512 px tiles): pixels right of and above the centre."""

    def __init__(self, lat: float, lon: float, zoom: float) -> None:
        self.centre = (lat, lon)
        self.zoom = zoom

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Where (lat, lon) is drawn, in pixels from the map's centre, y up (north): the
        briefing's own projection (``briefing.project``, y down) turned north up."""
        dx, dy = project(lat, lon, self.centre, self.zoom)
        return dx, -dy

    def points(
        self, lats: Iterable[Any], lons: Iterable[Any]
    ) -> tuple[list[float | None], list[float | None]]:
        """x and y lists for plotly; a missing or broken coordinate stays a gap (None)."""
        xs: list[float | None] = []
        ys: list[float | None] = []
        for lat, lon in zip(lats, lons, strict=False):
            try:
                la, lo = float(lat), float(lon)
            except (TypeError, ValueError):
                xs.append(None)
                ys.append(None)
                continue
            if not (math.isfinite(la) and math.isfinite(lo)):
                xs.append(None)
                ys.append(None)
                continue
            x, y = self.xy(la, lo)
            xs.append(round(x, 2))
            ys.append(round(y, 2))
        return xs, ys

    def rings(
        self, rings: Iterable[Sequence[Sequence[float]]]
    ) -> tuple[list[float | None], list[float | None]]:
        """GeoJSON rings or lines ([lon, lat] pairs) as one x/y list, each piece ended by a gap."""
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in rings:
            px, py = self.points((c[1] for c in ring), (c[0] for c in ring))
            xs += [*px, None]
            ys += [*py, None]
        return xs, ys


def _flattenable(fig: dict[str, Any], m: dict[str, Any]) -> bool:
    if float(m.get("bearing") or 0) or float(m.get("pitch") or 0):
        return False  # a turned or tilted map: not a plain Mercator rectangle
    style = m.get("style")
    if not isinstance(style, dict):
        return False  # a named style (tiles from somewhere): only MapLibre knows it
    for layer in style.get("layers") or []:
        if layer.get("type") != "background":
            return False  # raster tiles or anything else drawn by the style itself
    if any(str(lyr.get("type", "")) not in FLAT_LAYERS for lyr in m.get("layers") or []):
        return False
    for t in fig.get("data", []):
        kind = str(t.get("type", "scatter"))
        if kind.endswith("map") and kind not in FLAT_TRACES:
            return False  # a map trace kind nobody has drawn here yet
        if kind == "densitymap" and not isinstance(t.get("radius", 30), int | float):
            return False  # a radius per point
        if kind == "scattermap":
            symbol = (t.get("marker") or {}).get("symbol")
            if symbol not in (None, "circle") or (t.get("cluster") or {}).get("enabled"):
                return False
    return True


def _free_axis_number(lay: dict[str, Any]) -> int:
    used = [1]
    for key in lay:
        for prefix in ("xaxis", "yaxis"):
            if key.startswith(prefix):
                tail = key[len(prefix) :]
                used.append(int(tail) if tail.isdigit() else 1)
    return max(used) + 1


def _background(m: dict[str, Any]) -> str:
    for layer in (m.get("style") or {}).get("layers") or []:
        if layer.get("type") == "background":
            return str((layer.get("paint") or {}).get("background-color") or "white")
    return "white"


def _scatter(t: dict[str, Any], proj: Projection, box_w: float, box_h: float) -> dict[str, Any]:
    x, y = proj.points(t.get("lat") or [], t.get("lon") or [])
    out: dict[str, Any] = {"type": "scatter", "x": x, "y": y, "_flat": True}
    out.update({k: t[k] for k in SCATTER_KEYS if k in t})
    marker = t.get("marker") or {}
    out["marker"] = {k: marker[k] for k in MARKER_KEYS if k in marker} | {"line": {"width": 0}}
    if "line" in t:
        out["line"] = dict(t["line"])
    out.setdefault("mode", "markers")
    if "fill" in t and t["fill"] == "toself":
        out["fill"], out["fillcolor"] = "toself", t.get("fillcolor")
    elif "lines" not in str(out["mode"]):
        _keep_in_box(out, box_w, box_h)
    return out


def _keep_in_box(trace: dict[str, Any], box_w: float, box_h: float) -> None:
    """Drop the points no part of which shows on the map (MapLibre never draws them; SVG would
    carry each one, clipped: at 100k events a zoomed-in view has some 2,300 markers, 50 in view).
    A marker is kept while its disc or a label beside it could reach into the box."""
    x, y = trace["x"], trace["y"]
    n = len(x)
    sizes = (trace.get("marker") or {}).get("size", 6)
    reach_text = 200.0 if "text" in str(trace.get("mode", "")) else 0.0  # a name printed beside it
    keep = []
    for i in range(n):
        if x[i] is None or y[i] is None:
            continue
        size = sizes[i] if isinstance(sizes, list | tuple) else sizes
        pad = max(float(size or 0) / 2 + 2, reach_text)
        if abs(x[i]) <= box_w / 2 + pad and abs(y[i]) <= box_h / 2 + pad:
            keep.append(i)
    if len(keep) == n:
        return

    def cut(container: dict[str, Any], key: str) -> None:
        value = container.get(key)
        if isinstance(value, list | tuple) and len(value) == n:
            container[key] = [value[i] for i in keep]

    for key in ("x", "y", "text", "customdata", "hovertext"):
        cut(trace, key)
    for key in ("size", "color", "opacity"):
        cut(trace["marker"], key)


def _geometry_rings(geometry: dict[str, Any] | None, closed_only: bool) -> list[Sequence[Sequence[float]]]:
    """The rings (polygons) or lines of a GeoJSON geometry; ``closed_only`` keeps polygon rings."""
    if not geometry:
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection":
        return [r for g in geometry.get("geometries") or [] for r in _geometry_rings(g, closed_only)]
    if kind == "Polygon":
        return list(coords or [])
    if kind == "MultiPolygon":
        return [ring for poly in coords or [] for ring in poly]
    if closed_only:
        return []
    if kind == "LineString":
        return [coords] if coords else []
    if kind == "MultiLineString":
        return list(coords or [])
    return []


def _features(source: Any) -> list[dict[str, Any]]:
    if not isinstance(source, dict):
        return []
    if source.get("type") == "FeatureCollection":
        return list(source.get("features") or [])
    if source.get("type") == "Feature":
        return [source]
    return [{"type": "Feature", "geometry": source}]


def _layer_traces(layer: dict[str, Any], proj: Projection) -> list[dict[str, Any]]:
    """A basemap or outline layer (layout.map.layers) as a 2D line or filled trace."""
    fill = layer.get("type") == "fill"
    rings = [r for f in _features(layer.get("source")) for r in _geometry_rings(f.get("geometry"), fill)]
    if not rings:
        return []
    x, y = proj.rings(rings)
    colour = str(layer.get("color") or "#000000")
    opacity = float(layer.get("opacity", 1.0))
    base = {"type": "scatter", "x": x, "y": y, "mode": "lines", "hoverinfo": "skip", "showlegend": False}
    base["_flat"] = True
    if fill:
        # One path of all rings, filled nonzero: a lake's island (an inner ring) stays land. The
        # 1 px outline is the one MapLibre draws round a fill (plotly's default #444).
        outline = str((layer.get("fill") or {}).get("outlinecolor") or "#444444")
        return [
            {
                **base,
                "fill": "toself",
                "fillcolor": _rgba(colour, opacity),
                "line": {"color": outline, "width": 1},
            }
        ]
    line = layer.get("line") or {}
    width = float(line.get("width", 1.0))
    style: dict[str, Any] = {"color": _rgba(colour, opacity), "width": width}
    dash = line.get("dash")
    if isinstance(dash, list | tuple) and dash:
        # MapLibre's dash lengths are in line widths; plotly's in pixels.
        style["dash"] = ",".join(f"{float(d) * width:g}px" for d in dash)
    return [{**base, "line": style}]


def _zones(t: dict[str, Any], proj: Projection) -> list[dict[str, Any]]:
    """A choropleth of zones as one filled trace per colour, its legend entry kept."""
    geo = t.get("geojson") or {}
    key = str(t.get("featureidkey") or "id")
    by_id = {_feature_key(f, key): f for f in _features(geo)}
    locations = list(t.get("locations") or [])
    z = list(t.get("z") or [0] * len(locations))
    marker = t.get("marker") or {}
    opacity = float(marker.get("opacity", 1.0))
    line = marker.get("line") or {}
    groups: dict[str, list[Sequence[Sequence[float]]]] = {}
    for loc, value in zip(locations, z, strict=False):
        feature = by_id.get(str(loc))
        if feature is None:
            continue
        colour = _colour_at(t.get("colorscale"), value, t.get("zmin"), t.get("zmax"), z)
        groups.setdefault(colour, []).extend(_geometry_rings(feature.get("geometry"), True))
    out: list[dict[str, Any]] = []
    for colour, rings in groups.items():
        x, y = proj.rings(rings)
        out.append(
            {
                "type": "scatter",
                "_flat": True,
                "x": x,
                "y": y,
                "mode": "lines",
                "fill": "toself",
                "fillcolor": _rgba(colour, opacity),
                "line": {"color": line.get("color", "#444444"), "width": float(line.get("width", 1.0))},
                "hoverinfo": "skip",
                "legendgroup": t.get("legendgroup"),
                "showlegend": False,
                "visible": t.get("visible", True),
                "meta": t.get("meta"),
            }
        )
    if out and t.get("showlegend", True):
        # The legend's entry as the map draws it: a square of the zone's colour (a filled line
        # trace would show a thin stroke), on a trace with no point of its own.
        out.append(_legend_square(t, next(iter(groups))))
    return [{k: v for k, v in tr.items() if v is not None} for tr in out]


def _density(t: dict[str, Any], proj: Projection, box_w: float, box_h: float) -> list[dict[str, Any]]:
    """A densitymap as the heatmap MapLibre would draw: the same kernel summed on a pixel grid.

    plotly hands MapLibre each point's weight as (z - zmin) / (zmax - zmin), clamped to 0..1,
    and colours the kernel sum (clamped to 0..1) on the colour scale, its first stop made
    transparent. The grid's z is that sum put back in the trace's z units, so the colour bar
    keeps its ticks (incidents per 100 km²) unchanged.
    """
    import numpy as np

    xs, ys = proj.points(t.get("lat") or [], t.get("lon") or [])
    z = list(t.get("z") or [1.0] * len(xs))
    numbers = [float(v) for v in z if isinstance(v, int | float)]
    zmin = float(t["zmin"]) if t.get("zmin") is not None else min(numbers, default=0.0)
    zmax = float(t["zmax"]) if t.get("zmax") is not None else max(numbers, default=1.0)
    span = (zmax - zmin) or 1.0
    radius = float(t.get("radius", 30))
    sigma = radius / 3
    reach = 4 * sigma  # the kernel is under 0.04 % of its peak beyond
    cell = DENSITY_CELL_PX
    gx = np.arange(-box_w / 2 + cell / 2, box_w / 2, cell)
    gy = np.arange(-box_h / 2 + cell / 2, box_h / 2, cell)
    grid = np.zeros((len(gy), len(gx)))
    for x, y, value in zip(xs, ys, z, strict=False):
        if x is None or y is None or not isinstance(value, int | float):
            continue
        w = min(1.0, max(0.0, (float(value) - zmin) / span))
        if w <= 0 or abs(x) > box_w / 2 + reach or abs(y) > box_h / 2 + reach:
            continue
        i0, i1 = np.searchsorted(gy, [y - reach, y + reach])
        j0, j1 = np.searchsorted(gx, [x - reach, x + reach])
        if i0 >= i1 or j0 >= j1:
            continue
        d2 = (gy[i0:i1, None] - y) ** 2 + (gx[None, j0:j1] - x) ** 2
        grid[i0:i1, j0:j1] += w * GAUSS_COEF * np.exp(-d2 / (2 * sigma**2))
    values = zmin + np.clip(grid, 0.0, 1.0) * span
    scale = [[float(p), str(c)] for p, c in (t.get("colorscale") or [[0, "#ffffff"], [1, "#000000"]])]
    if scale and not scale[0][1].startswith("rgba"):
        scale[0][1] = _rgba(scale[0][1], 0.0)
    heat: dict[str, Any] = {
        "type": "heatmap",
        "_flat": True,
        "x": [round(float(v), 2) for v in gx],
        "y": [round(float(v), 2) for v in gy],
        "z": np.round(values, 6).tolist(),
        "zmin": zmin,
        "zmax": zmax,
        "zsmooth": "best",
        "colorscale": scale,
        "opacity": float(t.get("opacity", 1.0)),
        "showscale": bool(t.get("showscale", True)),
        "hoverinfo": "skip",
        "showlegend": False,
    }
    if "colorbar" in t:
        heat["colorbar"] = copy.deepcopy(t["colorbar"])
    out = [heat]
    if t.get("showlegend") and t.get("name"):
        out.append(_legend_square(t, _colour_at(scale, 0.6, 0.0, 1.0, [])))
    return out


def _legend_square(t: dict[str, Any], colour: str) -> dict[str, Any]:
    """A legend entry as the map draws one for an area or a density: a square of its colour, on
    a trace with no point of its own (a filled trace's own entry would show a thin stroke)."""
    entry = {
        "type": "scatter",
        "_flat": True,
        "x": [None],
        "y": [None],
        "mode": "markers",
        "marker": {"symbol": "square", "size": 12, "color": colour},
        "name": t.get("name"),
        "legendgroup": t.get("legendgroup"),
        "legendgrouptitle": t.get("legendgrouptitle"),
        "legendrank": t.get("legendrank"),
        "showlegend": True,
        "hoverinfo": "skip",
        "visible": t.get("visible", True),
        "meta": t.get("meta"),
    }
    return {k: v for k, v in entry.items() if v is not None}


def _feature_key(feature: dict[str, Any], key: str) -> str:
    value: Any = feature
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return str(value)


def _colour_at(scale: Any, value: Any, zmin: Any, zmax: Any, z: list[Any]) -> str:
    """The colour a choropleth gives ``value`` on its colour scale (stops interpolated)."""
    if not isinstance(scale, list | tuple) or not scale:
        return "#888888"
    stops = [(float(s[0]), str(s[1])) for s in scale]
    numbers = [float(v) for v in z if isinstance(v, int | float)]
    lo = float(zmin) if zmin is not None else min(numbers, default=0.0)
    hi = float(zmax) if zmax is not None else max(numbers, default=1.0)
    try:
        pos = 0.0 if hi == lo else (float(value) - lo) / (hi - lo)
    except (TypeError, ValueError):
        pos = 0.0
    pos = max(0.0, min(1.0, pos))
    for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
        if p0 <= pos <= p1:
            if c0 == c1 or p1 == p0:
                return c0
            a, b = _rgb(c0), _rgb(c1)
            f = (pos - p0) / (p1 - p0)
            return "#{:02x}{:02x}{:02x}".format(*(round(u + (v - u) * f) for u, v in zip(a, b, strict=True)))
    return stops[-1][1]


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.strip()
    if c.startswith("#") and len(c) == 7:
        return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)
    if c.startswith("#") and len(c) == 4:
        return int(c[1] * 2, 16), int(c[2] * 2, 16), int(c[3] * 2, 16)
    if c.startswith("rgb"):
        parts = c[c.index("(") + 1 : c.index(")")].split(",")
        r, g, b = (int(float(p)) for p in parts[:3])
        return r, g, b
    return 136, 136, 136


def _rgba(colour: str, opacity: float) -> str:
    r, g, b = _rgb(colour)
    return f"rgba({r},{g},{b},{max(0.0, min(1.0, opacity)):g})"
