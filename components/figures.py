"""Pure figure functions: data in, ``go.Figure`` out. Plotly only, never Dash.

Same inputs, same figure: no clock, no I/O, no randomness, so the dashboard and the server-side
exports draw exactly the same thing, and tests can assert on traces without a browser.
Every string that came from outside goes through ``plain`` first (Plotly renders HTML in hover
text). Incident ids ride in ``customdata`` so a click can be traced back to the store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from components.theme import (
    BASEMAP_COLOURS,
    CONTESTED_COLOUR,
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
                legendgroup="zones",
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


def _event_traces(groups: pd.DataFrame) -> list[dict[str, Any]]:
    traces: list[dict[str, Any]] = []
    if groups.empty:
        return traces
    candidate = (
        groups["candidate"].fillna(False).astype(bool)
        if "candidate" in groups.columns
        else pd.Series(False, index=groups.index)
    )
    reported = groups[~candidate]
    # Pale governorate-level discs first (underneath), then the placed markers; within a trace,
    # big markers first so a small one is never hidden under a big one.
    for approx in (True, False):
        for etype in EVENT_TYPES:
            part = reported[(reported["event_type"] == etype) & ((reported["geo_precision"] >= 3) == approx)]
            if part.empty:
                continue
            part = part.sort_values(["fatalities", "count"], ascending=False, kind="stable")
            sizes = _sizes(part)
            if approx:
                opacity: float | list[float] = PRECISION_OPACITY[3]
            else:
                opacity = [
                    PRECISION_OPACITY[1] if p == 1 else PRECISION_OPACITY[2] for p in part["geo_precision"]
                ]
            traces.append(
                _trace(
                    "scattermap",
                    lat=part["latitude"].tolist(),
                    lon=part["longitude"].tolist(),
                    mode="markers",
                    marker={"size": sizes, "color": EVENT_COLOURS[etype], "opacity": opacity},
                    name=EVENT_LABELS[etype] + (" (area only)" if approx else ""),
                    legendgroup=f"events-{etype}",
                    showlegend=not approx,
                    text=_hover_texts(part),
                    hovertemplate="%{text}<extra></extra>",
                    customdata=_customdata(part),
                    meta={"kind": "events", "approximate": approx},
                )
            )
    return _reviewed_rims(reported) + traces + _candidate_traces(groups[candidate])


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
            text=[t.replace("</b>", "</b> (reviewed)", 1) for t in _hover_texts(part)],
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
    texts = [t.replace("</b>", "</b> (low-confidence candidate)", 1) for t in _hover_texts(part)]
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
) -> dict[str, Any]:
    """The map as a plain figure dict: basemap lines, zones of the as-of date, key sites, events.

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
    traces.append(selection_trace(selected if "events" in layers else None))
    if "events" in layers:
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
            "groupclick": "toggleitem",
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
    if "events" in layers and groups.empty:
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
    return {"data": traces, "layout": layout}


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
