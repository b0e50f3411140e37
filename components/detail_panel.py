"""Detail panel: what the reports actually said about the selected incident.

Everything shown here came from a feed, so it is rendered as plain Dash children (text), never
as HTML; links are shown only for http(s) addresses.

Reports come in English and Arabic. Each element that holds a report's own words (the evidence
paragraph, the article's title and outlet, place and actor names) carries ``dir="auto"``: the
browser takes its direction from its first strong letter, so an Arabic sentence reads right to
left with its highlight in place and an English one stays left to right, and a name in the other
script is isolated from the English words around it instead of reordering them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from components import ids
from components.service_access import service
from components.theme import EVENT_COLOURS
from conflictmap.confidence import CONFIDENCE_THRESHOLD, is_candidate
from conflictmap.geo.zones import coverage_note, held_at
from conflictmap.models import EVENT_LABELS, PRECISION_LABELS
from conflictmap.read.query import EventFilter
from conflictmap.textsafe import safe_url

_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u201d\"])\s+|\n+")
HELP = "Click an event on the map to read the reports behind it."


def layout() -> html.Div:
    """The detail panel, showing the help line until an incident is selected."""
    return html.Div(html.P(HELP, className="hint"), id=ids.DETAIL, className="detail-panel")


def evidence_spans(text: str, evidence: str, start: int | None, end: int | None) -> list[tuple[int, int]]:
    """Character spans of every evidence sentence in the text: the first from the stored
    offsets, the follow-ups (an event may rest on several sentences) found after it."""
    if not text or start is None or end is None or not 0 <= start < end <= len(text):
        return []
    spans = [(start, end)]
    rest = evidence[end - start :].strip() if evidence.startswith(text[start:end]) else ""
    cursor = end
    for piece in (p.strip() for p in _SENTENCE_BREAK.split(rest) if p.strip()):
        at = text.find(piece, cursor)
        if at == -1:
            continue
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    return spans


def paragraph_start(text: str, spans: list[tuple[int, int]]) -> int:
    """Offset in ``text`` of the paragraph holding the first span."""
    return text.rfind("\n", 0, spans[0][0]) + 1


def paragraph_with_marks(text: str, spans: list[tuple[int, int]]) -> list:
    """The paragraph(s) around the spans as text children, each span wrapped in a Mark."""
    if not spans:
        return []
    p_start = paragraph_start(text, spans)
    p_end = text.find("\n", spans[-1][1])
    p_end = len(text) if p_end == -1 else p_end
    children: list = []
    cursor = p_start
    for s, e in spans:
        if s < cursor:
            continue
        children.append(text[cursor:s])
        children.append(html.Mark(text[s:e], className="evidence"))
        cursor = e
    children.append(text[cursor:p_end])
    return [c for c in children if c != ""]


def _auto(text: str) -> html.Span:
    """Feed text in a span whose direction follows the text (``dir="auto"`` isolates it too)."""
    return html.Span(text, dir="auto")


def _row(label: str, value) -> html.Div:
    return html.Div(
        [html.Span(label, className="detail-key"), html.Span(value, className="detail-value")],
        className="detail-row",
    )


def _report(rep: dict, first: bool) -> html.Div:
    parts: list = []
    if rep.get("origin") == "reference":
        parts.append(html.P(rep.get("notes") or "", className="reference-summary"))
        parts.append(
            html.P("Reference fact, coded by hand; no sentence of the report is stored.", className="hint")
        )
    else:
        text, evidence = rep.get("text") or "", rep.get("evidence") or ""
        spans = evidence_spans(text, evidence, rep.get("evidence_start"), rep.get("evidence_end"))
        if spans:
            # Where the paragraph sits in its article: an analyst who selects other words of it
            # to add an event (review panel) gets offsets in the article, not in the page.
            where = {
                "data-article": str(rep.get("article_id") or ""),
                "data-offset": str(paragraph_start(text, spans)),
            }
            parts.append(
                html.Blockquote(
                    paragraph_with_marks(text, spans), className="evidence-paragraph", dir="auto", **where
                )
            )
        elif evidence:
            parts.append(
                html.Blockquote(
                    html.Mark(evidence, className="evidence"), className="evidence-paragraph", dir="auto"
                )
            )
    outlet = rep.get("source") or "unknown outlet"
    url = safe_url(rep.get("url"))
    title = rep.get("title") or url or outlet
    link = (
        html.A(title, href=url, target="_blank", rel="noopener noreferrer", dir="auto")
        if url
        else _auto(title)
    )
    parts.append(
        html.Div(
            [html.Span([_auto(outlet), ": "], className="detail-key"), link],
            className="detail-source",
        )
    )
    conf = rep.get("confidence")
    if conf is not None and rep.get("origin") != "reference":
        parts.append(
            html.Div(
                f"extractor confidence {float(conf):.2f} · {rep.get('extractor_version') or ''}",
                className="hint",
            )
        )
    return html.Div(parts, className="report first" if first else "report")


def render_incident(incident_id: str, search: str | None) -> list:
    """The detail panel's children for one incident: its coded fields from the most confident report,
    who held the place that day, every report's own words, and the other incidents at its point.

    A store reloaded since the link was made gives a short notice, not an error."""
    svc = service()
    reports = svc.incident(incident_id)
    if not reports:
        return [
            html.P(
                "This event is not in the store any more (the data may have been reloaded).", className="hint"
            )
        ]
    row = svc.index().rows_of(incident_id)
    # The coded fields as the map shows them: an analyst's corrections laid over the machine's.
    head = {**reports[0], **_coded(row)}
    zone = str(row["zone"].iloc[0]) if not row.empty else "unknown"
    fat = row["fatalities"].iloc[0] if not row.empty else head.get("fatalities")
    etype = head["event_type"]
    actors = " vs ".join(a for a in (head.get("actor1"), head.get("actor2")) if a) or "not named"
    prec = int(head.get("geo_precision") or 3)
    place = head.get("location") or "not named"
    method = head.get("geo_method") or ""
    body = [
        html.H3(
            [
                html.Span(className="swatch", style={"background": EVENT_COLOURS.get(etype, "#777")}),
                EVENT_LABELS.get(etype, etype),
            ],
            className="detail-title",
        ),
        _row("Date", f"{head['event_date']} (precision: {head.get('date_precision')})"),
        _row("Type", f"{EVENT_LABELS.get(etype, etype)}: {head.get('sub_event_type')}"),
        _row("Actors", _auto(actors)),
        _row(
            "Place",
            [
                _auto(place),
                f" — {PRECISION_LABELS.get(prec, '')} (geo precision {prec}); "
                + (
                    "placed by hand"
                    if method == "coded by hand"
                    else f"placed by the gazetteer ({method or 'no method recorded'})"
                ),
            ],
        ),
        _row("Fatalities", "not stated" if fat is None or pd.isna(fat) else str(int(fat))),
        _row("Civilians targeted", "yes" if head.get("civilian_targeting") else "no"),
        _row("Held by that day", _holding(zone, row, head)),
        _row("Reports", f"{len(reports)} source{'s' if len(reports) != 1 else ''}"),
    ]
    # Rows of ACLED or UCDP exports that are the same incident: linked, never merged, so the
    # analyst sees both codings side by side (stored at import, conflictmap.incidents.crossref).
    links = svc.store.cross_links().get(incident_id, [])
    if links:
        body.append(
            _row(
                "Also in",
                [html.Div(f"{link['label']} ({link['reason']})", className="cross-link") for link in links],
            )
        )
    if head.get("origin") != "reference" and is_candidate(head.get("confidence")):
        # Said in words above the report, not only by the ring on the map: a candidate must never
        # be read as a reported incident, in the panel or in a screenshot of it.
        body.insert(
            1,
            html.P(
                f"Low-confidence candidate (extractor confidence {float(head['confidence']):.2f}, "
                f"below {CONFIDENCE_THRESHOLD}): the extractor was unsure this sentence reports an "
                "incident. It is hidden from counts and exports unless candidates are shown.",
                className="candidate-note",
            ),
        )
    if len(reports) > 1:
        body.append(
            html.P(f"Merged because: {head.get('merge_reason') or ''}", className="hint merge-reason")
        )
    body += [_report(r, i == 0) for i, r in enumerate(reports)]
    body.append(_others_here(incident_id, row, search))
    return body


CODED = (
    "event_type",
    "sub_event_type",
    "event_date",
    "date_precision",
    "actor1",
    "actor2",
    "location",
    "geo_precision",
    "civilian_targeting",
)


def _coded(row: pd.DataFrame) -> dict:
    """The incident's coded fields from the index (corrections applied), dates as dates."""
    if row.empty:
        return {}
    r = row.iloc[0]
    out = {k: r[k] for k in CODED if k in row.columns}
    if "event_date" in out:
        out["event_date"] = pd.Timestamp(out["event_date"]).date()
    return {k: (None if not isinstance(v, str | bool) and pd.isna(v) else v) for k, v in out.items()}


