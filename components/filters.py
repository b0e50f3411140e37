"""Filter bar, and the one callback that keeps the controls and the URL in step.

The URL is the state: controls write into it, and a URL opened from a link writes back into the
controls. Data callbacks read only the URL. A click on the map or a range dragged on the
timeline is turned into URL parameters here too, so every view is a link.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from components import ids
from components.figures import DEFAULT_ZOOM, marker_at
from components.service_access import service
from conflictmap.read.fields import Control, Param
from conflictmap.read.query import EventFilter, params_of

ZONE_CHOICE_LABELS = {
    "none": "outside all zones (or before 2019-03)",
    "unknown": "unknown: governorate-level reports",
}
# The Dash property each kind of control holds its value in.
PROPERTY = {"date_from": "start_date", "date_to": "end_date", "date": "date"}
# The declared fields the filter bar shows, in declaration order: (field name, declaration, control).
CONTROLLED: list[tuple[str, Param, Control]] = [
    (name, param, param.control) for name, param in params_of() if param.control is not None
]


def _zone_options() -> list[dict]:
    controllers = sorted({z.controller for z in service().zones()}) + ["none", "unknown"]
    return [{"label": ZONE_CHOICE_LABELS.get(c, c), "value": c} for c in controllers]


def _options(kind: str) -> list:
    """Options of a dropdown whose choices come from the data (``Control.options_from``)."""
    if kind == "zones":
        return _zone_options()
    return [{"label": v, "value": v} for v in service().index().choices(kind)]


def with_link_values(options: list, values: list | tuple) -> list:
    """The options plus any value a link asked for that the data does not hold.

    A dropdown drops a value it has no option for, and the filter bar would then rewrite the
    URL to "any": a link asking for an actor nobody reported must show 0 incidents, not all.
    """
    known = {o["value"] if isinstance(o, dict) else o for o in options}
    extra = [{"label": f"{v} (not in the data)", "value": v} for v in values if v not in known]
    return [*options, *extra]


def _field(label: str, control, width: str = "auto") -> html.Div:
    return html.Div(
        [html.Label(label, className="filter-label"), control],
        className="filter-field",
        style={"flex": width},
    )


def _widget(c: Control, default: object):
    """The Dash component for a declared control (a range picker serves both of its ends)."""
    fixed = [{"label": label, "value": value} for value, label in c.options]
    if c.kind in ("date_from", "date_to"):
        # No min/max allowed: the picker silently refused a date typed outside them (a start
        # before the first incident blanked the box and kept the old start), and bounds taken
        # when the page was built go stale as reports arrive. The calendar opens on the data.
        _lo, hi = service().default_range()
        return dcc.DatePickerRange(
            id=c.id,
            start_date_id=c.id + "-start",
            end_date_id=c.id + "-end",
            initial_visible_month=hi.isoformat(),
            display_format="YYYY-MM-DD",
            clearable=True,
            start_date_placeholder_text="from",
            end_date_placeholder_text="to",
            number_of_months_shown=1,
        )
    if c.kind == "date":
        return dcc.DatePickerSingle(
            id=c.id, display_format="YYYY-MM-DD", clearable=True, placeholder=c.placeholder
        )
    if c.kind in ("checklist", "switch"):
        inline = c.row == 1
        return dcc.Checklist(id=c.id, options=fixed, value=default, inline=inline, className="checklist")
    if c.kind == "dropdown":
        return dcc.Dropdown(id=c.id, options=_options(c.options_from), multi=True, placeholder=c.placeholder)
    if c.kind == "number":
        return dcc.Input(id=c.id, type="number", min=0, step=1, value=default, debounce=True)
    if c.kind == "search":
        return dcc.Input(id=c.id, type="search", placeholder=c.placeholder, debounce=True, maxLength=200)
    raise ValueError(f"control {c.id}: unknown kind {c.kind!r}")


def _row(number: int) -> list[html.Div]:
    """The fields of one row of the bar, one per control id (both ends of a range share one)."""
    defaults = controls_from_filter(EventFilter())
    out, seen = [], set()
    for (_name, _param, c), default in zip(CONTROLLED, defaults, strict=True):
        if c.row != number or c.id in seen:
            continue
        seen.add(c.id)
        out.append(_field(c.label, _widget(c, default), c.width))
    return out


def layout() -> html.Div:
    """The filter bar, built from the declared fields; option lists come from the data at page load."""
    buttons = html.Div(
        [
            html.Button("Reset filters", id=ids.RESET, n_clicks=0, className="button"),
            html.Button(
                "Clear drawn area",
                id=ids.CLEAR_AREA,
                n_clicks=0,
                className="button",
                title="Draw an area with the map's box or lasso tool to filter by it",
            ),
            dcc.Store(id=ids.GESTURES_APPLIED, data={"reset": 0, "clear_area": 0}),
            dcc.Clipboard(id=ids.COPY_LINK, title="Copy a link to this view", className="copy-link"),
            html.Span("copy link", className="copy-label"),
        ],
        className="filter-buttons",
    )
    folded = ", ".join(dict.fromkeys(c.label.split(" (")[0].lower() for _, _, c in CONTROLLED if c.row == 2))
    # The second row folds away so the map gets the room; folded, it is hidden, not removed:
    # the sync callback needs every control. In embed mode the fold itself is hidden (CSS).
    more = html.Details(
        [
            html.Summary(f"More filters: {folded}", className="more-filters-summary"),
            html.Div(_row(2), className="filter-row"),
        ],
        id=ids.MORE_FILTERS,
        className="more-filters",
    )
    return html.Div(
        [html.Div([*_row(1), buttons], className="filter-row"), more],
        className="filter-bar",
    )


CONTROL_OUTPUTS = [Output(c.id, PROPERTY.get(c.kind, "value")) for _, _, c in CONTROLLED]
CONTROL_INPUTS = [Input(o.component_id, o.component_property) for o in CONTROL_OUTPUTS]
# Dropdowns whose options come from the data, and which field each serves.
DATA_OPTIONS = [(name, c) for name, _, c in CONTROLLED if c.kind == "dropdown"]
OPTION_OUTPUTS = [Output(c.id, "options") for _, c in DATA_OPTIONS]
NO_OPTIONS = [no_update] * len(OPTION_OUTPUTS)


def controls_from_filter(flt: EventFilter) -> list:
    """The values of the filter controls for ``flt``, in the order of ``CONTROL_OUTPUTS``: the URL
    is the truth and the controls follow it."""
    return [param.to_control(getattr(flt, name)) for name, param, _ in CONTROLLED]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def filter_from_controls(values: list, current: EventFilter) -> EventFilter:
    """The filter the controls show, keeping the URL's selection and map view.

    The controls are written as a query string and read back, so the controls and a pasted link
    agree exactly (the same reading, the same defaults)."""
    pairs = [
        (param.key, v)
        for (_name, param, _c), raw in zip(CONTROLLED, values, strict=True)
        for v in param.from_control(raw)
    ]
    flt = EventFilter.from_query(urlencode(pairs))
    # Fields no control sets (the selection, the map position, embedding, a drawn area) stay as
    # the URL has them.
    return replace(
        flt, **{name: getattr(current, name) for name, param in params_of() if param.control is None}
    )


def _range_from_relayout(relayout: dict | None) -> tuple[date | None, date | None] | None:
    """Dates of a range dragged on the timeline; (None, None) when the user reset the zoom."""
    if not relayout:
        return None
    if relayout.get("xaxis.autorange"):
        return (None, None)
    lo = relayout.get("xaxis.range[0]")
    hi = relayout.get("xaxis.range[1]")
    if lo is None and isinstance(relayout.get("xaxis.range"), list):
        lo, hi = relayout["xaxis.range"]
    if lo is None or hi is None:
        return None
    return _day(str(lo)), _day(str(hi))


def _same(a: object, b: object) -> bool:
    """Control values equal for the URL's purposes (None, "", [] and 0 all mean "not set")."""

    def norm(x: object) -> object:
        return None if x in (None, "", 0) or x == [] else x

    return norm(a) == norm(b)


