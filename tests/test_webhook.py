"""The saved views' webhook after ingest (conflictmap.notify), against a real HTTP server on
127.0.0.1 in a thread. No fixed sleeps: the retry waits are recorded or set to zero, and the
server's requests are read from a queue."""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conflictmap import notify
from conflictmap.config import Settings
from conflictmap.pipeline import ingest_paths
from conflictmap.storage import watches
from conflictmap.storage.store import EventStore

AREA = "40.78,34.65;40.88,34.65;40.88,34.74;40.78,34.74"  # around Hajin
REPORTS = [
    {
        "id": "hooktest-hajin",
        "url": "https://wire.example/hooktest/hajin",
        "source": "Example Wire",
        "title": "Clashes in Hajin",
        "published": "2025-03-02",
        "text": "Clashes broke out on Saturday, March 1, 2025 between SDF fighters and ISIS cells in the "
        "town of Hajin, killing three fighters, a local monitor said.",
    },
    {
        "id": "hooktest-busayrah",
        "url": "https://wire.example/hooktest/busayrah",
        "source": "Other Wire",
        "title": "Protest in al-Busayrah",
        "published": "2025-03-02",
        "text": "Residents protested on Saturday, March 1, 2025 in the town of al-Busayrah against fuel "
        "shortages, a local monitor said.",
    },
]


class Hook:
    """A local HTTP server that records every POST and answers the statuses it is given, in order
    (then 200); ``location`` is sent with 3xx answers."""

    def __init__(self, statuses: list[int] | None = None, location: str = "") -> None:
        self.received: queue.Queue[tuple[str, dict, dict]] = queue.Queue()
        self.statuses = list(statuses or [])
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.put((self.path, dict(self.headers), json.loads(body)))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def all(self) -> list[tuple[str, dict, dict]]:
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    monkeypatch.setattr(notify, "BACKOFF", (0.0, 0.0))


