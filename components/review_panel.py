"""Review panel: the analyst's last word on the selected incident, and a queue of what is left.

Every decision goes through ``conflictmap.review.Reviews`` (versions, audit, survival across
re-ingest live there); this panel only asks who is deciding (``components.identity``: reviewers
only, same-origin requests only) and shows the outcome. The controls are all in the layout from
the start and only their values change, so each button has one callback and a key press or a
click always reaches it.

After a decision the data version (``ids.DATA_VERSION``) moves, and every panel that draws data
listens to it: the marker moves, the counts change, the rejected incident leaves the map,
without the URL changing. Merge and split move the URL to the incident that results.

Keys (when no text box has focus): c confirm, x reject (focuses the reason), n next in the
queue, p previous.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from components import ids
from components.identity import Refused, check_origin, current_identity, identity_line, require_reviewer
from components.service_access import service, settings
from conflictmap.config import Settings
from conflictmap.geo.gazetteer import PICK_RADIUS_KM, Gazetteer, load_gazetteer
from conflictmap.models import DATE_PRECISIONS, EVENT_LABELS, SUB_EVENT_TYPES
from conflictmap.read.query import EventFilter
from conflictmap.read.service import get_service
from conflictmap.review import ACTORS, REJECT_REASONS, ReviewError, Reviews

log = logging.getLogger(__name__)

BOX = "review-box"
IDENTITY = "review-identity"
STATUS = "review-status"
SEEN = "review-seen"
MESSAGE = "review-message"
CONFIRM = "review-confirm"
REJECT = "review-reject"
REASON = "review-reason"
NOTE = "review-note"
TYPE = "review-type"
SUBTYPE = "review-subtype"
DATE = "review-date"
DATE_PREC = "review-date-precision"
PLACE = "review-place"
PLACE_PICK_START = "review-place-pick-start"
PLACE_PICKED = "review-place-picked"
PICK_LABEL = "Pick the place on the map"
ACTOR1, ACTOR1_OTHER = "review-actor1", "review-actor1-other"
ACTOR2, ACTOR2_OTHER = "review-actor2", "review-actor2-other"
FATALITIES = "review-fatalities"
CIVILIANS = "review-civilians"
SAVE = "review-save"
ADD = "review-add"
ADD_URL = "review-add-url"
USE_SELECTION = "review-use-selection"
SELECTION = "review-selection"
SELECTION_SHOWN = "review-selection-shown"
MERGE_START = "review-merge-start"
MERGE_SOURCE = "review-merge-source"
MERGE_LINE = "review-merge-line"
MERGE_DO = "review-merge-do"
MERGE_CANCEL = "review-merge-cancel"
SPLIT_REPORT = "review-split-report"
SPLIT = "review-split"
HISTORY = "review-history"
QUEUE = "review-queue"
QUEUE_NEXT = "review-queue-next"
QUEUE_PREV = "review-queue-prev"
INCIDENT_ONLY = "review-incident-only"
KEYS = "review-keys"

REASON_LABELS = {
    "not_an_event": "not an event",
    "duplicate": "duplicate of another incident",
    "out_of_area": "out of the area",
    "wrong_place": "wrong place",
    "wrong_date": "wrong date",
    "other": "other (say what in the note)",
}
STATUS_WORDS = {
    "unreviewed": "Machine reading, not yet reviewed",
    "confirmed": "Confirmed",
    "corrected": "Corrected",
    "rejected": "Rejected (hidden from the map unless the review filter asks for it)",
}


@lru_cache(maxsize=4)
def _gazetteer(bundled_dir: Path) -> Gazetteer:
    """The gazetteer of a data folder, read once (0.1 s a read): the place search and every
    decision that names a place use it."""
    return load_gazetteer(bundled_dir)


@lru_cache(maxsize=4)
def _places(bundled_dir: Path) -> list[dict[str, str]]:
    """Gazetteer places as dropdown options (searchable by name), read once per data folder."""
    places = sorted(_gazetteer(bundled_dir).places, key=lambda p: (p.name, p.place_id))
    return [
        {"label": f"{p.name} ({p.kind}, {p.admin2 or p.admin1 or 'Syria'})", "value": p.place_id}
        for p in places
    ]


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label, className="review-label"), control], className="review-field")


def layout() -> html.Div:
    """Every review control, present from the start (their values follow the selected incident)."""
    actor_options = [{"label": a, "value": a} for a in ACTORS]
    form = html.Div(
        [
            _field(
                "Type",
                dcc.Dropdown(
                    id=TYPE,
                    options=[{"label": v, "value": k} for k, v in EVENT_LABELS.items()],
                    clearable=False,
                ),
            ),
            _field("Sub-type", dcc.Dropdown(id=SUBTYPE, clearable=False)),
            _field("Date", dcc.Input(id=DATE, type="date")),
            _field(
                "Date precision", dcc.Dropdown(id=DATE_PREC, options=list(DATE_PRECISIONS), clearable=False)
            ),
            _field("Place (search the gazetteer)", dcc.Dropdown(id=PLACE, placeholder="type a place name")),
            html.Button(PICK_LABEL, id=PLACE_PICK_START, n_clicks=0, className="button review-place-pick"),
            _field(
                "Actor 1", dcc.Dropdown(id=ACTOR1, options=actor_options, placeholder="from the vocabulary")
            ),
            _field(
                "or Other:",
                dcc.Input(id=ACTOR1_OTHER, type="text", maxLength=100, placeholder="another actor 1"),
            ),
            _field(
                "Actor 2", dcc.Dropdown(id=ACTOR2, options=actor_options, placeholder="from the vocabulary")
            ),
            _field(
                "or Other:",
                dcc.Input(id=ACTOR2_OTHER, type="text", maxLength=100, placeholder="another actor 2"),
            ),
            _field("Fatalities (empty: not stated)", dcc.Input(id=FATALITIES, type="number", min=0, step=1)),
            dcc.Checklist(id=CIVILIANS, options=[{"label": "civilians targeted", "value": "1"}], value=[]),
        ],
        className="review-form",
    )
    incident_only = html.Div(
        [
            html.P(id=STATUS, className="review-status", **{"aria-live": "polite"}),
            html.Div(
                [
                    html.Button("Confirm (c)", id=CONFIRM, n_clicks=0, className="button review-confirm"),
                    dcc.Dropdown(
                        id=REASON,
                        options=[{"label": REASON_LABELS[r], "value": r} for r in REJECT_REASONS],
                        placeholder="reason to reject (x)",
                        className="review-reason",
                    ),
                    html.Button("Reject", id=REJECT, n_clicks=0, className="button review-reject"),
                ],
                className="review-actions",
            ),
            html.Div(
                [
                    html.Button(
                        "Merge into another incident…", id=MERGE_START, n_clicks=0, className="button"
                    ),
                    html.Span(id=MERGE_LINE, className="hint"),
                    html.Button("Merge here", id=MERGE_DO, n_clicks=0, className="button", hidden=True),
                    html.Button("Cancel merge", id=MERGE_CANCEL, n_clicks=0, className="button", hidden=True),
                ],
                className="review-merge",
            ),
            html.Div(
                [
                    dcc.Dropdown(
                        id=SPLIT_REPORT,
                        placeholder="a report of this incident",
                        className="review-split-report",
                    ),
                    html.Button("Split this report out", id=SPLIT, n_clicks=0, className="button"),
                ],
                className="review-split",
            ),
            html.Div(id=HISTORY, className="review-history"),
        ],
        id=INCIDENT_ONLY,
    )
    add = html.Details(
        [
            html.Summary("Add an event by hand"),
            html.P(
                "From a report: select its words in the evidence shown below, then 'Use the selected "
                "words'. With no report: give a source address and a note. The fields above give the "
                "event's type, date, place and actors.",
                className="hint",
            ),
            html.Button("Use the selected words", id=USE_SELECTION, n_clicks=0, className="button"),
            html.P(id=SELECTION_SHOWN, className="review-selection", dir="auto"),
            _field("Source address (no report)", dcc.Input(id=ADD_URL, type="url", maxLength=500)),
            html.Button("Add as a new event", id=ADD, n_clicks=0, className="button"),
        ],
        id="review-add-section",
        className="review-add",
    )
    queue = html.Div(
        [
            html.Span(id=QUEUE, className="review-queue-count"),
            html.Button("Previous (p)", id=QUEUE_PREV, n_clicks=0, className="button"),
            html.Button("Next to review (n)", id=QUEUE_NEXT, n_clicks=0, className="button"),
        ],
        className="review-queue",
    )
    return html.Section(
        [
            html.H2("Review", className="review-heading"),
            html.P(id=IDENTITY, className="hint"),
            queue,
            incident_only,
            html.Details(
                [
                    html.Summary("Fields: correct this incident, or give a new event's"),
                    form,
                    html.Button("Save corrections", id=SAVE, n_clicks=0, className="button"),
                ],
                id="review-correct",
                className="review-correct",
            ),
            _field("Note (with a decision)", dcc.Input(id=NOTE, type="text", maxLength=500)),
            add,
            html.Div(id=MESSAGE, className="review-message", role="status"),
            dcc.Store(id=SEEN),
            dcc.Store(id=MERGE_SOURCE),
            dcc.Store(id=ids.PLACE_PICK),
            dcc.Store(id=PLACE_PICKED),
            dcc.Store(id=SELECTION),
            dcc.Store(id=KEYS),
        ],
        id=BOX,
        className="review-panel",
        **{"aria-label": "Review the selected incident"},
    )


# ---- reading --------------------------------------------------------------------------------------
def _incident_row(incident_id: str | None) -> pd.Series | None:
    if not incident_id:
        return None
    row = service().index().rows_of(incident_id)
    return None if row.empty else row.iloc[0]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def form_values(row: pd.Series | None) -> list[Any]:
    """The form's values for an incident (its fields as the map shows them), or empty."""
    if row is None:
        return ["battle", "armed clash", None, "day", None, None, "", None, "", None, []]
    actors = []
    for key in ("actor1", "actor2"):
        a = _text(row.get(key))
        actors += [a, ""] if a is None or a in ACTORS else [None, a.removeprefix("Other: ")]
    fat = row.get("fatalities")
    return [
        row["event_type"],
        row["sub_event_type"],
        pd.Timestamp(row["event_date"]).date().isoformat(),
        row.get("date_precision") or "day",
        _text(row.get("place_id")),
        *actors,
        None if fat is None or pd.isna(fat) else int(fat),
        ["1"] if bool(row.get("civilian_targeting")) else [],
    ]


