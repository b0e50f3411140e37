"""Pure figure functions: data in, ``go.Figure`` out. Plotly only, never Dash.

Same inputs, same figure: no clock, no I/O, no randomness, so the dashboard and the server-side
exports draw exactly the same thing, and tests can assert on traces without a browser.
Every string that came from outside goes through ``plain`` first (Plotly renders HTML in hover
text). Incident ids ride in ``customdata`` so a click can be traced back to the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.theme import (
    BASEMAP_COLOURS,
    CONTESTED_COLOUR,
    DENSITY_COLOURS,
    EVENT_COLOURS,
    zone_colour,
)
from conflictmap.models import EVENT_LABELS, EVENT_TYPES, PRECISION_LABELS
from conflictmap.textsafe import plain

DEFAULT_CENTER = {"lat": 35.05, "lon": 40.25}
DEFAULT_ZOOM = 6.9
EMPTY_MESSAGE = "No events match these filters"

# An empty GeoJSON source that no layer uses. It is there because plotly.js deletes empty objects
# from a new layout when it relinks the old one on update (``relinkPrivateKeys``): a style with
# ``"sources": {}`` reaches MapLibre without ``sources`` on the second figure, MapLibre rejects
# ``setStyle`` ("missing required property sources") and plotly skips the trace update, so the
# map never redraws. A non-empty ``sources`` survives the relink and the style stays identical
# across updates, so plotly does not call ``setStyle`` at all and only the traces change.
_KEEP_SOURCES: dict[str, Any] = {
    "conflictmap-none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}
}

# MapLibre style with no remote sources and no "glyphs" key: nothing is fetched from outside.
OFFLINE_STYLE: dict[str, Any] = {
    "version": 8,
    "sources": _KEEP_SOURCES,
    "layers": [
        {"id": "bg", "type": "background", "paint": {"background-color": BASEMAP_COLOURS["background"]}}
    ],
}


# The fontstack of the SDF glyphs the app serves itself (assets/glyphs/, scripts/build_glyphs.py).
LABEL_FONT = "DejaVu Sans Book"
# The Arabic glyph stack (assets/glyphs, built from the app's Noto Naskh Arabic): Arabic letters
# only, so Arabic names are a trace of their own; MapLibre shapes and orders them itself.
ARABIC_LABEL_FONT = "Noto Naskh Arabic Regular"


def map_style(tile_url: str | None = None, glyphs_url: str | None = None) -> dict[str, Any]:
    """The offline style, or raster tiles from an intranet tile server when one is configured.

    ``glyphs_url`` is the app's own glyph template (``.../assets/glyphs/{fontstack}/{range}.pbf``):
    MapLibre draws no text without glyphs, and a remote glyphs URL would leave the machine.
    """
    style: dict[str, Any] = (
        dict(OFFLINE_STYLE)
        if not tile_url
        else {
            "version": 8,
            "sources": {**_KEEP_SOURCES, "tiles": {"type": "raster", "tiles": [tile_url], "tileSize": 256}},
            "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
        }
    )
    if glyphs_url:
        style["glyphs"] = glyphs_url
    return style


# How sure the place is, as opacity: solid for a village, paler near a town, a pale disc for a
# governorate (the briefing's legend shows the same values).
PRECISION_OPACITY = {1: 0.92, 2: 0.62, 3: 0.28}


def marker_size(fatalities: float, count: int = 1) -> float:
    """Area grows with fatalities (sqrt), a little with the number of incidents; capped."""
    fat = (
        0.0
        if fatalities is None or (isinstance(fatalities, float) and math.isnan(fatalities))
        else fatalities
    )
    return min(42.0, 9.0 + 3.2 * math.sqrt(max(fat, 0.0)) + 1.5 * math.log2(max(count, 1)))


AREA_ONLY_MIN_SIZE, AREA_ONLY_GROWTH = 30.0, 1.6


def drawn_size(fatalities: float, count: int, geo_precision: int) -> float:
    """The marker's size as drawn: governorate-level reports (precision 3) are large pale discs,
    so nobody reads them as a village. One rule for the map, the halo and click-picking."""
    size = marker_size(fatalities, count)
    return max(AREA_ONLY_MIN_SIZE, size * AREA_ONLY_GROWTH) if geo_precision >= 3 else size


# ---- density above a threshold, circles below it or zoomed in ---------------------------------
# Measured on synthetic stores (131 Deir ez-Zor places, README "Explore"): at 3,000 incidents a
# circle holds 2 incidents (median) and 1,455 of the ~2,360 place x type x precision markers are
# drawn; at 10,000 it holds 4 and 2,041 are drawn, at 100,000 it holds 39 and 98% of circles sit
# at the size cap, so every village looks the same. The bundled data (about 170 incidents) stays
# far below it. Above the threshold the map draws where incidents are dense instead.
DENSITY_THRESHOLD = 3_000  # located incidents in view
# At zoom 10 the median distance from a Deir ez-Zor place to its nearest neighbour is 46 px,
# more than the largest circle (42 px); at zoom 9 it is 23 px and neighbours' circles overlap.
# From this zoom on the map draws circles whatever the count (unless density is asked for).
CIRCLES_ZOOM = 10.0
DENSITY_RADIUS_PX = 24  # MapLibre's heatmap radius; its Gaussian kernel has sigma = radius / 3
# "In view" from the link's centre and zoom alone: the server does not know the browser's map
# size, so a nominal map of this many pixels (the dashboard's at a 1400 x 1000 window, beside its
# legend and the side column) is assumed.
NOMINAL_VIEW_PX = (820, 670)
WORLD_PX = 512.0  # MapLibre's world is 512 px wide at zoom 0
EARTH_M = 40_075_016.686
_GAUSS_COEF = 0.3989422804014327  # MapLibre's heatmap kernel: weight * this * exp(-d^2 / 2 sigma^2)


@dataclass(frozen=True)
class MapMode:
    """How the map draws its incidents, and the sentence that says why (legend, hover)."""

    density: bool
    in_view: int  # located incidents in view
    asked: bool = False  # density asked for under Layers (layers=...,density)

    @property
    def reason(self) -> str:
        if not self.density:
            return ""
        if self.asked:
            return (
                f"Density (asked for under Layers): {self.in_view:,} incidents in view; "
                "untick Density of incidents to see each incident"
            )
        return f"Density: {self.in_view:,} incidents in view; zoom in or filter to see each incident"

    def key(self, view: tuple[float, float, float] | None) -> str:
        """What a drawn map depends on beyond the filter: the mode, and in density mode the zoom
        (the colour bar's units are per area at that zoom) and the count its legend prints."""
        if not self.density:
            return "circles"
        return f"density@{(view or (0, 0, DEFAULT_ZOOM))[2]}:{self.in_view}"


def metres_per_px(lat: float, zoom: float) -> float:
    """Ground distance of one screen pixel at a latitude and MapLibre zoom (Web Mercator)."""
    return EARTH_M * math.cos(math.radians(lat)) / (WORLD_PX * 2**zoom)


def _merc_px(lat: Any, lon: Any, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator pixel coordinates of points at ``zoom``."""
    world = WORLD_PX * 2**zoom
    lat_r = np.radians(np.clip(np.asarray(lat, dtype=float), -85.05, 85.05))
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0 * world
    y = (1 - np.log(np.tan(np.pi / 4 + lat_r / 2)) / np.pi) / 2 * world
    return x, y


def incidents_in_view(groups: pd.DataFrame, view: tuple[float, float, float] | None) -> int:
    """Located incidents inside the nominal map around the view's centre (all of them for the
    default view, which frames the governorate)."""
    if groups.empty:
        return 0
    if view is None:
        return int(groups["count"].sum())
    lat, lon, zoom = view
    x, y = _merc_px(groups["latitude"], groups["longitude"], zoom)
    cx, cy = _merc_px([lat], [lon], zoom)
    w, h = NOMINAL_VIEW_PX
    inside = (np.abs(x - cx[0]) <= w / 2) & (np.abs(y - cy[0]) <= h / 2)
    return int(groups["count"].to_numpy()[inside].sum())


def map_mode(
    groups: pd.DataFrame, layers: Sequence[str], view: tuple[float, float, float] | None = None
) -> MapMode:
    """Density when asked for (``layers=...,density``), or when more than ``DENSITY_THRESHOLD``
    located incidents are in view below zoom ``CIRCLES_ZOOM``; circles otherwise."""
    asked = "density" in layers
    if not asked and "events" not in layers:
        return MapMode(False, 0)
    n = incidents_in_view(groups, view)
    zoom = view[2] if view else DEFAULT_ZOOM
    if asked:
        return MapMode(True, n, asked=True)
    return MapMode(n > DENSITY_THRESHOLD and zoom < CIRCLES_ZOOM, n)


def _nice_steps(top: float, n: int = 4) -> list[float]:
    """Round tick values from 0 up to ``top`` (exclusive of values too close to it)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks, v = [], 0.0
    while v < top * 0.85:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.2g}"