def _view_from_relayout(relayout: dict | None) -> tuple[float, float, float] | None:
    """Centre and zoom after the analyst panned or zoomed the map, rounded as the URL keeps them."""
    if not relayout or "map.center" not in relayout or "map.zoom" not in relayout:
        return None
    try:
        centre = relayout["map.center"]
        return (
            round(float(centre["lat"]), 4),
            round(float(centre["lon"]), 4),
            round(float(relayout["map.zoom"]), 2),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _clicked_incident(click: dict | None, flt: EventFilter | None = None) -> str | None:
    try:
        point = click["points"][0]  # type: ignore[index]
        data = point.get("customdata")
    except (TypeError, KeyError, IndexError):
        return None
    # Event markers carry [incident_id, count]; zones and sites carry [id, "zone"/"site"].
    if isinstance(data, list) and len(data) == 2 and not isinstance(data[1], str):
        return str(data[0])
    if isinstance(data, list) and len(data) == 2 and data[1] == "site" and flt is not None:
        # A key-site dot drawn over a town's markers took the click: open the marker under it.
        try:
            lat, lon = float(point["lat"]), float(point["lon"])
        except (KeyError, TypeError, ValueError):
            return None
        groups = service().view(flt).groups
        return marker_at(groups, lat, lon, flt.zoom or DEFAULT_ZOOM)
    return None


def _click_key(click: dict | None) -> list | None:
    """What identifies one map click (the point's customdata and position), JSON-ready."""
    try:
        point = click["points"][0]  # type: ignore[index]
        return [point.get("customdata"), point.get("lat"), point.get("lon")]
    except (TypeError, KeyError, IndexError, AttributeError):
        return None


def gestures_of(
    reset: int | None,
    clear_area: int | None,
    corners: tuple[tuple[float, float], ...] | None,
    click: dict | None,
    rng: tuple[date | None, date | None] | None,
) -> dict[str, Any]:
    """The analyst's gestures as the page holds them now, JSON-ready: the buttons' press counts,
    the drawn area (``area_from_selection``), the last map click and the timeline's dragged
    range (``_range_from_relayout``). Compared with the ones already applied
    (``GESTURES_APPLIED``) to tell which are not applied yet."""
    return {
        "reset": int(reset or 0),
        "clear_area": int(clear_area or 0),
        "area": [list(c) for c in corners] if corners else None,
        "click": _click_key(click),
        "range": [str(d) if d else None for d in rng] if rng is not None else None,
    }


def unapplied(now: dict[str, Any], seen: dict[str, Any], fired: set[str]) -> set[str]:
    """The gestures to apply in this call: those that fired it, and those whose value differs
    from the one last applied (their own call was overtaken and its answer dropped)."""
    out = {name for name in ("reset", "clear_area") if now[name] > int(seen.get(name) or 0)}
    for name, prop in (
        ("area", f"{ids.MAP}.selectedData"),
        ("click", f"{ids.MAP}.clickData"),
        ("range", f"{ids.TIMELINE}.relayoutData"),
    ):
        if prop in fired or (now[name] is not None and now[name] != seen.get(name)):
            out.add(name)
    return out


def sync_filters(
    search: str | None,
    values: list,
    click: dict | None = None,
    timeline_view: dict | None = None,
    map_view: dict | None = None,
    selected_area: dict | None = None,
    picking_place: dict | None = None,
    reset: int | None = None,
    clear_area: int | None = None,
    handled: dict | None = None,
):
    """Controls -> URL when a control moved; URL -> controls when the page opened on a link.

    Inputs arrive by name (Dash's flexible callback signature), so adding one cannot shift the
    others. The analyst's gestures (a button press, a drawn area, a map click, a range dragged
    on the timeline) are applied by the first call that sees them unapplied, compared with those
    already applied (``handled``, a store this callback writes), not only by the call they
    fired: Dash applies only the newest answer of a callback, so when a map move overtook the
    call of a "Clear drawn area" press, the press was lost and the area came back."""
    trigger = ctx.triggered_id
    opened_plain = trigger is None and not (search or "").lstrip("?")
    # Dash batches inputs that changed together into one call (a click landing while the
    # timeline reports its first layout, say): every one that fired is applied, not only the
    # first, or the analyst's click was silently lost.
    fired = set() if opened_plain else set(ctx.triggered_prop_ids)
    # The area and the range are read from plotly's events once, for the record and the filter.
    corners = area_from_selection(selected_area)
    rng = _range_from_relayout(timeline_view)
    now = gestures_of(reset, clear_area, corners, click, rng)
    seen = handled if isinstance(handled, dict) else {}
    pending = unapplied(now, seen, fired)
    url_branch = (trigger is None and not opened_plain) or trigger == ids.URL
    gestures = Gestures(pending, fired, click, rng, corners, picking_place)
    out = _synced(search, list(values), map_view, gestures, url_branch)
    changed = any(now[name] != seen.get(name) for name in now)
    return [*out, now if changed else no_update]


@dataclass(frozen=True)
class Gestures:
    """The analyst's gestures one call of ``sync_filters`` sees, and which to apply: those not
    applied yet (``pending``, see ``unapplied``), of the ones that fired the call (``fired``)."""

    pending: set[str]
    fired: set[str]
    click: dict | None
    rng: tuple[date | None, date | None] | None
    corners: tuple[tuple[float, float], ...] | None
    picking_place: dict | None

    def apply(self, flt: EventFilter) -> EventFilter:
        """``flt`` with the unapplied gestures applied."""
        pending = self.pending
        clear_fired = f"{ids.CLEAR_AREA}.n_clicks" in self.fired
        # A clear whose own call was overtaken came before anything that fired this call (an
        # area drawn after it stays); a clear that fired it, with an area in the same call,
        # comes last.
        if "clear_area" in pending and not clear_fired:
            flt = replace(flt, area=())
        if "area" in pending and self.corners:
            flt = replace(flt, area=self.corners)
        if "clear_area" in pending and clear_fired:
            flt = replace(flt, area=())
        # While a place is picked for the review form, a map click names the place and selects
        # nothing.
        if "click" in pending and not self.picking_place and (incident := _clicked_incident(self.click, flt)):
            flt = replace(flt, event=incident)
        if "range" in pending and self.rng is not None:
            flt = replace(flt, start=self.rng[0], end=self.rng[1])
        return flt


def _synced(
    search: str | None, values: list, map_view: dict | None, gestures: Gestures, url_branch: bool
) -> list:
    """The URL, the controls and the option lists for one call of ``sync_filters``."""
    current = EventFilter.from_query(search)
    if "reset" in gestures.pending:
        fresh = EventFilter(embed=current.embed)
        return ["?" + fresh.to_query() if fresh.embed else "", *controls_from_filter(fresh), *NO_OPTIONS]
    if url_branch:
        # A link was opened (or the browser moved in history): the URL sets the controls.
        # Only controls that differ are written, so nothing the analyst set is undone needlessly.
        # A gesture not applied yet (sent in the same call, or overtaken) is still the
        # analyst's: it is applied on top.
        moved = gestures.apply(current)
        wanted = controls_from_filter(moved)
        options = [
            with_link_values(_options(c.options_from), asked)
            if (asked := getattr(moved, name))
            else no_update
            for name, c in DATA_OPTIONS
        ]
        controls = [no_update if _same(v, w) else w for v, w in zip(values, wanted, strict=True)]
        url_out: object = no_update
        if moved != current:
            query = moved.to_query()
            url_out = "?" + query if query else ""
        return [url_out, *controls, *options]
    # Everything else: the URL is rebuilt from ALL inputs, not just the one that fired. Dash
    # drops the answer of a call that a newer call of the same callback overtook (a map
    # relayout right after a tick, say), so each answer must carry every control's state.
    flt = filter_from_controls(values, current)
    if f"{ids.MAP}.relayoutData" in gestures.fired and (view := _view_from_relayout(map_view)):
        flt = replace(flt, lat=view[0], lon=view[1], zoom=view[2])
    moved = gestures.apply(flt)
    # A dragged range moves the date controls too; nothing else a gesture sets is a control.
    controls = (
        controls_from_filter(moved)
        if (moved.start, moved.end) != (flt.start, flt.end)
        else [no_update] * len(CONTROL_OUTPUTS)
    )
    query = moved.to_query()
    if query == (search or "").lstrip("?"):
        return [no_update, *controls, *NO_OPTIONS]
    return ["?" + query if query else "", *controls, *NO_OPTIONS]


def area_from_selection(selected: dict | None) -> tuple[tuple[float, float], ...] | None:
    """The corners of a box or lasso drawn on the map (plotly's ``selectedData``), or None."""
    if not isinstance(selected, dict):
        return None
    try:
        lasso = (selected.get("lassoPoints") or {}).get("map")
        if lasso and len(lasso) >= 3:
            return tuple((round(float(lon), 4), round(float(lat), 4)) for lon, lat in lasso)
        box = (selected.get("range") or {}).get("map")
        if box and len(box) == 2:
            (lon0, lat0), (lon1, lat1) = box
            corners = ((lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1))
            return tuple((round(float(lon), 4), round(float(lat), 4)) for lon, lat in corners)
    except (TypeError, ValueError, AttributeError):
        return None
    return None


def copy_link(_n, href):
    """The Clipboard copies the page's address, which carries the whole view."""
    return href or ""


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(
        output=[
            Output(ids.URL, "search"),
            *CONTROL_OUTPUTS,
            *OPTION_OUTPUTS,
            Output(ids.GESTURES_APPLIED, "data"),
        ],
        inputs={
            "search": Input(ids.URL, "search"),
            "values": CONTROL_INPUTS,
            "click": Input(ids.MAP, "clickData"),
            "timeline_view": Input(ids.TIMELINE, "relayoutData"),
            "reset": Input(ids.RESET, "n_clicks"),
            "map_view": Input(ids.MAP, "relayoutData"),
            "selected_area": Input(ids.MAP, "selectedData"),
            "clear_area": Input(ids.CLEAR_AREA, "n_clicks"),
        },
        state={
            "picking_place": State(ids.PLACE_PICK, "data"),
            "handled": State(ids.GESTURES_APPLIED, "data"),
        },
    )(sync_filters)
    app.callback(Output(ids.COPY_LINK, "content"), Input(ids.COPY_LINK, "n_clicks"), State(ids.URL, "href"))(
        copy_link
    )