FORM_OUTPUTS = [
    Output(TYPE, "value"),
    Output(SUBTYPE, "value"),
    Output(DATE, "value"),
    Output(DATE_PREC, "value"),
    Output(PLACE, "value"),
    Output(ACTOR1, "value"),
    Output(ACTOR1_OTHER, "value"),
    Output(ACTOR2, "value"),
    Output(ACTOR2_OTHER, "value"),
    Output(FATALITIES, "value"),
    Output(CIVILIANS, "value"),
]
FORM_STATES = [State(o.component_id, o.component_property) for o in FORM_OUTPUTS]


def queue_of(flt: EventFilter) -> list[str]:
    """The unreviewed incidents of the view, what matters first: most fatalities, then most
    recent, then the least confident reading (the one most likely wrong)."""
    svc = service()
    return list(_queue(svc.settings, svc.version(), flt.without_view().to_query())[0])


def reviewed_in(flt: EventFilter) -> int:
    """How many incidents of the view an analyst has reviewed (the queue's progress count)."""
    svc = service()
    return _queue(svc.settings, svc.version(), flt.without_view().to_query())[1]


@lru_cache(maxsize=32)
def _queue(settings: Settings, version: int, query: str) -> tuple[tuple[str, ...], int]:
    """The queue and the reviewed count of a filter at a store version, ranked once: the panel
    redraws on every URL change (a pan, a selection), and sorting the view each time would cost
    as much as the view itself."""
    selected = get_service(settings).view(EventFilter.from_query(query)).selected
    reviewed = int((selected["review_status"] != "unreviewed").sum())
    todo = selected[selected["review_status"] == "unreviewed"]
    if todo.empty:
        return (), reviewed
    ranked = todo.assign(_fat=todo["fatalities"].fillna(-1)).sort_values(
        ["_fat", "event_date", "confidence", "incident_id"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    return tuple(ranked["incident_id"].astype(str)), reviewed


def _history_items(incident_id: str) -> list:
    rows = Reviews(service().store).history(incident_id)
    if not rows:
        return [html.P("No decision yet.", className="hint")]
    items = []
    for r in rows:
        what = r.get("action", "")
        if r.get("field") and what in ("correct",):
            what = f"corrected {r['field']}: {r.get('before') or '–'} → {r.get('after') or '–'}"
        elif what == "reject":
            what = f"rejected ({REASON_LABELS.get(str(r.get('reason')), r.get('reason') or '')})"
        note = f" — {r['note']}" if r.get("note") else ""
        items.append(
            html.Li(f"{str(r.get('at', ''))[:16].replace('T', ' ')} · {r.get('who', '')} · {what}{note}")
        )
    return [
        html.H3("History", className="review-subheading"),
        html.Ol(items, className="review-history-list"),
    ]


def render_review(search: str | None, _data_version: Any = None, merge_source: dict | None = None) -> list:
    """Everything the panel shows for the URL's incident: identity, queue, status, form, history."""
    flt = EventFilter.from_query(search)
    who = current_identity()
    row = _incident_row(flt.event)
    queue = queue_of(flt)
    reviewed = reviewed_in(flt)
    queue_text = f"Queue: {len(queue)} left to review in this view · {reviewed} reviewed"
    hidden = row is None
    if row is None:
        status: Any = "Select an incident on the map or in the table to review it."
        seen = None
        history: list = []
        splits: list = []
    else:
        state = str(row.get("review_status") or "unreviewed")
        by = (
            f" by {row['reviewed_by']} at {str(row['reviewed_at'])[:16].replace('T', ' ')}"
            if _text(row.get("reviewed_by"))
            else ""
        )
        status = f"{STATUS_WORDS.get(state, state)}{by if state != 'unreviewed' else ''}."
        seen = {"incident": flt.event, "version": int(row.get("review_version") or 0)}
        history = _history_items(str(flt.event))
        reports = service().incident(str(flt.event))
        splits = (
            [
                {
                    "label": f"{r.get('source') or 'unknown outlet'}: {(r.get('evidence') or r.get('notes') or '')[:60]}",
                    "value": r["event_id"],
                }
                for r in reports
            ]
            if len(reports) > 1
            else []
        )
    merge_line, merge_hidden = "", True
    if merge_source and merge_source.get("incident"):
        if flt.event and flt.event != merge_source["incident"]:
            merge_line = f"Merge {merge_source['incident']} into this incident?"
            merge_hidden = False
        else:
            merge_line = f"Merging {merge_source['incident']}: pick the incident to merge it into, on the map or in the table."
    return [
        identity_line(who),
        queue_text,
        status,
        seen,
        hidden,
        history,
        splits,
        merge_line,
        merge_hidden,
        merge_hidden and not (merge_source or {}).get("incident"),
        *form_values(row),
    ]


# ---- deciding -------------------------------------------------------------------------------------
def _actor(choice: str | None, other: str | None) -> str | None:
    other = (other or "").strip()
    if other:
        return other if other.startswith("Other: ") else f"Other: {other}"
    return choice or None


def _fields(form: list[Any]) -> dict[str, Any]:
    etype, subtype, day, prec, place, a1, a1o, a2, a2o, fat, civ = form
    out: dict[str, Any] = {
        "event_type": etype,
        "sub_event_type": subtype,
        "event_date": day,
        "date_precision": prec,
        "actor1": _actor(a1, a1o),
        "actor2": _actor(a2, a2o),
        "fatalities": None if fat in (None, "") else fat,
        "civilian_targeting": "1" in (civ or []),
    }
    if place:
        out["place_id"] = place
    return out


def changes_from(form: list[Any], row: pd.Series) -> dict[str, Any]:
    """Only what the analyst changed: the audit trail then names each field once."""
    now = _fields(form)
    was = _fields(form_values(row))
    return {k: v for k, v in now.items() if v != was.get(k)}


def _selection_span(selection: dict | None) -> tuple[str, int, int] | None:
    """(article id, start, end) of words the analyst selected in a shown paragraph, found in the
    article's own text at or after that paragraph (the page only shows the paragraph)."""
    if not selection or not selection.get("article") or not selection.get("text"):
        return None
    article = service().store.article(str(selection["article"]))
    if not article:
        return None
    text, words = article["text"], str(selection["text"]).strip()
    at = text.find(words, max(0, int(selection.get("offset") or 0)))
    if at == -1:
        at = text.find(words)
    return None if at == -1 else (str(selection["article"]), at, at + len(words))


def decide(
    _confirm: int,
    _reject: int,
    _save: int,
    _merge_do: int,
    _split: int,
    _add: int,
    search: str | None,
    seen: dict | None,
    merge_source: dict | None,
    reason: str | None,
    note: str | None,
    split_report: str | None,
    add_url: str | None,
    selection: dict | None,
    *form: Any,
) -> tuple[Any, Any, Any, Any]:
    """The one write callback: who may decide is checked first, then the façade decides.

    Returns (message, data version, URL search, merge source)."""
    action = ctx.triggered_id
    flt = EventFilter.from_query(search)
    try:
        check_origin()
        who = require_reviewer().name
        reviews = Reviews(service().store, places=_gazetteer(settings().bundled_dir))
        version = int((seen or {}).get("version") or 0)
        incident = (seen or {}).get("incident")
        note = (note or "").strip()
        go_to: str | None = None
        if action == ADD:
            span = _selection_span(selection)
            if span:
                state = reviews.add_event(
                    _fields(list(form)),
                    who=who,
                    article_id=span[0],
                    evidence_start=span[1],
                    evidence_end=span[2],
                    note=note,
                )
            else:
                state = reviews.add_event(
                    _fields(list(form)), who=who, source_url=(add_url or "").strip() or None, note=note
                )
            said, go_to = f"Added {state.incident_id}.", state.incident_id
        elif not incident or incident != flt.event:
            return "Select an incident first.", no_update, no_update, no_update
        elif action == CONFIRM:
            reviews.confirm(incident, who=who, expected_version=version, note=note)
            said = f"Confirmed {incident}."
        elif action == REJECT:
            if not reason:
                return "Choose a reason to reject (x opens the list).", no_update, no_update, no_update
            reviews.reject(incident, reason, who=who, expected_version=version, note=note)
            said = f"Rejected {incident} ({REASON_LABELS.get(reason, reason)}); it stays in the store and its history."
        elif action == SAVE:
            row = _incident_row(incident)
            changes = changes_from(list(form), row) if row is not None else {}
            if not changes:
                return "Nothing changed in the form.", no_update, no_update, no_update
            reviews.correct(incident, changes, who=who, expected_version=version, note=note)
            said = f"Corrected {', '.join(sorted(changes))} of {incident}."
        elif action == MERGE_DO and merge_source:
            state = reviews.merge(
                merge_source["incident"],
                incident,
                who=who,
                expected_version=int(merge_source.get("version") or 0),
                into_version=version,
                note=note,
            )
            said, go_to = f"Merged {merge_source['incident']} into {state.incident_id}.", state.incident_id
        elif action == SPLIT:
            if not split_report:
                return "Choose the report to split out.", no_update, no_update, no_update
            _old, new = reviews.split(incident, split_report, who=who, expected_version=version, note=note)
            said, go_to = f"Split the report out as {new.incident_id}.", new.incident_id
        else:
            return no_update, no_update, no_update, no_update
    except Refused as exc:
        return str(exc), no_update, no_update, no_update
    except ReviewError as exc:  # ChangedMeanwhile, InvalidValue, UnknownIncident: each says what
        return f"Not saved: {exc}", service().version(), no_update, no_update
    url = no_update
    if go_to and go_to != flt.event:
        query = replace(flt, event=go_to).to_query()
        url = "?" + query if query else ""
    return said, service().version(), url, None if action == MERGE_DO else no_update


def start_merge(_n: int, seen: dict | None) -> tuple[Any, str]:
    """Remember the incident to merge; the next one picked on the map or in the table is the target."""
    if not seen or not seen.get("incident"):
        return no_update, "Select the incident to merge first."
    return seen, f"Pick the incident to merge {seen['incident']} into, on the map or in the table."


def cancel_merge(_n: int) -> tuple[None, str]:
    """Forget the merge in progress."""
    return None, "Merge cancelled."


def step_queue(_next: int, _prev: int, search: str | None) -> Any:
    """Next / previous incident to review in the view's queue (the URL's ``event=``)."""
    flt = EventFilter.from_query(search)
    queue = queue_of(flt)
    if not queue:
        return no_update
    if flt.event in queue:
        i = queue.index(flt.event) + (1 if ctx.triggered_id == QUEUE_NEXT else -1)
        target = queue[i % len(queue)]
    else:
        target = queue[0] if ctx.triggered_id == QUEUE_NEXT else queue[-1]
    query = replace(flt, event=target).to_query()
    return "?" + query if query else ""


def subtype_options(etype: str | None) -> list[str]:
    """The sub-types of the chosen type (EVENTS.md's vocabulary)."""
    return list(SUB_EVENT_TYPES.get(etype or "", ()))


def start_place_pick(_n: int, picking: dict | None, seen: dict | None) -> tuple[Any, str, str]:
    """Arm (or, pressed again, disarm) the next click on the map as the form's place.

    Returns (pick in progress, message, button label)."""
    if picking:
        return None, "Place pick cancelled.", PICK_LABEL
    incident = (seen or {}).get("incident")
    return (
        {"incident": incident, "tries": 1},
        "Click the map where it happened: the nearest place of the gazetteer becomes the place.",
        "Cancel the pick",
    )


def place_picked(picked: dict | None, picking: dict | None, seen: dict | None) -> tuple[Any, Any, Any, Any]:
    """The place nearest to the spot clicked goes into the form (saved only with Save).

    Returns (place, message, pick in progress, button label)."""
    if not picking or not isinstance(picked, dict):
        return no_update, no_update, no_update, no_update
    if picking.get("incident") != (seen or {}).get("incident"):
        return no_update, "Place pick dropped: another incident was selected meanwhile.", None, PICK_LABEL
    try:
        lat, lon = float(picked["lat"]), float(picked["lon"])
    except (KeyError, TypeError, ValueError):
        return no_update, "The map did not say where it was clicked; pick again.", None, PICK_LABEL
    found = _gazetteer(settings().bundled_dir).nearest(lat, lon)
    if found is None:
        again = {**picking, "tries": int(picking.get("tries") or 1) + 1}  # armed again for a new click
        return (
            no_update,
            f"No place of the gazetteer within {PICK_RADIUS_KM:g} km of {lat:.4f}, {lon:.4f}: "
            "click nearer a town or village, or search for it by name.",
            again,
            no_update,
        )
    place, km = found
    where = place.admin2 or place.admin1 or "Syria"
    said = f"Place: {place.name} ({place.kind}, {where}), {km:.1f} km from the click. Save to keep it."
    return place.place_id, said, None, PICK_LABEL


# Arms a one-shot click handler on the drawn map while a pick is in progress (the crosshair says
# so); the click's coordinates go to the server through Dash's public set_props. Disarmed when
# the pick ends or is cancelled. A redraw that builds a new map re-arms it.
PICK_JS = """
function (picking, graphId) {
    var root = document.getElementById(graphId);
    var gd = root && root.querySelector(".js-plotly-plot");
    if (!gd) { return window.dash_clientside.no_update; }
    gd.__placePicking = !!picking;
    function arm() {
        var opts = gd._fullLayout && gd._fullLayout.map;
        var map = opts && opts._subplot && opts._subplot.map;
        if (!map) { return; }
        if (map.__placePick && !gd.__placePicking) {
            map.off("click", map.__placePick);
            map.__placePick = null;
            map.getCanvas().style.cursor = "";
        }
        if (gd.__placePicking && !map.__placePick) {
            var handler = function (e) {
                map.off("click", handler);
                map.__placePick = null;
                map.getCanvas().style.cursor = "";
                gd.__placePicking = false;
                window.dash_clientside.set_props("__PICKED__",
                    {data: {lat: e.lngLat.lat, lon: e.lngLat.lng, at: Date.now()}});
            };
            map.__placePick = handler;
            map.on("click", handler);
            map.getCanvas().style.cursor = "crosshair";
        }
    }
    if (!gd.__placePickArmer) {
        gd.__placePickArmer = true;
        gd.on("plotly_afterplot", arm);
    }
    arm();
    return window.dash_clientside.no_update;
}
""".replace("__PICKED__", PLACE_PICKED)


def place_options(_search: str | None) -> list[dict[str, str]]:
    """Gazetteer places for the place search (read once per data folder)."""
    return _places(settings().bundled_dir)


def show_selection(selection: dict | None) -> str:
    """Echo the words the analyst selected, so they know what the new event will cite."""
    if not selection or not selection.get("text"):
        return "No words selected yet." if selection is not None else ""
    return f"Evidence: “{str(selection['text'])[:300]}”"


# Reads the words selected in a shown report paragraph and the paragraph's place in its article.
SELECTION_JS = """
function(n) {
    if (!n) { return window.dash_clientside.no_update; }
    var got = window.__conflictmapSelection;  // kept by the listener below: a click clears the live one
    return got && got.text.trim() ? got : {"text": "", "article": null, "offset": 0};
}
"""

# One listener for the review keys (ignored while typing in a field or a dropdown), and one that
# remembers the last words selected inside a shown report paragraph and where that paragraph sits.
KEYS_JS = (
    """
function(id) {
    if (window.__conflictmapReviewKeys) { return window.dash_clientside.no_update; }
    window.__conflictmapReviewKeys = true;
    document.addEventListener("selectionchange", function() {
        var sel = window.getSelection();
        var text = sel ? sel.toString() : "";
        var node = sel && sel.anchorNode ? sel.anchorNode : null;
        var el = node && node.nodeType === 3 ? node.parentElement : node;
        var para = el && el.closest ? el.closest("[data-article]") : null;
        if (!text.trim() || !para) { return; }
        window.__conflictmapSelection = {"text": text, "article": para.getAttribute("data-article"),
            "offset": parseInt(para.getAttribute("data-offset") || "0", 10)};
    });
    document.addEventListener("keydown", function(ev) {
        var t = ev.target;
        if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
        if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
        var map = {"c": "__CONFIRM__", "n": "__NEXT__", "p": "__PREV__"};
        if (ev.key === "x") {  // open the reasons: one more key or click picks one
            var box = document.getElementById("__REASON__");
            if (box) { ev.preventDefault(); box.click(); }
            return;
        }
        var target = map[ev.key] && document.getElementById(map[ev.key]);
        if (target) { ev.preventDefault(); target.click(); }
    });
    return window.dash_clientside.no_update;
}
""".replace("__CONFIRM__", CONFIRM)
    .replace("__NEXT__", QUEUE_NEXT)
    .replace("__PREV__", QUEUE_PREV)
    .replace("__REASON__", REASON)
)


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``)."""
    app.callback(
        Output(IDENTITY, "children"),
        Output(QUEUE, "children"),
        Output(STATUS, "children"),
        Output(SEEN, "data"),
        Output(INCIDENT_ONLY, "hidden"),
        Output(HISTORY, "children"),
        Output(SPLIT_REPORT, "options"),
        Output(MERGE_LINE, "children"),
        Output(MERGE_DO, "hidden"),
        Output(MERGE_CANCEL, "hidden"),
        *FORM_OUTPUTS,
        Input(ids.URL, "search"),
        Input(ids.DATA_VERSION, "data"),
        Input(MERGE_SOURCE, "data"),
    )(render_review)
    app.callback(
        Output(MESSAGE, "children"),
        Output(ids.DATA_VERSION, "data"),
        Output(ids.URL, "search", allow_duplicate=True),
        Output(MERGE_SOURCE, "data", allow_duplicate=True),
        Input(CONFIRM, "n_clicks"),
        Input(REJECT, "n_clicks"),
        Input(SAVE, "n_clicks"),
        Input(MERGE_DO, "n_clicks"),
        Input(SPLIT, "n_clicks"),
        Input(ADD, "n_clicks"),
        State(ids.URL, "search"),
        State(SEEN, "data"),
        State(MERGE_SOURCE, "data"),
        State(REASON, "value"),
        State(NOTE, "value"),
        State(SPLIT_REPORT, "value"),
        State(ADD_URL, "value"),
        State(SELECTION, "data"),
        *FORM_STATES,
        prevent_initial_call=True,
    )(decide)
    app.callback(
        Output(MERGE_SOURCE, "data"),
        Output(MESSAGE, "children", allow_duplicate=True),
        Input(MERGE_START, "n_clicks"),
        State(SEEN, "data"),
        prevent_initial_call=True,
    )(start_merge)
    app.callback(
        Output(MERGE_SOURCE, "data", allow_duplicate=True),
        Output(MESSAGE, "children", allow_duplicate=True),
        Input(MERGE_CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )(cancel_merge)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(QUEUE_NEXT, "n_clicks"),
        Input(QUEUE_PREV, "n_clicks"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(step_queue)
    app.callback(Output(SUBTYPE, "options"), Input(TYPE, "value"))(subtype_options)
    app.callback(Output(PLACE, "options"), Input(ids.URL, "pathname"))(place_options)
    app.callback(
        Output(ids.PLACE_PICK, "data"),
        Output(MESSAGE, "children", allow_duplicate=True),
        Output(PLACE_PICK_START, "children"),
        Input(PLACE_PICK_START, "n_clicks"),
        State(ids.PLACE_PICK, "data"),
        State(SEEN, "data"),
        prevent_initial_call=True,
    )(start_place_pick)
    app.callback(
        Output(PLACE, "value", allow_duplicate=True),
        Output(MESSAGE, "children", allow_duplicate=True),
        Output(ids.PLACE_PICK, "data", allow_duplicate=True),
        Output(PLACE_PICK_START, "children", allow_duplicate=True),
        Input(PLACE_PICKED, "data"),
        State(ids.PLACE_PICK, "data"),
        State(SEEN, "data"),
        prevent_initial_call=True,
    )(place_picked)
    app.clientside_callback(
        PICK_JS, Output(PLACE_PICKED, "data"), Input(ids.PLACE_PICK, "data"), State(ids.MAP, "id")
    )
    app.callback(Output(SELECTION_SHOWN, "children"), Input(SELECTION, "data"))(show_selection)
    app.clientside_callback(
        SELECTION_JS, Output(SELECTION, "data"), Input(USE_SELECTION, "n_clicks"), prevent_initial_call=True
    )
    app.clientside_callback(KEYS_JS, Output(KEYS, "data"), Input(BOX, "id"))