def _kernel_peaks(x: np.ndarray, y: np.ndarray, w: np.ndarray, sigma: float) -> np.ndarray:
    """MapLibre's density (before normalising) at each point: the kernel sum of every point."""
    out = np.empty(len(x))
    for i in range(0, len(x), 256):  # chunks keep the pairwise matrix small
        d2 = (x[i : i + 256, None] - x[None, :]) ** 2 + (y[i : i + 256, None] - y[None, :]) ** 2
        out[i : i + 256] = (w[None, :] * np.exp(-d2 / (2 * sigma**2))).sum(axis=1) * _GAUSS_COEF
    return out


def density_traces(
    groups: pd.DataFrame, view: tuple[float, float, float] | None, mode: MapMode
) -> list[dict[str, Any]]:
    """Incidents as a MapLibre heatmap (plotly ``densitymap``) weighted by incidents, with a
    colour bar in incidents per 100 km² at this zoom.

    MapLibre sums ``weight * 0.399 * exp(-d²/2σ²)`` per pixel (σ = radius/3 px) and colours the
    sum from 0 to 1; plotly's weight is z/zmax. So with zmax set to the largest sum over the
    places, the colour is linear in incidents per area, and a colour-bar value z stands for
    z / (√(2π) σ² a / 100) incidents per 100 km² (a = km² per pixel at this zoom and latitude).
    A place holding more than zmax incidents is sent as several points of at most zmax each
    (the sum is linear), since MapLibre clamps a weight above 1. Reports placed only to the
    governorate (precision 3) are left out: drawn at the capital they would make a hot spot of
    a town they may not be about; the colour bar says how many.
    """
    located = groups[groups["latitude"].notna() & groups["longitude"].notna()]
    placed = located[located["geo_precision"] < 3]
    area_only = int(located.loc[located["geo_precision"] >= 3, "count"].sum())
    lat0, lon0, zoom = view if view else (DEFAULT_CENTER["lat"], DEFAULT_CENTER["lon"], DEFAULT_ZOOM)
    sigma = DENSITY_RADIUS_PX / 3
    km_px = metres_per_px(lat0, zoom) / 1000
    per_100km2 = math.sqrt(2 * math.pi) * sigma**2 * km_px**2 / 100  # z of one incident per 100 km²
    if placed.empty:
        places = pd.DataFrame(columns=["latitude", "longitude", "count", "fatalities", "location"])
    else:
        places = (
            placed.groupby(["latitude", "longitude"], sort=True)
            .agg(count=("count", "sum"), fatalities=("fatalities", "sum"), location=("location", "first"))
            .reset_index()
            .sort_values(["count", "latitude", "longitude"], ascending=[False, True, True], kind="stable")
        )
    counts = places["count"].to_numpy(dtype=float)
    if len(places):
        x, y = _merc_px(places["latitude"], places["longitude"], zoom)
        zmax = float(_kernel_peaks(x, y, counts, sigma).max())
    else:
        zmax = 1.0
    top = zmax / per_100km2  # incidents per 100 km² at the densest place: the top colour
    lats: list[float] = []
    lons: list[float] = []
    zs: list[float] = []
    texts: list[str] = []
    for la, lo, c, fat, loc in zip(
        places["latitude"].tolist(),
        places["longitude"].tolist(),
        counts.tolist(),
        places["fatalities"].tolist(),
        places["location"].tolist(),
        strict=True,
    ):
        text = (
            f"<b>{plain(mode.reason)}</b><br>{plain(loc, 60)}: {int(c):,} incident{'s' if c != 1 else ''}"
            f" at this point, {int(fat or 0):,} fatalities stated"
        )
        pieces = max(1, math.ceil(c / zmax))
        for _ in range(pieces):
            lats.append(la)
            lons.append(lo)
            zs.append(c / pieces)
            texts.append(text)
    ticks = _nice_steps(top)
    title = (
        "<b>Density</b>: incidents per<br>100 km² at this zoom<br>"
        f"(smoothed over ~{sigma * km_px:.1f} km)"
        + (f"<br>{area_only:,} placed only to the<br>governorate not included" if area_only else "")
    )
    return [
        _trace(
            "densitymap",
            lat=lats,
            lon=lons,
            z=zs,
            zmin=0,
            zmax=zmax,
            radius=DENSITY_RADIUS_PX,
            opacity=0.85,
            colorscale=[[stop, colour] for stop, colour in DENSITY_COLOURS],
            colorbar={
                "title": {"text": title, "side": "top", "font": {"size": 11}},
                "tickvals": [t * per_100km2 for t in ticks] + [zmax],
                "ticktext": [_fmt(t) for t in ticks] + [f"{_fmt(top)} (densest)"],
                "x": 1.0,
                "xanchor": "left",
                "xpad": 12,
                "y": 0.0,
                "yanchor": "bottom",
                "len": 0.42,
                "thickness": 14,
                "tickfont": {"size": 10},
                "outlinewidth": 0,
            },
            showscale=True,
            name=_wrap_words(mode.reason, 30),
            legendgroup="density",
            showlegend=True,
            text=texts,
            hovertemplate="%{text}<extra></extra>",
            meta={"kind": "density", "in_view": mode.in_view, "asked": mode.asked, "top": top},
        )
    ]


