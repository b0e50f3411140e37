"""A saved view's Atom feed through the real app (Flask test client): the issue's Done-when,
"a saved view's feed lists a newly ingested incident in the area and not one outside it".

The two reports are written here (short, made-up English texts), never taken from a corpus.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from conflictmap.config import Settings
from conflictmap.notify import save_from_page
from conflictmap.pipeline import ingest_paths
from conflictmap.read.query import EventFilter
from conflictmap.storage import watches
from conflictmap.storage.store import EventStore

PREFIX = "/tools/map/"
A = "{http://www.w3.org/2005/Atom}"
# A box around Hajin (40.83 E, 34.69 N), far from al-Busayrah (40.43 E, 35.16 N).
AREA = "40.78,34.65;40.88,34.65;40.88,34.74;40.78,34.74"
REPORTS = [
    {
        "id": "feedtest-hajin",
        "url": "https://wire.example/feedtest/hajin",
        "source": "Example Wire",
        "title": "Clashes in Hajin",
        "published": "2025-03-02",
        "text": "Clashes broke out on Saturday, March 1, 2025 between SDF fighters and ISIS cells in the "
        "town of Hajin, killing three fighters, a local monitor said.",
    },
    {
        "id": "feedtest-busayrah",
        "url": "https://wire.example/feedtest/busayrah",
        "source": "Example Wire",
        "title": "Protest in al-Busayrah",
        "published": "2025-03-02",
        "text": "Residents protested on Saturday, March 1, 2025 in the town of al-Busayrah against fuel "
        "shortages, a local monitor said.",
    },
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("feeds"), url_prefix=PREFIX)
    app = create_app(settings)
    with app.server.app_context():
        yield app, settings


@pytest.fixture(scope="module")
def client(app):
    return app[0].server.test_client()


def entries(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)  # noqa: S314 - the app's own feed
    assert root.tag == f"{A}feed"
    return root.findall(f"{A}entry")


def test_a_saved_views_feed_lists_a_new_incident_in_its_area_and_not_one_outside(app, client, tmp_path):
    _app, settings = app
    store = EventStore(settings.db_url)
    view = save_from_page(store, "Around Hajin", f"?area={AREA}&zoom=9&lat=34.7&lon=40.8&event=x", "alice")
    assert "zoom" not in view.query and "event" not in view.query and "area=" in view.query

    empty = client.get(f"{PREFIX}feeds/{view.slug}.atom")
    assert empty.status_code == 200 and empty.mimetype == "application/atom+xml"
    before = {e.findtext(f"{A}id") for e in entries(empty.data)}

    feed_file = tmp_path / "reports.jsonl"
    feed_file.write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    report = ingest_paths(store, [feed_file], settings=settings)
    assert report.articles_added == 2 and not report.errors

    resp = client.get(f"{PREFIX}feeds/{view.slug}.atom")
    assert resp.status_code == 200
    new = [e for e in entries(resp.data) if e.findtext(f"{A}id") not in before]
    titles = [e.findtext(f"{A}title") for e in new]
    assert titles == ["Battle at Hajin, 2025-03-01"], titles
    entry = new[0]
    content = entry.findtext(f"{A}content")
    assert "town of Hajin" in content and "Example Wire" in content
    assert entry.find(f"{A}content").get("type") == "text"
    assert [a.findtext(f"{A}name") for a in entry.findall(f"{A}author")] == ["Example Wire"]
    link = urlsplit(entry.find(f"{A}link").get("href"))
    assert link.path == PREFIX and link.scheme == "http"
    qs = parse_qs(link.query)
    assert (
        EventFilter.from_query(link.query).area == EventFilter.from_query(f"area={AREA}").area
    )  # the view's area
    assert qs["event"][0].startswith("inc:")
    assert not any("al-Busayrah" in (t or "") for t in (e.findtext(f"{A}title") for e in entries(resp.data)))

    # The whole governorate's view lists both, the Hajin one and the far one.
    everywhere = save_from_page(store, "Everything", "", "alice")
    all_titles = [
        e.findtext(f"{A}title") for e in entries(client.get(f"{PREFIX}feeds/{everywhere.slug}.atom").data)
    ]
    assert "Battle at Hajin, 2025-03-01" in all_titles and "Protest at al-Busayrah, 2025-03-01" in all_titles


def test_feed_of_an_unknown_view_is_404_with_a_pointer_to_the_list(client):
    resp = client.get(f"{PREFIX}feeds/no-such-view.atom")
    assert resp.status_code == 404
    assert "No saved view 'no-such-view'" in resp.get_data(as_text=True)
    assert f"{PREFIX}api/views" in resp.get_data(as_text=True)
    assert client.get(f"{PREFIX}feeds/..%2Fetc.atom").status_code == 404


def test_feed_and_list_refuse_parameters_they_do_not_take(app, client):
    store = EventStore(app[1].db_url)
    watches.save_view(store, "Params", "type=battle", "alice")
    resp = client.get(f"{PREFIX}feeds/params.atom?limit=5")
    assert resp.status_code == 400 and "limit" in resp.get_data(as_text=True)
    assert client.get(f"{PREFIX}api/views?x=1").status_code == 400


def test_api_views_lists_saved_views_with_their_feed(app, client):
    store = EventStore(app[1].db_url)
    watches.save_view(store, "Battles <b>2025</b>", "type=battle&start=2025-01-01", "bob")
    body = client.get(f"{PREFIX}api/views").get_json()
    row = next(v for v in body["views"] if v["slug"] == "battles-b-2025-b")
    assert row["name"] == "Battles <b>2025</b>" and row["saved_by"] == "bob"
    assert row["query"] == "type=battle&start=2025-01-01"
    assert row["feed"] == f"{PREFIX}feeds/battles-b-2025-b.atom"
    assert row["link"] == f"{PREFIX}?type=battle&start=2025-01-01"
    assert row["saved_at"].endswith("+00:00")
    feed = client.get(row["feed"])
    assert feed.status_code == 200
    title = ET.fromstring(feed.data).findtext(f"{A}title")  # noqa: S314 - the app's own feed
    assert title == "conflictmap: Battles <b>2025</b>"  # the name stays text


def test_the_404_message_names_the_feeds_and_views(client):
    text = client.get(f"{PREFIX}nope").get_data(as_text=True)
    assert "views" in text and "feeds/" in text


def _page_request(app, addr: str = "127.0.0.1", origin: str | None = "http://localhost"):
    headers = {"Origin": origin} if origin else {}
    return app[0].server.test_request_context(
        PREFIX, base_url="http://localhost", environ_base={"REMOTE_ADDR": addr}, headers=headers
    )


def test_the_panel_saves_the_pages_view_for_the_local_analyst_and_lists_it_as_text(app):
    from components import views_panel
    from components.identity import local_user

    search = f"?type=battle&area={AREA}&event=inc:zz&zoom=10&lat=34.7&lon=40.8"
    with _page_request(app):
        message = views_panel.save("Panel <img src=x onerror=alert(1)>", search)
        assert (
            message.startswith("Saved 'Panel <img src=x onerror=alert(1)>'")
            and "feeds/panel-img-src-x" in message
        )
        view = watches.get_view(EventStore(app[1].db_url), "panel-img-src-x-onerror-alert-1")
        assert view.saved_by == local_user() and "event=" not in view.query and "zoom=" not in view.query
        again = views_panel.save("Panel <img src=x onerror=alert(1)>", "?type=protest")
        assert again.startswith("Replaced the saved view") and local_user() in again
        items, summary = views_panel._list()
    assert summary.startswith("Saved views (")
    li = next(i for i in items if "panel-img" in str(i))
    link, _, feed, when = li.children
    assert link.children == "Panel <img src=x onerror=alert(1)>"  # a text child: Dash renders it as text
    assert link.href == f"{PREFIX}?type=protest"
    assert feed.href == f"{PREFIX}feeds/panel-img-src-x-onerror-alert-1.atom"
    with _page_request(app):
        assert views_panel.delete("Panel <img src=x onerror=alert(1)>").startswith("Deleted")
        assert views_panel.delete("Panel <img src=x onerror=alert(1)>").startswith("No saved view is named")
        assert views_panel.delete("").startswith("Type the name")


def test_the_panel_refuses_viewers_and_other_sites(app):
    from components import views_panel

    store = EventStore(app[1].db_url)
    with _page_request(app, addr="10.1.2.3"):  # another machine, no sign-in configured: a viewer
        message = views_panel.save("From afar", "?type=battle")
    assert "may not save views" in message and watches.get_view(store, "from-afar") is None
    watches.save_view(store, "Kept", "", "alice")
    with _page_request(app, addr="10.1.2.3"):
        assert "may not delete views" in views_panel.delete("Kept")
    assert watches.get_view(store, "kept") is not None
    with _page_request(app, origin="http://evil.example"):
        message = views_panel.save("Cross site", "?type=battle")
    assert message.startswith("Cross-site write refused") and watches.get_view(store, "cross-site") is None
    with _page_request(app):
        assert views_panel.save("", "?type=battle") == "Not saved: name: a view needs a name"


def test_the_page_shows_the_panel(client):
    from app import PAGE_ROOT  # noqa: F401 - the layout is served from the app

    body = client.get(f"{PREFIX}_dash-layout").get_data(as_text=True)
    assert "views-save" in body and "Save this view" in body