@pytest.fixture
def reports(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    return path


def _setup(tmp_path, url: str, **extra) -> tuple[EventStore, Settings]:
    settings = Settings(data_dir=tmp_path, webhook_url=url, webhook_timeout=2, **extra)
    store = EventStore(settings.db_url)
    watches.save_view(store, "Around Hajin", f"area={AREA}", "alice")
    watches.save_view(store, "Protests", "type=protest", "bob")
    watches.save_view(store, "Riots", "type=riot", "bob")  # nothing new for it: no POST
    return store, settings


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_view_gets_its_new_incidents_posted_once(tmp_path, hook, reports):
    store, settings = _setup(tmp_path, hook.url, public_url="https://portal.intranet/tools/map/")
    report = ingest_paths(store, [reports], settings=settings)
    assert report.articles_added == 2 and not report.errors
    got = {body["view"]["slug"]: (path, headers, body) for path, headers, body in hook.all()}
    assert set(got) == {"around-hajin", "protests"}
    path, headers, body = got["around-hajin"]
    assert path == "/hook?token=abc" and headers["Content-Type"].startswith("application/json")
    assert body["view"] == {
        "name": "Around Hajin",
        "slug": "around-hajin",
        "query": watches.get_view(store, "around-hajin").query,
        "feed": "https://portal.intranet/tools/map/feeds/around-hajin.atom",
    }
    (incident,) = body["incidents"]
    assert body["omitted"] == 0
    assert set(incident) == {
        "incident_id",
        "event_date",
        "event_type",
        "location",
        "latitude",
        "longitude",
        "fatalities",
        "evidence",
        "outlets",
        "link",
    }
    assert incident["event_type"] == "battle" and incident["location"] == "Hajin"
    assert incident["event_date"] == "2025-03-01" and incident["fatalities"] == 3
    assert incident["outlets"] == ["Example Wire"] and "town of Hajin" in incident["evidence"]
    assert incident["link"].startswith("https://portal.intranet/tools/map/?")
    assert f"event={incident['incident_id'].replace(':', '%3A')}" in incident["link"]
    (protest,) = got["protests"][2]["incidents"]
    assert protest["location"] == "al-Busayrah"
    assert sorted(report.webhook) == [
        "webhook: view 'Around Hajin': 1 new incident(s) sent",
        "webhook: view 'Protests': 1 new incident(s) sent",
    ]
    # The same file again adds nothing, so nothing is posted.
    again = ingest_paths(store, [reports], settings=settings)
    assert again.articles_added == 0 and again.webhook == [] and hook.all() == []


def test_links_are_relative_without_a_public_address(tmp_path, hook, reports):
    store, settings = _setup(tmp_path, hook.url)
    ingest_paths(store, [reports], settings=settings)
    body = next(b for _, _, b in hook.all() if b["view"]["slug"] == "protests")
    assert body["view"]["feed"] == "feeds/protests.atom"
    assert body["incidents"][0]["link"].startswith("?type=protest&event=")


def test_a_server_that_fails_twice_then_answers_gets_three_attempts(tmp_path, reports):
    hook = Hook(statuses=[503, 500])
    try:
        settings = Settings(data_dir=tmp_path, webhook_url=hook.url, webhook_timeout=2)
        store = EventStore(settings.db_url)
        watches.save_view(store, "Protests", "type=protest", "bob")
        report = ingest_paths(store, [reports], settings=settings)
        posts = hook.all()
        assert len(posts) == 3 and posts[0][2] == posts[2][2]
        assert report.webhook == ["webhook: view 'Protests': 1 new incident(s) sent"]
    finally:
        hook.close()


def test_backoff_grows_between_attempts():
    hook = Hook(statuses=[503, 503, 503])
    waits: list[float] = []
    try:
        result = notify.post_json(hook.url, {"x": 1}, timeout=2, sleep=waits.append)
    finally:
        hook.close()
    assert not result.ok and result.attempts == 3 and "503" in result.error
    assert len(waits) == 2 and waits == list(notify.BACKOFF)


def test_a_client_error_is_not_retried_and_a_redirect_not_followed(tmp_path):
    target = Hook()
    bouncer = Hook(statuses=[302], location=target.url)
    refuser = Hook(statuses=[400])
    try:
        moved = notify.post_json(bouncer.url, {"x": 1}, timeout=2)
        assert not moved.ok and moved.attempts == 1 and "302" in moved.error and "not followed" in moved.error
        assert target.all() == []  # never sent anywhere the settings do not name
        bad = notify.post_json(refuser.url, {"x": 1}, timeout=2)
        assert not bad.ok and bad.attempts == 1 and len(refuser.all()) == 1
    finally:
        for h in (target, bouncer, refuser):
            h.close()


def test_an_unreachable_address_is_logged_and_the_ingest_still_succeeds(tmp_path, reports, caplog):
    url = f"http://127.0.0.1:{_unused_port()}/hook"
    store, settings = _setup(tmp_path, url)
    with caplog.at_level(logging.WARNING, logger="conflictmap.notify"):
        report = ingest_paths(store, [reports], settings=settings)
    assert report.articles_added == 2 and report.complete and not report.errors
    assert store.counts()["incidents"] >= 2
    assert len(report.webhook) == 2
    first, second = sorted(report.webhook)
    assert "NOT sent after 3 attempt(s)" in first and "no answer" in first
    assert "not sent (the webhook address did not answer for an earlier view)" in second
    assert any("NOT sent" in r.getMessage() for r in caplog.records)


def test_no_webhook_configured_posts_nothing(tmp_path, hook, reports):
    settings = Settings(data_dir=tmp_path)
    store = EventStore(settings.db_url)
    watches.save_view(store, "Protests", "type=protest", "bob")
    report = ingest_paths(store, [reports], settings=settings)
    assert report.articles_added == 2 and report.webhook == [] and hook.all() == []


def test_a_failure_inside_the_alert_never_fails_the_ingest(tmp_path, hook, reports, monkeypatch):
    store, settings = _setup(tmp_path, hook.url)

    def broken(*_args, **_kwargs):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(notify, "notify_views", broken)
    report = ingest_paths(store, [reports], settings=settings)
    assert report.articles_added == 2 and report.webhook == [
        "webhook: not sent: RuntimeError: index exploded"
    ]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONFLICTMAP_WEBHOOK_URL": "ftp://alerts.intranet/hook"}, "CONFLICTMAP_WEBHOOK_URL"),
        ({"CONFLICTMAP_WEBHOOK_URL": "http://alerts intranet/"}, "CONFLICTMAP_WEBHOOK_URL"),
        ({"CONFLICTMAP_WEBHOOK_URL": "https://user:pw@alerts.intranet/"}, "CONFLICTMAP_WEBHOOK_URL"),
        ({"CONFLICTMAP_WEBHOOK_URL": "/relative/hook"}, "CONFLICTMAP_WEBHOOK_URL"),
        ({"CONFLICTMAP_WEBHOOK_TIMEOUT": "soon"}, "CONFLICTMAP_WEBHOOK_TIMEOUT"),
        ({"CONFLICTMAP_WEBHOOK_TIMEOUT": "0"}, "CONFLICTMAP_WEBHOOK_TIMEOUT"),
        ({"CONFLICTMAP_PUBLIC_URL": "https://portal.intranet/map/?x=1"}, "CONFLICTMAP_PUBLIC_URL"),
    ],
)
def test_settings_errors_name_the_variable(env, named):
    with pytest.raises(ValueError, match=named):
        Settings.from_env(env)


def test_settings_read_from_the_environment():
    s = Settings.from_env(
        {
            "CONFLICTMAP_WEBHOOK_URL": "https://alerts.intranet/hook",
            "CONFLICTMAP_WEBHOOK_TIMEOUT": "2.5",
            "CONFLICTMAP_PUBLIC_URL": "https://portal.intranet/tools/map",
        }
    )
    assert (s.webhook_url, s.webhook_timeout, s.public_url) == (
        "https://alerts.intranet/hook",
        2.5,
        "https://portal.intranet/tools/map/",
    )
    off = Settings.from_env({})
    assert (off.webhook_url, off.webhook_timeout, off.public_url) == ("", 5.0, "")
    with pytest.raises(ValueError, match="webhook_url"):
        Settings(webhook_url="gopher://x")