def _wrap_words(text: str, width: int) -> str:
    """Plain text broken into lines of about ``width`` characters (legend entries)."""
    lines: list[str] = []
    for word in plain(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


# The size key beside the dashboard's map: fatalities under a circle, drawn at the map's sizes.
SIZE_KEY_STEPS = (0, 5, 25, 100)


def size_key(x_px: float = 12.0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Shapes and notes of the circle-size key at the foot of the legend column (pixels from the
    map's bottom right corner, so it stays put whatever the map's size)."""
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    def note(text: str, dx: float, dy: float, size: int = 10, colour: str = "#333") -> None:
        notes.append(
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 1.0,
                "y": 0.0,
                "xshift": dx,
                "yshift": dy,
                "xanchor": "left",
                "yanchor": "middle",
                "align": "left",
                "showarrow": False,
                "font": {"size": size, "color": colour},
            }
        )

    h = 8.0
    note(
        "a little larger when several<br>incidents share a circle; hover<br>says how many",
        x_px,
        h + 16,
        9,
        "#555",
    )
    h += 40
    for fat in reversed(SIZE_KEY_STEPS):
        size = marker_size(fat)
        row = max(size, 14.0) + 4
        mid = h + row / 2
        cx = x_px + 22
        shapes.append(
            {
                "type": "circle",
                "xref": "paper",
                "yref": "paper",
                "xsizemode": "pixel",
                "ysizemode": "pixel",
                "xanchor": 1.0,
                "yanchor": 0.0,
                "x0": cx - size / 2,
                "x1": cx + size / 2,
                "y0": mid - size / 2,
                "y1": mid + size / 2,
                "fillcolor": "#3b4654",
                "opacity": 0.75,
                "line": {"color": "white", "width": 0.6},
                "name": "size-key",
            }
        )
        label = (
            "none or not stated"
            if fat == 0
            else (f"{fat} or more" if fat == SIZE_KEY_STEPS[-1] else str(fat))
        )
        note(label, x_px + 48, mid)
        h += row
    note("<b>Circle size: fatalities</b>", x_px, h + 10, 11)
    return shapes, notes


def _basemap_layers(basemap: dict[str, dict | None], layers: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, kind: str, width: float = 0.0) -> None:
        src = basemap.get(name)
        if src:
            layer = {"sourcetype": "geojson", "source": src, "type": kind, "color": BASEMAP_COLOURS[name]}
            if kind == "line":
                layer["line"] = {"width": width}
            out.append({**layer, "below": "traces"})

    # Lakes belong to both the borders and the rivers layer: drawn once if either is on.
    if "borders" in layers or "rivers" in layers:
        add("lakes", "fill")
    if "borders" in layers:
        add("governorates", "line", 0.8)
        add("countries", "line", 1.6)
        add("deir_ez_zor", "line", 2.6)
    if "rivers" in layers:
        add("rivers", "line", 2.0)
    return out


def _trace(kind: str, **props: Any) -> dict[str, Any]:
    """A trace as a plain dict (None values dropped): building go objects deep-copies and
    validates every array, which cost more than the whole filter on 100k events."""
    return {"type": kind, **{k: v for k, v in props.items() if v is not None}}


def _zone_key(feat: dict) -> tuple[str, str, str]:
    props = feat["properties"]
    status = str(props.get("status") or "held")
    confidence = "low" if str(props.get("confidence") or "").lower() == "low" else "ok"
    return str(props.get("controller")), status, confidence


def zone_legend_name(controller: str, status: str, confidence: str) -> str:
    """Legend text: contested and low-confidence zones say so, since they are drawn apart."""
    name = plain(controller)
    if status == "contested" and not name.lower().startswith("contested"):
        name = f"Contested: {name}"
    if confidence == "low":
        name += " (low confidence)"
    return f"Zone: {name}"


def _zone_traces(zones_fc: dict | None) -> list[dict[str, Any]]:
    """One choropleth per (controller, status, confidence): contested and low-confidence areas
    get their own legend entries and a paler fill; contested ones also get a dashed outline
    (``_contested_outlines``), so nobody reads a disputed area as firmly held."""
    if not zones_fc or not zones_fc.get("features"):
        return []
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for feat in zones_fc["features"]:
        groups.setdefault(_zone_key(feat), []).append(feat)
    traces = []
    for i, ((controller, status, confidence), feats) in enumerate(sorted(groups.items())):
        colour = CONTESTED_COLOUR if status == "contested" else zone_colour(controller, i)
        ids = [str(f["properties"]["zone_id"]) for f in feats]
        hover = [
            "<br>".join(
                [
                    f"<b>{plain(controller)}</b>" + (" (contested)" if status == "contested" else ""),
                    plain(f["properties"].get("label"), 120),
                    f"valid {plain(f['properties'].get('valid_from'))} → {plain(f['properties'].get('valid_to') or 'open')}",
                    f"confidence: {plain(f['properties'].get('confidence'))}",
                    f"sources: {plain('; '.join(map(str, f['properties'].get('sources') or [])) or f['properties'].get('source'), 160)}",
                ]
            )
            for f in feats
        ]
        opacity = 0.38 if status != "contested" and confidence != "low" else 0.22
        traces.append(
            _trace(
                "choroplethmap",
                geojson={"type": "FeatureCollection", "features": feats},
                featureidkey="properties.zone_id",
                locations=ids,
                z=[1] * len(ids),
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                marker={"opacity": opacity, "line": {"width": 1.2, "color": "#6b6b6b"}},
                name=zone_legend_name(controller, status, confidence),
                # One group per entry: the legend toggles whole groups (a type's circles span
                # several traces), and a zone entry should hide that zone, not every zone.
                legendgroup=f"zones-{i}",
                legendgrouptitle={"text": "Control (as of date)"} if i == 0 else None,
                showlegend=True,
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                customdata=[[zid, "zone"] for zid in ids],
                meta={"kind": "zones", "status": status, "confidence": confidence},
            )
        )
    return traces


def _contested_outlines(zones_fc: dict | None) -> list[dict[str, Any]]:
    """Dashed outlines over contested zones: a fill colour alone cannot say "disputed"."""
    if not zones_fc:
        return []
    feats = [f for f in zones_fc.get("features", []) if _zone_key(f)[1] == "contested"]
    if not feats:
        return []
    return [
        {
            "sourcetype": "geojson",
            "source": {"type": "FeatureCollection", "features": feats},
            "type": "line",
            "color": "#7a1f1f",
            "line": {"width": 2.4, "dash": [2, 1.5]},
        }
    ]


def fatalities_text(fatalities: float, stated: int, count: int) -> str:
    """A toll as the reports gave it: "not stated" is not zero, and a partial sum says so."""
    if stated <= 0 or math.isnan(fatalities):
        return "not stated"
    if stated < count:
        return f"{int(fatalities)} (stated for {stated} of {count} incidents)"
    return str(int(fatalities))


def _event_hover(
    etype: str,
    count: int,
    first: str,
    last: str,
    location: Any,
    precision: int,
    actors: Any,
    fatalities: float,
    stated: int,
) -> str:
    when = first if last == first else f"{first} … {last}"
    lines = [
        f"<b>{EVENT_LABELS.get(etype, plain(etype))}</b>",
        f"{count} incident{'s' if count != 1 else ''}, {when}",
        f"place: {plain(location, 60)} ({PRECISION_LABELS.get(precision, '')})",
    ]
    if actors:
        lines.append(f"actors: {plain(actors, 90)}")
    lines.append(f"fatalities: {fatalities_text(fatalities, stated, count)}")
    lines.append("click for the report")
    return "<br>".join(lines)


def _hover_texts(part: pd.DataFrame) -> list[str]:
    # Plain lists, not itertuples: this runs for every marker on every filter change.
    stated = (
        part["fatalities_stated"].tolist()
        if "fatalities_stated" in part.columns
        else [int(c) for c in part["count"].tolist()]
    )
    return [
        _event_hover(t, int(c), f, la, loc, int(p), a, float(fat), int(st))
        for t, c, f, la, loc, p, a, fat, st in zip(
            part["event_type"].tolist(),
            part["count"].tolist(),
            part["first"].dt.strftime("%Y-%m-%d").tolist(),
            part["last"].dt.strftime("%Y-%m-%d").tolist(),
            part["location"].tolist(),
            part["geo_precision"].tolist(),
            part["actors"].tolist(),
            part["fatalities"].astype(float).tolist(),
            stated,
            strict=True,
        )
    ]


# What the event traces read of a group's row (hover texts are written before the others go).
_TRACE_COLUMNS = (
    "incident_id",
    "event_type",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "count",
    "reviewed",
)


def _event_traces(groups: pd.DataFrame) -> list[dict[str, Any]]:
    traces: list[dict[str, Any]] = []
    if groups.empty:
        return traces
    candidate = (
        groups["candidate"].fillna(False).astype(bool)
        if "candidate" in groups.columns
        else pd.Series(False, index=groups.index)
    )
    # The hover texts are written once for all rows, and each trace's rows are taken by position
    # from one grouping: a boolean mask and a text pass per trace cost 4 ms each (some 20 traces).
    # Only the columns the traces read are carried through the many takes and sorts below.
    kept = [c for c in _TRACE_COLUMNS if c in groups.columns]
    groups = groups[kept].assign(_hover=_hover_texts(groups))
    reported = groups[~candidate.to_numpy()]
    # Pale governorate-level discs first (underneath every placed marker), one trace per type.
    area_only = reported[reported["geo_precision"] >= 3]
    by_type = area_only.groupby("event_type", sort=False, observed=True).indices
    for etype in EVENT_TYPES:
        if etype in by_type:
            traces.append(_marker_trace(area_only.iloc[by_type[etype]], etype, approx=True, showlegend=False))
    # Placed markers, smallest on top. Markers at one point (several types there) are concentric,
    # so a smaller one drawn first would vanish under a bigger one whatever its trace: each marker
    # gets its rank by size at its point (0 = biggest), and all rank-0 markers are drawn before
    # all rank-1 markers, and so on; within a trace, big first. The types keep their traces (and
    # legend entries); a type's traces share a legend group, toggled together.
    placed = reported[reported["geo_precision"] < 3]
    if not placed.empty:
        placed = placed.assign(_size=_sizes(placed))
        placed = placed.sort_values(
            ["latitude", "longitude", "_size", "count"], ascending=[True, True, False, False], kind="stable"
        )
        # Dense rank of the size: circles of one size cannot hide each other less by any order,
        # and sharing a rank keeps the trace count down (100k incidents: some 20 event traces, not 70).
        size_rank = placed.groupby(["latitude", "longitude"], sort=False)["_size"].rank(
            method="dense", ascending=False
        )
        rank = size_rank.to_numpy(dtype=int) - 1
        placed = placed.assign(_rank=rank)
        by_rank_type = placed.groupby(["_rank", "event_type"], sort=False, observed=True).indices
        shown: set[str] = set()
        for r in range(int(rank.max()) + 1):
            for etype in EVENT_TYPES:
                if (r, etype) not in by_rank_type:
                    continue
                part = placed.iloc[by_rank_type[(r, etype)]]  # in the placed order, as a mask kept it
                traces.append(
                    _marker_trace(part, etype, approx=False, showlegend=etype not in shown, layer=r)
                )
                shown.add(etype)
    return _reviewed_rims(reported) + traces + _candidate_traces(groups[candidate.to_numpy()])


def _marker_trace(
    part: pd.DataFrame, etype: str, *, approx: bool, showlegend: bool, layer: int = 0
) -> dict[str, Any]:
    """One type's markers, biggest first (so within the trace a small one is never under a big one)."""
    part = part.sort_values(["fatalities", "count"], ascending=False, kind="stable")
    if approx:
        opacity: float | list[float] = PRECISION_OPACITY[3]
    else:
        opacity = [PRECISION_OPACITY[1] if p == 1 else PRECISION_OPACITY[2] for p in part["geo_precision"]]
    return _trace(
        "scattermap",
        lat=part["latitude"].tolist(),
        lon=part["longitude"].tolist(),
        mode="markers",
        marker={"size": _sizes(part), "color": EVENT_COLOURS[etype], "opacity": opacity},
        name=EVENT_LABELS[etype] + (" (area only)" if approx else ""),
        legendgroup=f"events-{etype}",
        showlegend=showlegend,
        text=part["_hover"].tolist(),  # written once for all rows by _event_traces
        hovertemplate="%{text}<extra></extra>",
        customdata=_customdata(part),
        legendrank=1001 + EVENT_TYPES.index(etype),  # the types in their usual order, whatever trace
        meta={"kind": "events", "approximate": approx, **({} if approx else {"layer": layer})},
    )


REVIEWED_RIM = "#1a1a1a"


def _reviewed_rims(reported: pd.DataFrame) -> list[dict[str, Any]]:
    """Incidents an analyst confirmed or corrected get a dark rim: a slightly bigger dark disc
    drawn under their marker (MapLibre circles drawn by plotly take no outline). The machine's
    unreviewed readings stay plain, so "solid with a rim" reads as "checked by a person"."""
    if "reviewed" not in reported.columns:
        return []
    part = reported[reported["reviewed"].fillna(False).astype(bool)]
    if part.empty:
        return []
    part = part.sort_values(["fatalities", "count"], ascending=False, kind="stable")
    return [
        _trace(
            "scattermap",
            lat=part["latitude"].tolist(),
            lon=part["longitude"].tolist(),
            mode="markers",
            marker={"size": [s + 7 for s in _sizes(part)], "color": REVIEWED_RIM, "opacity": 0.9},
            name="Reviewed by an analyst (dark rim)",
            legendgroup="reviewed",
            showlegend=True,
            text=[t.replace("</b>", "</b> (reviewed)", 1) for t in part["_hover"].tolist()],
            hovertemplate="%{text}<extra></extra>",
            customdata=_customdata(part),
            meta={"kind": "reviewed-rims"},
        )
    ]


def _sizes(part: pd.DataFrame) -> list[float]:
    return [
        drawn_size(f, c, p)
        for f, c, p in zip(
            part["fatalities"].tolist(), part["count"].tolist(), part["geo_precision"].tolist(), strict=True
        )
    ]


def _customdata(part: pd.DataFrame) -> list[list[Any]]:
    return [
        [iid, int(c)] for iid, c in zip(part["incident_id"].tolist(), part["count"].tolist(), strict=True)
    ]


def _candidate_traces(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Low-confidence candidates as rings: a disc in the type's colour with a white centre.

    MapLibre circles drawn by plotly take no outline, so the ring is two circle layers: the
    type's colour, and a white disc half as wide on top. Both answer hover and click with the
    incident, so the centre of a ring opens it as the rim does. A ring reads as "not a filled
    fact" at any zoom and keeps the type colour, where a paler disc would be taken for an
    area-only report.
    """
    if part.empty:
        return []
    part = part.sort_values(["fatalities", "count"], ascending=False, kind="stable")
    sizes = [max(15.0, s) for s in _sizes(part)]  # big enough that the white centre reads as a hole
    texts = [t.replace("</b>", "</b> (low-confidence candidate)", 1) for t in part["_hover"].tolist()]
    common = {
        "lat": part["latitude"].tolist(),
        "lon": part["longitude"].tolist(),
        "mode": "markers",
        "text": texts,
        "hovertemplate": "%{text}<extra></extra>",
        "customdata": _customdata(part),
        "legendgroup": "candidates",
    }
    colours = [EVENT_COLOURS.get(t, "#777777") for t in part["event_type"].tolist()]
    return [
        _trace(
            "scattermap",
            **common,
            marker={"size": sizes, "color": colours, "opacity": 0.95},
            name="Low-confidence candidates (rings)",
            showlegend=True,
            legendrank=1100,
            meta={"kind": "candidates"},
        ),
        _trace(
            "scattermap",
            **common,
            marker={"size": [s * 0.5 for s in sizes], "color": "#ffffff", "opacity": 1.0},
            name="Low-confidence candidates (centres)",
            showlegend=False,
            meta={"kind": "candidate-centres"},
        ),
    ]


def _site_trace(sites: pd.DataFrame | None) -> list[dict[str, Any]]:
    if sites is None or sites.empty:
        return []
    return [
        _trace(
            "scattermap",
            lat=sites["latitude"].tolist(),
            lon=sites["longitude"].tolist(),
            mode="markers",
            marker={"size": 6, "color": BASEMAP_COLOURS["sites"], "opacity": 0.55},
            name="Key sites (oil/gas, bases, crossings)",
            legendgroup="sites",
            text=[
                f"<b>{plain(n, 60)}</b><br>{plain(str(k).replace('_', ' '), 40)}"
                for n, k in zip(sites["name"], sites["kind"], strict=True)
            ],
            hovertemplate="%{text}<extra></extra>",
            customdata=[[pid, "site"] for pid in sites["place_id"]],
            meta={"kind": "sites"},
        )
    ]


MAX_LABELS = 160
LEGEND_WIDTH = 210  # px kept right of the map for the legend


def label_names(groups: pd.DataFrame, settlements: pd.DataFrame | None) -> pd.DataFrame:
    """Names to print on the map, most important first: the events' own places (by incidents),
    then cities, towns and villages. Governorate-level reports name no village: never labelled.

    MapLibre places labels in this order and drops any that would collide with one already
    placed, so the order is the decluttering rule at every zoom.
    """
    frames = []
    if not groups.empty:
        named = groups[(groups["geo_precision"] < 3) & groups["location"].notna()]
        if not named.empty:
            by_place = (
                named.groupby(["location", "latitude", "longitude"], sort=False)["count"]
                .sum()
                .reset_index()
                .sort_values("count", ascending=False, kind="stable")
            )
            frames.append(by_place.rename(columns={"location": "name"})[["name", "latitude", "longitude"]])
    if settlements is not None and not settlements.empty:
        frames.append(settlements[["name", "latitude", "longitude"]])
    if not frames:
        return pd.DataFrame(columns=["name", "latitude", "longitude"])
    out = pd.concat(frames, ignore_index=True)
    out["key"] = out["name"].astype(str).str.casefold()
    return out.drop_duplicates("key").drop(columns="key").head(MAX_LABELS)


def _name_trace(
    names: pd.DataFrame,
    column: str,
    *,
    position: str,
    size: int,
    family: str,
    name: str,
    meta: dict[str, Any],
) -> list[dict[str, Any]]:
    """Place names as map text, Latin or Arabic: one shape for both so they stay in step."""
    if names.empty:
        return []
    return [
        _trace(
            "scattermap",
            lat=names["latitude"].tolist(),
            lon=names["longitude"].tolist(),
            # Text only would be mode="text", but plotly then offsets the text by an undefined
            # marker size (NaN) and MapLibre refuses the layer: keep an invisible dot instead.
            mode="markers+text",
            text=[plain(n, 40) for n in names[column].tolist()],
            textposition=position,
            marker={"size": 5, "color": "#2b2b2b", "opacity": 0.0},
            textfont={"size": size, "color": "#2b2b2b", "family": family},
            hoverinfo="skip",
            name=name,
            showlegend=False,
            meta=meta,
        )
    ]


def arabic_label_names(names: pd.DataFrame, settlements: pd.DataFrame | None) -> pd.DataFrame:
    """The Arabic name of each labelled place that the gazetteer spells in Arabic, in the
    labels' order (the decluttering rule), matched by the place's point."""
    if names.empty or settlements is None or "name_ar" not in settlements.columns:
        return pd.DataFrame(columns=["name_ar", "latitude", "longitude"])
    spelled = settlements[settlements["name_ar"].notna()]
    by_point = {
        (round(float(la), 4), round(float(lo), 4)): ar
        for la, lo, ar in zip(spelled["latitude"], spelled["longitude"], spelled["name_ar"], strict=True)
    }
    arabic = [
        by_point.get((round(float(la), 4), round(float(lo), 4)))
        for la, lo in zip(names["latitude"], names["longitude"], strict=True)
    ]
    out = names.assign(name_ar=arabic)
    return out[out["name_ar"].notna()][["name_ar", "latitude", "longitude"]]


def marker_at(groups: pd.DataFrame, lat: float, lon: float, zoom: float) -> str | None:
    """The incident of the smallest event marker drawn over (lat, lon) at ``zoom``, if any.

    A key-site dot sits on top of a town's markers and wins plotly's hover (small markers do),
    so a click there would open nothing; this finds the marker the analyst saw under the dot.
    Web-Mercator pixels: MapLibre's world is 512 px wide at zoom 0.
    """
    if groups.empty:
        return None
    world = 512 * 2**zoom
    stretch = 1 / max(math.cos(math.radians(lat)), 1e-6)  # Mercator: a degree of latitude is longer

    def px(dlat: float, dlon: float) -> float:
        return math.hypot(dlon / 360 * world, dlat / 360 * world * stretch)

    best: tuple[float, str] | None = None
    for g in groups.itertuples(index=False):
        size = drawn_size(float(g.fatalities), int(g.count), int(g.geo_precision))
        dist = px(float(g.latitude) - lat, float(g.longitude) - lon)
        if dist <= size / 2 and (best is None or size < best[0]):
            best = (size, str(g.incident_id))
    return best[1] if best else None


def selection_trace(selected: tuple[float, float, float] | None) -> dict[str, Any]:
    """A dark halo under the selected incident's marker; empty when nothing is selected.

    Always present, at a fixed index (``selection_index``), so selecting another incident
    patches two short arrays instead of resending the map.
    """
    lat, lon, size = ([selected[0]], [selected[1]], [selected[2] + 14]) if selected else ([], [], [])
    return _trace(
        "scattermap",
        lat=lat,
        lon=lon,
        mode="markers",
        marker={"size": size, "color": "#111111", "opacity": 0.45},
        hoverinfo="skip",
        name="Selected incident",
        showlegend=False,
        meta={"kind": "selection"},
    )


def role_uid(trace: dict[str, Any]) -> str:
    """The trace's role as a uid (zones of one kind, key sites, battle circles of size rank 1,
    place names ...), the same in every figure that has that role.

    plotly.js keeps one MapLibre source and its layers per uid and, without one, hands them on by
    trace index. A filter that changes how many traces come before a role (an as-of date with one
    more kind of zone) then gave, say, the place names' source to a battle layer: until MapLibre
    had parsed those tiles again it drew and reported the 116 label points in battle paint. A
    role's uid also keeps a legend entry the analyst hid hidden across filters (uirevision matches
    traces by uid, else by index)."""
    meta = trace.get("meta") or {}
    kind = str(meta.get("kind") or trace.get("type") or "trace")
    if kind == "events":
        etype = str(trace.get("legendgroup", "")).removeprefix("events-")
        # the rank before the type: "r1-battle" is no substring of "r10-battle" (tests match
        # MapLibre layer ids with includes(uid))
        role = f"events-{'approx' if meta.get('approximate') else 'r' + str(meta.get('layer', 0))}-{etype}"
    elif kind == "zones":
        role = f"zones-{trace.get('name', '')}"
    elif kind == "labels":
        role = f"labels-{meta.get('script', 'latin')}"
    else:
        role = kind
    return re.sub(r"[^A-Za-z0-9]+", "-", role).strip("-") or "trace"


def with_role_uids(traces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``traces``, each given its ``role_uid`` (a second trace of one role numbered on)."""
    seen: dict[str, int] = {}
    for trace in traces:
        uid = role_uid(trace)
        seen[uid] = seen.get(uid, 0) + 1
        trace["uid"] = uid if seen[uid] == 1 else f"{uid}-n{seen[uid]}"
    return traces


def selection_index(fig: dict[str, Any]) -> int:
    """Index of the selection halo trace in a map figure, so a callback can patch just that trace.

    Raises ``StopIteration`` for a figure without one (every ``map_spec`` figure has it)."""
    return next(i for i, t in enumerate(fig["data"]) if (t.get("meta") or {}).get("kind") == "selection")


def map_spec(
    groups: pd.DataFrame,
    zones_fc: dict | None,
    basemap: dict[str, dict | None],
    sites: pd.DataFrame | None,
    layers: Sequence[str],
    view: tuple[float, float, float] | None = None,
    tile_url: str | None = None,
    title: str | None = None,
    notice: str | None = None,
    settlements: pd.DataFrame | None = None,
    selected: tuple[float, float, float] | None = None,
    glyphs_url: str | None = None,
    with_size_key: bool = False,
    area: Sequence[tuple[float, float]] = (),
) -> dict[str, Any]:
    """The map as a plain figure dict: basemap lines, zones of the as-of date, key sites, events.

    ``area`` is the outline an analyst drew to filter by (``area=`` in the URL), drawn back so
    the map says what it is limited to.

    Events are circles, or a density layer (``map_mode``: more than ``DENSITY_THRESHOLD`` located
    incidents in view below zoom ``CIRCLES_ZOOM``, or ``layers=...,density``) with its colour bar;
    the legend, a note on the map and the hover say which and why. ``with_size_key`` adds the
    circle-size key beside the map (the dashboard; exports draw their own legends).

    ``notice`` is a line printed over the map, e.g. "no control data before 2019-03-23" when
    the as-of date precedes every zone version (an empty map would read as "nobody held it").

    ``groups`` is ``conflictmap.read.index.map_groups`` output (one row per marker). The dashboard
    sends this dict as it is; ``map_figure`` wraps it in a validated ``go.Figure``.
    """
    traces: list[dict[str, Any]] = []
    if "zones" in layers:
        traces += _zone_traces(zones_fc)
    if "sites" in layers:
        traces += _site_trace(sites)
    traces += area_trace(area)
    mode = map_mode(groups, layers, view)
    traces.append(selection_trace(selected if "events" in layers else None))
    if mode.density:
        traces += density_traces(groups, view, mode)
    elif "events" in layers:
        traces += _event_traces(groups)
    if glyphs_url and (
        "labels" in layers or "arabic" in layers
    ):  # no glyphs, no text: MapLibre would refuse it
        # chosen once for both scripts: the Arabic names are those of the Latin labels
        names = label_names(groups if "events" in layers else groups.iloc[0:0], settlements)
        if "labels" in layers:
            traces += _name_trace(
                names,
                "name",
                position="top right",
                size=11,
                family=LABEL_FONT,
                name="Place names",
                meta={"kind": "labels"},
            )
        if "arabic" in layers:
            traces += _name_trace(
                arabic_label_names(names, settlements),
                "name_ar",
                position="bottom right",  # under the Latin name printed top right
                size=12,
                family=ARABIC_LABEL_FONT,
                name="Place names in Arabic",
                meta={"kind": "labels", "script": "arabic"},
            )
    if not traces:
        # Without a map trace plotly draws no map at all; keep the basemap and the background.
        traces.append({"type": "scattermap", "lat": [], "lon": [], "showlegend": False, "hoverinfo": "skip"})
    lat, lon, zoom = view if view else (DEFAULT_CENTER["lat"], DEFAULT_CENTER["lon"], DEFAULT_ZOOM)
    layout: dict[str, Any] = {
        "map": {
            "style": map_style(tile_url, glyphs_url),
            "center": {"lat": lat, "lon": lon},
            "zoom": zoom,
            "layers": _basemap_layers(basemap, layers)
            + (_contested_outlines(zones_fc) if "zones" in layers else []),
        },
        "margin": {"l": 0, "r": LEGEND_WIDTH, "t": 36 if title else 0, "b": 0},
        # Beside the map, not over it: a legend on the map hid the north-west of the governorate.
        "legend": {
            "x": 1.0,
            "y": 0.94,  # below the modebar, which sits at the graph's top right
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.95)",
            "font": {"size": 11},
            # A legend entry stands for its group: a type's circles are several traces (drawn
            # smallest on top, see _event_traces), a candidate's ring two; the zones one layer.
            "groupclick": "togglegroup",
            "itemwidth": 30,
        },
        "uirevision": "map",
        "clickmode": "event",
        "hoverlabel": {"align": "left"},
        "paper_bgcolor": "white",
        "annotations": [],
    }
    if title:
        layout["title"] = {"text": plain(title), "x": 0.01, "font": {"size": 15}}
    if notice and "zones" in layers:
        layout["annotations"].append(
            {
                "text": plain(notice),
                "x": 0.5,
                "y": 0.02,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13, "color": "#5a3b00"},
                "bgcolor": "rgba(255,244,214,0.92)",
                "bordercolor": "#c9a23a",
                "borderwidth": 1,
            }
        )
    if mode.density:
        layout["annotations"].append(
            {
                "text": plain(mode.reason),
                "x": 0.01,
                "y": 0.99,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 12, "color": "#2d1b4e"},
                "bgcolor": "rgba(255,255,255,0.88)",
                "bordercolor": "#756bb1",
                "borderwidth": 1,
            }
        )
        layout["meta"] = {"map_mode": "density", "in_view": mode.in_view}
    else:
        layout["meta"] = {"map_mode": "circles", "in_view": mode.in_view}
        if with_size_key and "events" in layers and not groups.empty:
            shapes, notes = size_key()
            layout["shapes"] = shapes
            layout["annotations"] += notes
    if ("events" in layers or mode.density) and groups.empty:
        layout["annotations"].append(
            {
                "text": EMPTY_MESSAGE,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": 16, "color": "#333"},
                "bgcolor": "rgba(255,255,255,0.85)",
            }
        )
    return {"data": with_role_uids(traces), "layout": layout}


