"""Upload panel: a reviewer adds a file of reports (RSS/Atom, JSON Lines, HTML or text) from the page.

The file goes through the very ingest the command line runs (``conflictmap.pipeline.ingest_paths``:
the same limits, the same refusals by name, the same extraction and grouping), and the page shows
the same report. Adding reports changes the data, so it is a write like a review decision: the
request must come from the app's own page (``check_origin``) and from a reviewer
(``require_reviewer``); a viewer is told why not.

The bytes arrive base64-encoded in a callback body, which the app caps at
``Settings.max_request_bytes``; the upload box refuses larger files before sending, and says so.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from components import ids
from components.identity import Refused, check_origin, require_reviewer
from components.service_access import service, settings

log = logging.getLogger(__name__)

UPLOAD = "upload-reports"
REPORT = "upload-report"
SUFFIXES = (".xml", ".rss", ".atom", ".jsonl", ".json", ".html", ".htm", ".txt", ".md")
# base64 turns 3 bytes into 4, and the rest of the callback body needs a little room.
BASE64_SHARE = 0.7


def max_upload_bytes() -> int:
    """The largest file the callback body can carry under the app's request limit."""
    return int(settings().max_request_bytes * BASE64_SHARE)


def layout() -> html.Div:
    """The upload box and the line that reports what the ingest did."""
    limit_kb = max_upload_bytes() // 1024
    return html.Div(
        [
            dcc.Upload(
                html.Span(
                    [
                        "Add reports: drop or ",
                        html.A("choose a file", className="upload-link"),
                        f" (RSS/Atom, JSON Lines, HTML or text; up to {limit_kb:,} KB)",
                    ]
                ),
                id=UPLOAD,
                multiple=False,
                max_size=max_upload_bytes(),
                className="upload-box",
            ),
            html.Div(id=REPORT, className="upload-report hint", role="status"),
        ],
        className="upload-panel",
    )


def safe_name(filename: str | None) -> str:
    """The uploaded file's name reduced to letters, digits, dot, dash and underscore, keeping its
    suffix (the readers pick the format by it); never a path."""
    name = Path(filename or "upload").name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")[:80] or "upload"
    return stem + suffix


def summary(report: Any, name: str) -> list:
    """What the ingest did, in the words of ``conflictmap ingest``'s report."""
    lines = [
        f"{name}: {report.articles_read} article(s) read, {report.articles_added} added, "
        f"{len(report.articles_skipped)} skipped, {report.events_added} event(s) added."
    ]
    lines += [f"skipped: {why} ({where})" for where, why in report.articles_skipped[:5]]
    lines += [f"refused: {e}" for e in report.errors[:10]]
    lines += [f"webhook: {line}" for line in report.webhook]
    if len(report.errors) > 10:
        lines.append(f"… and {len(report.errors) - 10} more refused")
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return [html.Div(line) for line in lines]


def add_reports(contents: str | None, filename: str | None) -> tuple[Any, Any, None]:
    """Callback: ingest the uploaded file; returns (report lines, the new data version, and None
    for the upload's contents: emptied, so choosing the same file again is an upload again)."""
    if not contents:
        return no_update, no_update, None
    try:
        check_origin()
        who = require_reviewer()
    except Refused as exc:
        return str(exc), no_update, None
    name = safe_name(filename)
    if Path(name).suffix not in SUFFIXES:
        return (
            f"{name}: not a file of reports this app reads (use one of {', '.join(SUFFIXES)}).",
            no_update,
            None,
        )
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        return f"{name}: the upload arrived damaged; try again.", no_update, None
    from conflictmap.pipeline import ingest_paths

    cfg = settings()
    svc = service()
    with tempfile.TemporaryDirectory(prefix="conflictmap-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        report = ingest_paths(svc.store, [path], limits=cfg.ingest_limits, settings=cfg)
    log.info("%s uploaded %s: %d article(s) added", who.name, name, report.articles_added)
    return summary(report, name), svc.version(), None


def register(app: Dash) -> None:
    """Give ``app`` this panel's callback (Dash's public ``app.callback``)."""
    app.callback(
        Output(REPORT, "children"),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Output(UPLOAD, "contents"),
        Input(UPLOAD, "contents"),
        State(UPLOAD, "filename"),
        prevent_initial_call=True,
    )(add_reports)
