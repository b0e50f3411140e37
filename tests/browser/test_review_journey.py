"""An analyst reviews incidents in the browser, and what they decide is what the map then draws.

The whole journey runs twice: on a SQLite file and on a PostgreSQL database of its own (the
shared deployment; ``CONFLICTMAP_TEST_POSTGRES_URL``, which ``.ci/run`` sets, and CI fails
rather than skips without it), the app preparing the bundled data into each store itself.

One app behind a (simulated) signing-in proxy: alice is a reviewer, bob a viewer. Each step is
checked where the user sees it: MapLibre's drawn features, the counts, the detail panel's text,
the history list and ``api/audit.csv`` opened as a CSV.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.conftest import AppServer, RequestLog
from tests.conftest import BACKENDS, backend_url

pytestmark = pytest.mark.browser

CONFIRM_ME = "ref:INC-2024-08-09-shelling-dahla"
MOVE_ME = "ref:INC-2023-04-10-conoco-rocket"
REJECT_ME = "ref:INC-2022-09-11-isis-kills-six-sdf-kharafi-road"
ADD_FROM = "ref:INC-2024-08-07-ndf-attack-sdf"
MERGE_FROM = "ref:INC-2024-08-13-security-squares-hasakah"
MERGE_INTO = "ref:INC-2024-08-13-security-squares-qamishli"
VIEWER_TRIES = "ref:INC-2024-08-12-sdf-retaliation"
PICK_FOR = "ref:INC-2020-08-04-protest-hawayij"
BUSAYRAH = (35.15556, 40.42583)  # the gazetteer's point; a 2019 protest is drawn there too
# MapLibre returns tile-quantised coordinates: a drawn point is "at" a place within 0.005 degrees.
NEAR = "(p, q) => Math.abs(p[0] - q[0]) < 0.005 && Math.abs(p[1] - q[1]) < 0.005"

# Where MapLibre draws the dark rims of reviewed incidents: [lon, lat] of each rendered feature.
RIM_POINTS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const idx = gd._fullData.findIndex(t => t.meta && t.meta.kind === 'reviewed-rims');
  if (idx < 0) return [];
  const uid = gd._fullData[idx].uid;
  const layers = map.getStyle().layers.filter(l => l.type === 'circle' && l.id.includes(uid));
  const out = [];
  for (const f of map.queryRenderedFeatures({layers: layers.map(l => l.id)})) {
    out.push(f.geometry.coordinates);
  }
  return out;
}"""


@pytest.fixture(scope="module", params=BACKENDS)
def review_server(request, tmp_path_factory, chromium_path) -> Iterator[AppServer]:
    data_dir = tmp_path_factory.mktemp(f"reviewdata_{request.param}")
    with backend_url(request.param, data_dir, "review_journey") as url:
        env = {
            "CONFLICTMAP_AUTH_USER_HEADER": "X-Forwarded-User",
            "CONFLICTMAP_AUTH_PROXIES": "127.0.0.1",
            "CONFLICTMAP_REVIEWERS": "alice",
            "CONFLICTMAP_DATABASE_URL": url,
        }
        server = AppServer(data_dir, env=env)
        server.store_url = url  # type: ignore[attr-defined]
        yield server
        server.stop()


def _page_as(browser, user: str):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1100}, extra_http_headers={"X-Forwarded-User": user}
    )
    log = RequestLog()
    context.on("request", lambda req: log.urls.append(req.url))
    return context, context.new_page(), log


@pytest.fixture
def alice(browser):
    context, page, log = _page_as(browser, "alice")
    yield page
    context.close()
    assert log.foreign() == [], f"requests left the machine: {log.foreign()}"


@pytest.fixture
def bob(browser):
    context, page, log = _page_as(browser, "bob")
    yield page
    context.close()
    assert log.foreign() == [], f"requests left the machine: {log.foreign()}"


def _get(server: AppServer, path: str, user: str = "alice") -> str:
    req = urllib.request.Request(server.base + path, headers={"X-Forwarded-User": user})  # noqa: S310
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - our own loopback app
        return resp.read().decode("utf-8")


def _audit(server: AppServer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_get(server, "api/audit.csv"))))