def _holding(zone: str, row: pd.DataFrame, head: dict) -> list | str:
    """Who held the place on the event's date, with the zone's status and the sources it cites."""
    if zone == "unknown" or row.empty:
        return _zone_text(zone)
    svc = service()
    r = row.iloc[0]
    day = pd.Timestamp(head["event_date"]).date()
    held = held_at(svc.zones(), day, float(r["longitude"]), float(r["latitude"]))
    if held is None:
        return coverage_note(svc.zones(), day) or _zone_text(zone)
    status = "contested" if held.status == "contested" else "held"
    sources = "; ".join(held.sources) or "no source recorded"
    return [
        f"{held.controller} ({status}, {held.confidence or 'unstated'} confidence, "
        f"zone valid {held.valid_from.isoformat()} → {held.valid_to.isoformat() if held.valid_to else 'open'})",
        html.Br(),
        html.Small(f"Source: {sources}", className="zone-sources"),
    ]


def _zone_text(zone: str) -> str:
    if zone == "unknown":
        # The point is the governorate capital: the zone under it says nothing about the event.
        return "unknown: only the governorate or region is named"
    return "outside all zones" if zone == "none" else zone


def _others_here(incident_id: str, row: pd.DataFrame, search: str | None) -> html.Div:
    """Every other incident of the view drawn at the same point, of any type: the chooser.

    Markers of several types (and governorate-level discs at the capital) sit on one point, so a
    click can only pick one of them; this list reaches all the others in one more click.
    """
    if row.empty:
        return html.Div()
    flt = EventFilter.from_query(search)
    selected = service().view(flt).selected
    r = row.iloc[0]
    same = selected[
        (selected["latitude"] == r["latitude"])
        & (selected["longitude"] == r["longitude"])
        & (selected["incident_id"] != incident_id)
    ].sort_values("event_date", ascending=False)
    if same.empty:
        return html.Div()
    items = [
        html.Li(
            [
                html.Span(className="swatch", style={"background": EVENT_COLOURS.get(d.event_type, "#777")}),
                dcc.Link(
                    [
                        f"{d.event_date.date().isoformat()} · {EVENT_LABELS.get(d.event_type, d.event_type)}"
                        f" · {d.sub_event_type} · ",
                        _auto(d.location if isinstance(d.location, str) else ""),
                    ],
                    href="?" + replace(flt, event=d.incident_id).to_query(),
                ),
            ]
        )
        for d in same.head(25).itertuples()
    ]
    more = f"showing 25 of {len(same)}" if len(same) > 25 else f"{len(same)}"
    return html.Div(
        [html.H4(f"Also at this place ({more}), any type"), html.Ul(items)],
        className="others",
        id="others-here",
    )


def update_detail(search, _data_version=None):
    """Callback: the selected incident (``event=`` in the URL), or the help line when none is."""
    flt = EventFilter.from_query(search)
    if not flt.event:
        return html.P(HELP, className="hint")
    return render_incident(flt.event, search)


def register(app: Dash) -> None:
    """Give ``app`` this panel's callbacks (Dash's public ``app.callback``): every app built by
    ``create_app`` gets its own, so several apps can live in one process (tests build many)."""
    app.callback(Output(ids.DETAIL, "children"), Input(ids.URL, "search"), Input(ids.DATA_VERSION, "data"))(
        update_detail
    )
