"""What MapLibre actually draws, read from the map itself rather than from plotly's data model.

plotly.js can hold a new figure in ``gd._fullData`` while MapLibre still draws the old one (it
did: a style update MapLibre refused left every circle of the first figure on screen). These
helpers ask MapLibre: ``queryRenderedFeatures`` per layer, with the colour of each layer taken
from MapLibre's own paint properties, so a test sees what the analyst sees.
"""

from __future__ import annotations

from typing import NamedTuple

from components.theme import EVENT_COLOURS, ZONE_COLOURS

# Every circle and fill layer MapLibre renders: its colour and how many features it draws.
DRAWN_LAYERS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const hex = (c) => {
    if (typeof c === 'string') return c.toLowerCase();
    if (!c || c.r === undefined) return String(c);
    const a = c.a || 1;  // MapLibre keeps colours premultiplied by alpha
    const h = (v) => Math.round(Math.min(1, v / a) * 255).toString(16).padStart(2, '0');
    return '#' + h(c.r) + h(c.g) + h(c.b);
  };
  const out = [];
  for (const l of map.getStyle().layers) {
    if (l.type !== 'circle' && l.type !== 'fill') continue;
    if (map.getLayoutProperty(l.id, 'visibility') === 'none') continue;
    const prop = l.type === 'circle' ? 'circle-color' : 'fill-color';
    const groups = {};
    for (const f of map.queryRenderedFeatures({layers: [l.id]})) {
      // The colour MapLibre evaluated for this feature (data-driven colours included).
      const colour = hex(f.layer.paint[prop]);
      // Points can be returned once per tile they touch: count distinct geometries.
      (groups[colour] = groups[colour] || new Set()).add(JSON.stringify(f.geometry.coordinates).slice(0, 200));
    }
    for (const [colour, seen] of Object.entries(groups)) {
      out.push({id: l.id, type: l.type, colour: colour, n: seen.size});
    }
  }
  return out;
}"""

# How many event markers plotly's figure puts inside the visible map, counted the way DRAWN_LAYERS
# counts (distinct points per trace), so the drawing can be checked against the figure it was sent.
MODEL_EVENT_MARKERS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const b = gd._fullLayout.map._subplot.map.getBounds();
  let n = 0;
  for (const t of gd._fullData) {
    // reported incidents and the coloured rims of low-confidence candidates (their white
    // centres are counted apart, by drawn_centres)
    if (!(t.meta && (t.meta.kind === 'events' || t.meta.kind === 'candidates')) || t.visible !== true) continue;
    const lat = Array.from(t.lat || []), lon = Array.from(t.lon || []);
    const seen = new Set();
    for (let i = 0; i < lat.length; i++) {
      if (b.contains([lon[i], lat[i]])) seen.add(lon[i] + ',' + lat[i]);
    }
    n += seen.size;
  }
  return n;
}"""

EVENT_COLOUR_TYPES = {c.lower(): t for t, c in EVENT_COLOURS.items()}
ZONE_COLOUR_NAMES = {c.lower(): name for name, c in ZONE_COLOURS.items()}


def drawn(page) -> list[dict]:
    return page.evaluate(DRAWN_LAYERS)


def event_types(layers: list[dict]) -> dict[str, int]:
    """Event type -> number of circles drawn in that type's colour, in ``layers`` (a DRAWN_LAYERS read)."""
    out: dict[str, int] = {}
    for layer in layers:
        etype = EVENT_COLOUR_TYPES.get(layer["colour"])
        if layer["type"] == "circle" and etype:
            out[etype] = out.get(etype, 0) + layer["n"]
    return out


def drawn_event_types(page) -> dict[str, int]:
    """Event type -> number of circles MapLibre draws in that type's colour (a read of its own:
    after a wait, use what the wait returns, read at the moment its condition held)."""
    return event_types(drawn(page))


def drawn_centres(page) -> int:
    """White discs MapLibre draws: the centres that make low-confidence candidates rings."""
    return sum(
        layer["n"] for layer in drawn(page) if layer["type"] == "circle" and layer["colour"] == "#ffffff"
    )


def drawn_zone_controllers(page) -> set[str]:
    """Controllers whose zone colour MapLibre fills somewhere on the map."""
    return {
        ZONE_COLOUR_NAMES[layer["colour"]]
        for layer in drawn(page)
        if layer["type"] == "fill" and layer["colour"] in ZONE_COLOUR_NAMES
    }


