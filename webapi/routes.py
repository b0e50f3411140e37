"""The HTTP API: read-only endpoints under the app's prefix for briefing images, data and meta.

Every endpoint takes the dashboard's own query string, so ``…/export/map.png?<query>`` draws
what ``…/?<query>`` shows and ``…/api/events.csv?<query>`` lists the incidents it counts. The
figures come from ``build_map``/``build_timeline``, the very functions the dashboard's callbacks
call, so an export can never drift from the screen. The dashboard's export buttons call the
same ``image_export``/``data_export`` functions (``components.exports``); this package only reads
requests and writes responses, and imports no Dash panel.

    GET <prefix>export/map.png|svg|pdf       the map as a finished briefing graphic
    GET <prefix>export/timeline.png|svg|pdf  the timeline, same dressing
    GET <prefix>export/briefing.pdf          one page: map, timeline, the period's main events
    GET <prefix>api/events.csv|geojson|gpkg  incidents, ACLED columns + provenance; limit/offset
    GET <prefix>api/events.kml               the same incidents as KML placemarks (same query and
                                             paging) with the zones of the view's as-of date
                                             (zones=all: every version; zones=none: no zones)
    GET <prefix>api/zones.geojson?as_of=     control zones on a date
    GET <prefix>api/zones.gpkg               every zone version with its dates (GeoPackage)
    GET <prefix>api/meta                     dataset version, counts, date span, extractor version
    GET <prefix>api/audit.csv?incident=      every analyst decision (the review audit trail)
    GET <prefix>api/views                    the saved views (name, slug, query, feed, who, when)
    GET <prefix>feeds/<slug>.atom            a saved view's latest 50 incidents as an Atom feed,
                                             newest first seen first (404 for an unknown view)

A request is answered only when every parameter was understood: otherwise 400 with a JSON body
listing each problem (``{"error": …, "problems": […]}``), since a script that misspelt
``type=battles`` must not receive every row as if it had been obeyed. The dashboard itself is
lenient (it shows what it could read and lists the rest), and its export buttons call
``image_export``/``data_export`` directly, so they export what the page shows. Any other path
under the prefix answers 404 instead of Dash's page (see ``guard_unknown_paths``).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs

import dash
import flask

from components.exports import Artifact, BadRequest, data_export, data_problems, image_export, image_problems
from conflictmap.export import naming, snapshot, tables
from conflictmap.export.slots import ExportBusy
from conflictmap.read.query import shown, unknown_params


def _respond(artifact: Artifact, download: bool) -> flask.Response:
    resp = flask.Response(artifact.body, mimetype=artifact.mimetype)
    disposition = "attachment" if download else "inline"
    name = naming.route_download_name(flask.request.path, _query_string(), artifact.filename)
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    resp.headers["Cache-Control"] = "no-store"
    resp.headers.update(artifact.headers)
    return resp


def _error(status: int, message: str) -> flask.Response:
    return flask.Response(message + "\n", status=status, mimetype="text/plain")


def _bad_request(problems: list[str]) -> flask.Response:
    """400 with every problem listed, as JSON (values quoted back stay data, never markup)."""
    body = {
        "error": "not answered: parameters not understood (each listed with what the dashboard would do)",
        "problems": problems,
    }
    return flask.Response(
        json.dumps(body, ensure_ascii=False) + "\n", status=400, mimetype="application/json"
    )


def _query_string() -> str:
    return flask.request.query_string.decode("utf-8", "replace")


def base_url(app: dash.Dash) -> str:
    """The dashboard's own address as the browser sees it (host from the request, our prefix)."""
    return flask.request.host_url.rstrip("/") + app.config.requests_pathname_prefix