def _incident_row(
    server: AppServer,
    incident: str,
    extra: str = "review=confirmed&review=corrected&review=unreviewed&review=rejected&cand=1",
) -> dict[str, str] | None:
    rows = csv.DictReader(io.StringIO(_get(server, f"api/events.csv?{extra}&limit=5000")))
    return next((r for r in rows if r["incident_id"] == incident), None)


def _open(page, server: AppServer, incident: str) -> None:
    page.goto(server.base + "?event=" + incident)
    page.wait_for_function(
        "(id) => { const s = document.querySelector('#review-status'); return s && s.textContent.length > 0"
        " && document.querySelector('#detail-panel, .detail-panel').textContent.length > 40; }",
        arg=incident,
    )
    page.wait_for_function("() => document.querySelector('#map .js-plotly-plot') !== null")
    # The page has settled (no callback pending, the timeline drawn after the map included) before
    # the analyst types: a URL rewrite arriving later refills the form from the store and wiped a
    # pick made before it (render_review refills on every URL change; see the closing note).
    page.wait_for_function(
        "() => !document.querySelector('._dash-loading-callback')"
        " && !!document.querySelector('#timeline .js-plotly-plot .barlayer')",
        timeout=60_000,
    )


def _message(page, words: str) -> str:
    """The review panel's message once it says ``words`` (the message itself if it never does)."""
    try:
        page.wait_for_function(
            "(w) => document.querySelector('#review-message').textContent.includes(w)",
            arg=words,
            timeout=30_000,
        )
    except Exception as exc:
        raise AssertionError(f"the panel said {page.inner_text('#review-message')!r}, not {words!r}") from exc
    return page.inner_text("#review-message")


def _pick(page, dropdown: str, option: str, search: str | None = None) -> None:
    """Choose an option of a Dash dropdown as a user does: open it, type, click the option."""
    page.click(f"#{dropdown}")
    if search:
        page.locator("input.dash-dropdown-search").last.fill(search)
    page.locator(".dash-dropdown-options [role=option]:visible").filter(has_text=option).first.click()


def _count(page) -> int:
    return int(page.inner_text("#count-incidents").replace(",", ""))


def test_confirm_draws_a_rim_and_enters_the_history_and_the_audit(alice, review_server):
    _open(alice, review_server, CONFIRM_ME)
    assert "Signed in as alice (reviewer)" in alice.inner_text("#review-identity")
    assert "not yet reviewed" in alice.inner_text("#review-status")
    alice.click("#review-confirm")
    assert "Confirmed" in _message(alice, "Confirmed")
    alice.wait_for_function(
        "() => document.querySelector('#review-status').textContent.startsWith('Confirmed by alice')"
    )
    assert "alice · confirm" in alice.inner_text("#review-history")
    row = _incident_row(review_server, CONFIRM_ME)
    assert row is not None
    point = [round(float(row["longitude"]), 3), round(float(row["latitude"]), 3)]
    alice.wait_for_function(f"() => ({RIM_POINTS})().some(p => ({NEAR})(p, {point}))", timeout=30_000)
    assert any(
        r["action"] == "confirm" and r["incident_id"] == CONFIRM_ME and r["who"] == "alice"
        for r in _audit(review_server)
    )


def test_a_corrected_place_moves_the_drawn_marker(alice, review_server):
    before = _incident_row(review_server, MOVE_ME)
    assert before is not None
    _open(alice, review_server, MOVE_ME)
    alice.click("#review-correct summary")
    _pick(alice, "review-place", "Hajin", search="Hajin")
    alice.click("#review-save")
    assert "place_id" in _message(alice, "Corrected")
    after = _incident_row(review_server, MOVE_ME)
    assert after is not None and after["location"].startswith("Hajin")
    new = [round(float(after["longitude"]), 3), round(float(after["latitude"]), 3)]
    old = [round(float(before["longitude"]), 3), round(float(before["latitude"]), 3)]
    assert new != old
    alice.wait_for_function(f"() => ({RIM_POINTS})().some(p => ({NEAR})(p, {new}))", timeout=30_000)
    drawn = alice.evaluate(RIM_POINTS)
    assert not [p for p in drawn if abs(p[0] - old[0]) < 0.005 and abs(p[1] - old[1]) < 0.005]  # it moved
    assert "Hajin" in alice.inner_text(".detail-panel")
    alice.wait_for_function(
        "() => document.querySelector('#review-history').textContent.includes('corrected place_id')"
    )
    assert any(
        r["action"] == "correct" and r["field"] == "place_id" and r["incident_id"] == MOVE_ME
        for r in _audit(review_server)
    )