# Nothing queued or running can still change what the map draws or what plotly holds:
# - no Dash callback pending anywhere. The renderer shows ._dash-loading-callback while any callback
#   is requested, running or being applied, clientside ones included. [data-dash-is-loading] alone
#   misses the map: its server callback writes two dcc.Store outputs (map_panel.update_map), which
#   render no element; under load the other panels answered first and a wait passed on the figure
#   the map was about to replace (the next figure's Plotly.react then ran between two reads);
# - dcc.Graph is not plotting: it marks the plot div dash-graph--pending from Plotly.react until
#   plotly's map promise resolves (a figure queued behind it keeps the mark), and plotly holds no
#   pending subplot promise (a rejected one stays there: the wait times out instead of passing);
# - MapLibre has applied every change: map.loaded() is false from plotly's remove/addLayer and
#   setData until the tiles are parsed again. In between, queryRenderedFeatures mixes the old
#   tiles' points with the new layers' paint (MapLibre's default black before the next frame): the
#   previous figure's battle and place-label points read as 147 markers against a figure of 8;
# - no paint transition runs and the camera is still.
MAP_SETTLED = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
    && gd._fullLayout.map._subplot.map;
  if (!m || !m.loaded() || m.isMoving() || (m.style && m.style.hasTransitions())) return false;
  if (document.querySelector('._dash-loading-callback, [data-dash-is-loading="true"]')) return false;
  return !gd.classList.contains('dash-graph--pending') && !(gd._promises || []).length;
}"""


class Drawn(NamedTuple):
    """One read of the settled map: the circles MapLibre draws per event type, and the event
    markers plotly's figure holds in view, taken in the same JavaScript turn."""

    events: dict[str, int]
    model: int


def _wait_settled(page, predicate_js: str, timeout: float) -> dict:
    """``{layers, model}`` read at once, the first time the map is settled and
    ``predicate_js(layers, model)`` holds."""
    handle = page.wait_for_function(
        f"""() => {{
          if (!({MAP_SETTLED})()) return null;
          const layers = ({DRAWN_LAYERS})();
          const model = ({MODEL_EVENT_MARKERS})();
          return ({predicate_js})(layers, model) ? {{layers, model}} : null;
        }}""",
        timeout=timeout,
    )
    return handle.json_value()


def wait_drawn(page, predicate_js: str, timeout: float = 30_000) -> list[dict]:
    """Wait until the map is settled and ``predicate_js(drawnLayers)`` holds on what it draws;
    return those layers (a later read may already belong to another figure)."""
    return _wait_settled(page, predicate_js, timeout)["layers"]


def wait_events_match_figure(page, types: list[str] | None = None, timeout: float = 30_000) -> Drawn:
    """Wait until the settled map draws as many event circles as the figure holds in view, all of
    ``types``; return that read."""
    allowed = [EVENT_COLOURS[t].lower() for t in (types or EVENT_COLOURS)]
    every = [c.lower() for c in EVENT_COLOURS.values()]
    snap = _wait_settled(
        page,
        f"(layers, model) => {{ const every = {every}; const allowed = {allowed};"
        " const ev = layers.filter(l => l.type === 'circle' && every.includes(l.colour));"
        " const n = ev.reduce((a, l) => a + l.n, 0);"
        " return ev.every(l => allowed.includes(l.colour)) && n === model; }",
        timeout,
    )
    return Drawn(event_types(snap["layers"]), snap["model"])


def event_colours_js(types: list[str]) -> str:
    """JS predicate: at least one event circle drawn, and every drawn event circle has one of ``types``'s colours."""
    allowed = [EVENT_COLOURS[t].lower() for t in types]
    every = [c.lower() for c in EVENT_COLOURS.values()]
    return (
        f"(layers) => {{ const allowed = {allowed}; const every = {every};"
        " const ev = layers.filter(l => l.type === 'circle' && every.includes(l.colour));"
        " return ev.length > 0 && ev.every(l => allowed.includes(l.colour)); }"
    )


def click_marker(page, xy: dict) -> None:
    """Click a map marker the way a person does: point at it, wait until plotly shows its hover
    label (plotly answers a click with the point it last hovered, computed on a throttled mouse
    move), then click. Without the wait a fast click can land before the hover and do nothing."""
    page.mouse.move(xy["x"], xy["y"])
    page.wait_for_function(
        "() => document.querySelector('#map .hoverlayer .hovertext') !== null", timeout=20_000
    )
    page.mouse.click(xy["x"], xy["y"])


# Heatmap layers MapLibre has, whether shown, and how many features it draws in each.
HEATMAP_LAYERS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  return map.getStyle().layers.filter(l => l.type === 'heatmap').map(l => ({
    id: l.id,
    visible: map.getLayoutProperty(l.id, 'visibility') !== 'none',
    n: map.queryRenderedFeatures({layers: [l.id]}).length,
  }));
}"""


def drawn_heatmaps(page) -> list[dict]:
    """Every heatmap (density) layer in MapLibre's style: id, visible, features it renders."""
    return page.evaluate(HEATMAP_LAYERS)


def wait_map_idle(page, predicate_js: str = "() => true", timeout: float = 30_000) -> None:
    """Wait until the map is settled (MAP_SETTLED) and ``predicate_js()`` holds."""
    page.wait_for_function(
        f"() => ({MAP_SETTLED})() && ({predicate_js})()",
        timeout=timeout,
    )