def register(app: dash.Dash) -> None:
    """Add the export and API routes under the app's routes prefix (GET/HEAD only)."""
    prefix = app.config.routes_pathname_prefix

    def image(what: str, fmt: str) -> flask.Response:
        query = _query_string()
        if problems := image_problems(query):
            return _bad_request(problems)
        try:
            art = image_export(what, fmt, query, base_url(app))
        except BadRequest as exc:
            return _bad_request([str(exc)])
        except snapshot.ChromiumMissing as exc:
            return _error(503, str(exc))
        except ExportBusy as exc:
            busy = _error(503, str(exc))
            busy.headers["Retry-After"] = str(exc.retry_after)
            return busy
        except snapshot.SnapshotTimeout as exc:
            return _error(504, f"{exc}. Try a smaller image or a narrower filter.")
        except snapshot.SnapshotError as exc:
            return _error(503, str(exc))
        return _respond(art, download=flask.request.args.get("download") == "1")

    def data(kind: str) -> flask.Response:
        query = _query_string()
        if problems := data_problems(kind, query):
            return _bad_request(problems)
        try:
            art = data_export(kind, query)
        except (BadRequest, tables.ExportError) as exc:
            return _bad_request([str(exc)])
        return _respond(art, download=flask.request.args.get("download") == "1")

    server = app.server
    for what in ("map", "timeline"):
        for fmt in snapshot.FORMATS:
            server.add_url_rule(
                f"{prefix}export/{what}.{fmt}",
                endpoint=f"export_{what}_{fmt}",
                view_func=lambda w=what, f=fmt: image(w, f),
                methods=["GET"],
            )
    server.add_url_rule(
        f"{prefix}export/briefing.pdf", endpoint="export_briefing", view_func=lambda: image("briefing", "pdf")
    )
    routes = {
        "api/events.csv": "csv",
        "api/events.geojson": "geojson",
        "api/zones.geojson": "zones",
        "api/events.gpkg": "gpkg",
        "api/events.kml": "kml",
        "api/zones.gpkg": "zones_gpkg",
        "api/meta": "meta",
    }
    for path, kind in routes.items():
        server.add_url_rule(
            f"{prefix}{path}", endpoint=f"api_{kind}", view_func=lambda k=kind: data(k), methods=["GET"]
        )
    register_whoami(app)
    register_audit(app)
    register_feeds(app)
    guard_unknown_paths(app)