def test_a_place_picked_on_the_map_moves_the_drawn_marker(alice, review_server):
    before = _incident_row(review_server, PICK_FOR)
    assert before is not None and before["location"].startswith("Al-Hawayij")
    _open(alice, review_server, PICK_FOR)
    alice.click("#review-correct summary")
    alice.click("#review-place-pick-start")
    _message(alice, "Click the map where it happened")
    canvas = "document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map.getCanvas()"
    alice.wait_for_function(f"() => {canvas}.style.cursor === 'crosshair'")
    # Click on al-Busayrah, where another incident's marker is drawn: the click names the place
    # and does not select that incident.
    at = alice.evaluate(
        f"""() => {{
          const map = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;
          const p = map.project([{BUSAYRAH[1]}, {BUSAYRAH[0]}]);
          const r = map.getCanvas().getBoundingClientRect();
          return {{x: r.left + p.x, y: r.top + p.y, inside: p.x > 0 && p.y > 0 && p.x < r.width && p.y < r.height}};
        }}"""
    )
    assert at["inside"], "al-Busayrah is not in the drawn map's view"
    alice.mouse.click(at["x"], at["y"])
    said = _message(alice, "Place: Al-Busayrah")
    assert "km from the click" in said and "Save to keep it" in said
    assert "Al-Busayrah" in alice.inner_text("#review-place")
    assert alice.evaluate(f"() => {canvas}.style.cursor") == ""
    assert "protest-hawayij" in alice.url  # still the incident being corrected
    assert "not yet reviewed" in alice.inner_text("#review-status")  # nothing saved by the click
    alice.click("#review-save")
    assert "place_id" in _message(alice, "Corrected")
    after = _incident_row(review_server, PICK_FOR)
    assert after is not None and after["location"].startswith("Al-Busayrah")
    new = [round(float(after["longitude"]), 3), round(float(after["latitude"]), 3)]
    alice.wait_for_function(f"() => ({RIM_POINTS})().some(p => ({NEAR})(p, {new}))", timeout=30_000)
    assert any(
        r["action"] == "correct" and r["field"] == "place_id" and r["incident_id"] == PICK_FOR
        for r in _audit(review_server)
    )


def test_a_rejected_incident_leaves_the_map_and_the_counts(alice, review_server):
    _open(alice, review_server, REJECT_ME)
    before = _count(alice)
    _pick(alice, "review-reason", "duplicate of another incident")
    alice.fill("#review-note", "same attack as the one reported on the 10th")
    alice.click("#review-reject")
    _message(alice, "Rejected")
    alice.wait_for_function(
        f"() => parseInt(document.querySelector('#count-incidents').textContent.replace(/,/g, '')) === {before - 1}"
    )
    assert _incident_row(review_server, REJECT_ME, extra="cand=1") is None  # hidden by default
    assert _incident_row(review_server, REJECT_ME) is not None  # still in the store, asked for by name
    alice.wait_for_function(
        "() => document.querySelector('#review-history').textContent.includes('rejected (duplicate of another incident)')"
    )
    rows = [r for r in _audit(review_server) if r["incident_id"] == REJECT_ME and r["action"] == "reject"]
    assert len(rows) == 1 and rows[0]["reason"] == "duplicate" and "10th" in rows[0]["note"]