AREA_COLOUR = "#222222"


def area_trace(area: Sequence[tuple[float, float]]) -> list[dict[str, Any]]:
    """The drawn area as a closed dark line, in the legend as "Drawn area (filter)"; nothing
    without one. It takes no hover or click, so it never hides an incident under it."""
    if len(area) < 3:
        return []
    lons = [lon for lon, _ in area] + [area[0][0]]
    lats = [lat for _, lat in area] + [area[0][1]]
    return [
        _trace(
            "scattermap",
            lon=lons,
            lat=lats,
            mode="lines",
            line={"width": 2.5, "color": AREA_COLOUR},
            name="Drawn area (filter)",
            legendgroup="area",
            showlegend=True,
            hoverinfo="skip",
            meta={"kind": "area"},
        )
    ]


def map_figure(*args: Any, **kwargs: Any) -> go.Figure:
    """``map_spec`` as a validated ``go.Figure`` (exports and tests; same arguments)."""
    return go.Figure(map_spec(*args, **kwargs))


def timeline_spec(
    bins: pd.DataFrame,
    unit: str,
    zone_changes: Sequence[date | tuple[date, str]],
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    """Incidents per day/week stacked by type, fatalities as a line; control changes marked.

    ``bins`` is ``conflictmap.read.index.timeline_bins`` output. Dragging a range on the x axis
    (zoom) is how the dashboard sets its date filter. A plain figure dict, like ``map_spec``.
    """
    width_ms = {"day": 86_400_000 * 0.85, "week": 7 * 86_400_000 * 0.85, "month": 28 * 86_400_000}[unit]
    traces: list[dict[str, Any]] = []
    for etype in EVENT_TYPES:
        sub = bins[bins["event_type"] == etype] if not bins.empty else bins
        if sub.empty:
            continue
        traces.append(
            _trace(
                "bar",
                x=_iso_days(sub["bin"]),
                y=sub["count"].tolist(),
                name=EVENT_LABELS[etype],
                marker={"color": EVENT_COLOURS[etype]},
                width=width_ms,
                hovertemplate=f"{EVENT_LABELS[etype]}: %{{y}}<br>{unit} of %{{x|%Y-%m-%d}}<extra></extra>",
            )
        )
    if not bins.empty:
        fat = bins.groupby("bin", sort=True)["fatalities"].sum()
        # Empty bins are zero, not missing: a line drawn across a gap would invent a trend.
        freq = {"day": "D", "week": "W-MON", "month": "MS"}[unit]
        full = pd.date_range(fat.index.min(), fat.index.max(), freq=freq)
        if len(full) <= 2000:
            fat = fat.reindex(full.union(fat.index), fill_value=0)
        traces.append(
            _trace(
                "scatter",
                x=_iso_days(fat.index),
                y=fat.to_numpy().tolist(),
                name="Fatalities",
                yaxis="y2",
                mode="lines+markers",
                line={"color": "#222", "width": 1.5},
                marker={"size": 4},
                hovertemplate="fatalities: %{y}<br>%{x|%Y-%m-%d}<extra></extra>",
            )
        )
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    days = [
        (day, label)
        for day, label in (c if isinstance(c, tuple) else (c, "control changes") for c in zone_changes)
        if (start is None or day >= start) and (end is None or day <= end)
    ]
    for day, _label in days:
        shapes.append(
            {
                "type": "line",
                "x0": day.isoformat(),
                "x1": day.isoformat(),
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": "#444", "dash": "dot", "width": 1.5},
            }
        )
    # Changes days apart (3, 6, 11 Dec 2024) would print on top of each other over a long range:
    # one label per cluster, the full list in its hover text.
    for cluster in _close_together(days, _span_days(bins, start, end) / 45):
        first = cluster[0][0]
        text = cluster[0][1] if len(cluster) == 1 else f"{len(cluster)} control changes"
        annotations.append(
            {
                "x": first.isoformat(),
                "y": 1.0,
                "yref": "paper",
                "text": plain(text, 40),
                "hovertext": "<br>".join(f"{d.isoformat()}: {plain(lab, 80)}" for d, lab in cluster),
                "showarrow": False,
                "textangle": -90,
                "xanchor": "right",
                "yanchor": "top",
                "font": {"size": 9, "color": "#444"},
            }
        )
    if bins.empty:
        annotations.append(
            {"text": EMPTY_MESSAGE, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False}
        )
    xrange = (
        [(start - timedelta(days=1)).isoformat(), (end + timedelta(days=1)).isoformat()]
        if start and end
        else None
    )
    max_count = float(bins.groupby("bin")["count"].sum().max()) if not bins.empty else 0.0
    max_fatalities = float(bins.groupby("bin")["fatalities"].sum().max()) if not bins.empty else 0.0
    layout: dict[str, Any] = {
        "barmode": "stack",
        "bargap": 0.05,
        "margin": {"l": 40, "r": 50, "t": 10, "b": 30},
        "height": 180,
        "xaxis": {"type": "date", "title": None, **({"range": xrange} if xrange else {"autorange": True})},
        "yaxis": {
            "title": {"text": f"incidents / {unit}"},
            "fixedrange": True,
            "rangemode": "tozero",
            "tickformat": ",d",
            **_whole_ticks(max_count),
        },
        "yaxis2": {
            "tickformat": ",d",
            # Its own ticks, not ticks synced to the left axis's grid (which gave 71 and 141).
            "tickmode": "auto",
            **_whole_ticks(max_fatalities),
            "overlaying": "y",
            "side": "right",
            "fixedrange": True,
            "showgrid": False,
            "rangemode": "tozero",
            "title": {"text": "fatalities"},
        },
        "legend": {"orientation": "h", "y": -0.25, "font": {"size": 10}},
        "dragmode": "zoom",
        "uirevision": "timeline",
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "shapes": shapes,
        "annotations": annotations,
    }
    return {"data": traces, "layout": layout}


def _whole_ticks(top: float) -> dict[str, Any]:
    """Whole-number ticks, each once: with small counts plotly picks steps of 0.5, which the
    integer format prints as 0, 1, 1, 2, 2."""
    if top != top or top > 8:  # NaN, or large enough for plotly's own steps to be whole
        return {}
    return {"tick0": 0, "dtick": 1 if top <= 5 else 2}


def _span_days(bins: pd.DataFrame, start: date | None, end: date | None) -> float:
    if start and end:
        return max((end - start).days, 1)
    if not bins.empty:
        return max((pd.Timestamp(bins["bin"].max()) - pd.Timestamp(bins["bin"].min())).days, 1)
    return 365.0


def _close_together(days: list[tuple[date, str]], gap: float) -> list[list[tuple[date, str]]]:
    """Runs of dated labels where each is within ``gap`` days of the one before it."""
    clusters: list[list[tuple[date, str]]] = []
    for day, label in sorted(days):
        if clusters and (day - clusters[-1][-1][0]).days <= gap:
            clusters[-1].append((day, label))
        else:
            clusters.append([(day, label)])
    return clusters


def _iso_days(values: Any) -> list[str]:
    return [pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]


def timeline_figure(*args: Any, **kwargs: Any) -> go.Figure:
    """``timeline_spec`` as a validated ``go.Figure`` (exports and tests; same arguments)."""
    return go.Figure(timeline_spec(*args, **kwargs))