def register_whoami(app: dash.Dash) -> None:
    """``GET <prefix>api/whoami``: who the app takes the caller for, and whether they may review
    (``components.identity``), as JSON; never cached, since it differs per person."""
    from components.identity import current_identity

    def whoami() -> flask.Response:
        body = json.dumps(current_identity().as_json(), ensure_ascii=False)
        resp = flask.Response(body + "\n", mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    app.server.add_url_rule(
        f"{app.config.routes_pathname_prefix}api/whoami",
        endpoint="api_whoami",
        view_func=whoami,
        methods=["GET"],
    )


AUDIT_PARAMS = ("incident", "download")


def register_audit(app: dash.Dash) -> None:
    """``GET <prefix>api/audit.csv[?incident=ID]``: every analyst decision, oldest first, as CSV
    (who, when, which incident, field, before, after, reason, note). Read-only, as the trail is
    append-only: nothing here can change it. Cells a spreadsheet would run as formulas are
    quoted (``conflictmap.review.audit``)."""
    from components.service_access import service
    from conflictmap.review import audit_csv

    def audit() -> flask.Response:
        query = _query_string()
        qs = parse_qs(query, keep_blank_values=True)
        if problems := unknown_params(qs, AUDIT_PARAMS):
            return _bad_request(problems)
        incident = (qs.get("incident") or [""])[-1].strip() or None
        body = audit_csv(service().store, incident_id=incident).encode("utf-8")
        art = Artifact(body, "text/csv", f"audit-{incident}.csv" if incident else "audit.csv")
        return _respond(art, download=flask.request.args.get("download") == "1")

    app.server.add_url_rule(
        f"{app.config.routes_pathname_prefix}api/audit.csv",
        endpoint="api_audit",
        view_func=audit,
        methods=["GET"],
    )


def register_feeds(app: dash.Dash) -> None:
    """``GET <prefix>feeds/<slug>.atom``: a saved view's incidents as Atom 1.0 (the latest 50 by
    when they were first read, newest first; ``conflictmap.notify``), and ``GET <prefix>api/views``:
    the saved views as JSON. Neither takes parameters (the view is saved); any given answer 400,
    as elsewhere in the API. Links in the feed use ``CONFLICTMAP_PUBLIC_URL`` when set, else the
    address the request came to."""
    from components.service_access import service, settings
    from conflictmap import notify
    from conflictmap.export.atom import MIME, atom_feed
    from conflictmap.read.query import EventFilter
    from conflictmap.storage import watches

    prefix = app.config.routes_pathname_prefix
    home = app.config.requests_pathname_prefix

    def links_base() -> str:
        public = settings().public_url
        return (public if public.endswith("/") else public + "/") if public else base_url(app)

    def feed(slug: str) -> flask.Response:
        if problems := unknown_params(parse_qs(_query_string(), keep_blank_values=True), ()):
            return _bad_request(problems)
        svc = service()
        view = watches.get_view(svc.store, slug) if watches.SLUG_RE.match(slug) else None
        if view is None:
            return _error(
                404,
                f"No saved view {shown(slug)!r}. Saved views and their feeds are listed at {home}api/views.",
            )
        base = links_base()
        selected = svc.view(EventFilter.from_query(view.query)).selected
        entries = notify.feed_entries(selected, watches.first_seen(svc.store), base, view.query)
        updated = max((e.updated for e in entries), default=None) or datetime.fromisoformat(view.saved_at)
        body = atom_feed(
            f"conflictmap: {view.name}",
            base + notify.feed_path(view.slug),
            notify.view_link(base, view.query),
            entries,
            updated,
        )
        resp = flask.Response(body, mimetype=MIME)
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    def views() -> flask.Response:
        if problems := unknown_params(parse_qs(_query_string(), keep_blank_values=True), ()):
            return _bad_request(problems)
        rows = [
            {
                **v.as_json(),
                "feed": home + notify.feed_path(v.slug),
                "link": notify.view_link(home, v.query),
            }
            for v in watches.list_views(service().store)
        ]
        resp = flask.Response(
            json.dumps({"views": rows}, ensure_ascii=False) + "\n", mimetype="application/json"
        )
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    app.server.add_url_rule(
        f"{prefix}feeds/<slug>.atom", endpoint="feed_atom", view_func=feed, methods=["GET"]
    )
    app.server.add_url_rule(f"{prefix}api/views", endpoint="api_views", view_func=views, methods=["GET"])


def guard_unknown_paths(app: dash.Dash) -> None:
    """404 for paths the app does not serve, instead of Dash's page.

    Dash registers a catch-all ``<prefix><path:path>`` that answers any path with the dashboard
    (for multi-page apps, which this is not: views live in the query string). So a mistyped
    ``export/map.gif`` looked like a working address. Only requests that land on that catch-all
    are refused; the page (``<prefix>``, embed mode included), Dash's ``_dash-*`` routes,
    ``_reload-hash``, ``_favicon.ico``, component suites, assets and our routes match their own
    rules first and are untouched.
    """
    catchall = app.config.routes_pathname_prefix + "<path:path>"
    home = app.config.requests_pathname_prefix

    @app.server.before_request
    def unknown_path() -> flask.Response | None:
        rule = flask.request.url_rule
        if rule is None or rule.rule != catchall:
            return None
        message = (
            f"Not found: {shown(flask.request.path)}\n"
            f"The dashboard is at {home}; data under {home}api/ "
            "(events.csv, events.geojson, events.gpkg, events.kml, zones.geojson, zones.gpkg, meta, "
            "whoami, audit.csv, views); saved views' feeds under "
            f"{home}feeds/ (<view>.atom); images under "
            f"{home}export/ (map.png|svg|pdf, timeline.png|svg|pdf, briefing.pdf)."
        )
        return _error(404, message)