def test_an_event_added_from_selected_words_appears_with_its_evidence(alice, review_server):
    _open(alice, review_server, ADD_FROM)
    quote = alice.locator("blockquote[data-article]").first
    quote.wait_for()
    # Select the first words of the shown paragraph, as a mouse drag would.
    words = alice.evaluate(
        """() => {
          const q = document.querySelector('blockquote[data-article]');
          const walker = document.createTreeWalker(q, NodeFilter.SHOW_TEXT);
          const node = walker.nextNode();
          const end = Math.min(node.textContent.length, 45);
          const range = document.createRange();
          range.setStart(node, 0); range.setEnd(node, end);
          const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
          return node.textContent.slice(0, end);
        }"""
    )
    assert len(words.strip()) > 10
    alice.click("#review-add-section summary")
    alice.click("#review-use-selection")
    alice.wait_for_function(
        "() => document.querySelector('#review-selection-shown').textContent.includes('Evidence')"
    )
    alice.click("#review-add")
    said = _message(alice, "Added")
    new_id = said.split("Added ", 1)[1].rstrip(".")
    alice.wait_for_function(
        "(id) => location.search.includes(encodeURIComponent(id)) || location.search.includes(id)", arg=new_id
    )
    alice.wait_for_function(
        "(w) => document.querySelector('.detail-panel').textContent.includes(w)", arg=words.strip()[:30]
    )
    row = _incident_row(review_server, new_id)
    assert row is not None and row["origin"] == "analyst" and words.strip()[:30] in row["evidence"]
    assert any(r["action"] == "add" and r["incident_id"] == new_id for r in _audit(review_server))


def test_two_incidents_merged_and_split_again(alice, review_server):
    _open(alice, review_server, MERGE_FROM)
    alice.click("#review-merge-start")
    _message(alice, "Pick the incident")
    # The analyst moves to the target (the browser's history, as a back/forward or a pick does).
    alice.evaluate(
        "(id) => { history.pushState({}, '', '?event=' + encodeURIComponent(id));"
        " window.dispatchEvent(new PopStateEvent('popstate')); }",
        MERGE_INTO,
    )
    alice.wait_for_function("() => !document.querySelector('#review-merge-do').hidden")
    alice.click("#review-merge-do")
    said = _message(alice, "Merged")
    assert MERGE_FROM in said
    merged = said.rsplit(" into ", 1)[1].rstrip(".")
    row = _incident_row(review_server, merged)
    assert row is not None and int(row["n_reports"]) >= 3
    assert _incident_row(review_server, MERGE_FROM) is None or MERGE_FROM == merged
    alice.wait_for_function("() => document.querySelector('#review-history').textContent.includes('merge')")
    alice.click("#review-split-report")
    alice.locator(".dash-dropdown-options [role=option]:visible").first.click()  # the list just opened
    alice.wait_for_function(
        "() => !document.querySelector('#review-split-report-value, #review-split-report')"
        ".textContent.includes('a report of this incident')"
    )
    alice.click("#review-split")
    said = _message(alice, "Split the report out")
    split_id = said.rsplit(" as ", 1)[1].rstrip(".")
    assert _incident_row(review_server, split_id) is not None
    actions = {r["action"] for r in _audit(review_server)}
    assert {"merge", "split"} <= actions


def test_a_viewer_is_refused_with_a_message_and_nothing_is_written(bob, review_server):
    before = len(_audit(review_server))
    _open(bob, review_server, VIEWER_TRIES)
    assert "viewing only" in bob.inner_text("#review-identity").lower()
    bob.click("#review-confirm")
    said = _message(bob, "may not review")
    assert "bob" in said and "CONFLICTMAP_REVIEWERS" in said
    assert "not yet reviewed" in bob.inner_text("#review-status")
    assert len(_audit(review_server)) == before
    who = json.loads(_get(review_server, "api/whoami", user="bob"))
    assert who["role"] == "viewer" and who["can_review"] is False


def test_the_decisions_are_in_the_store_the_app_was_pointed_at(review_server):
    """Run after the journey: what alice decided in the browser is in this backend's own store
    (the PostgreSQL database, not a SQLite file the app might have fallen back to)."""
    from conflictmap.review.audit import audit_rows
    from conflictmap.storage.store import EventStore

    url = review_server.store_url
    assert url.startswith("postgresql") == (review_server.data_dir.name.startswith("reviewdata_postgres"))
    rows = audit_rows(EventStore(url), CONFIRM_ME)
    assert ("alice", "confirm") in {(r["who"], r["action"]) for r in rows}
    if url.startswith("postgresql"):
        assert not list(review_server.data_dir.glob("*.sqlite"))
