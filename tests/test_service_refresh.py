"""A new store version is built beside the index in use and swapped in: a small store's change
shows on the next answer; a slow rebuild answers from the previous version after the configured
wait instead of holding every request; a failed rebuild keeps the index in use and is retried."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from conflictmap.config import Settings
from conflictmap.models import Article
from conflictmap.read import columnar as columnar_module
from conflictmap.read.service import DataService
from conflictmap.storage.store import EventStore
from tests.helpers import make_event


def _add(store: EventStore, n: int) -> None:
    """One short report of a clash, with its event, as article ``n``."""
    text = f"Fighters clashed near Hajin on Monday; report {n} says two were killed."
    art = Article(f"a{n}", f"https://river.example/{n}", "River Post", f"Clash {n}", date(2024, 3, 5), text)
    store.add_article(
        art,
        [
            make_event(
                f"e{n}", article_id=art.id, evidence=text, event_date=date(2024, 3, n), location=f"Place {n}"
            )
        ],
        origin="test",
    )


@pytest.fixture
def store_and_settings(tmp_path):
    settings = Settings(data_dir=tmp_path, refresh_wait=0.05)
    store = EventStore(settings.db_url)
    _add(store, 1)
    return store, settings


def test_a_small_change_shows_on_the_next_answer(tmp_path):
    settings = Settings(data_dir=tmp_path)  # the default wait: a small rebuild ends within it
    store = EventStore(settings.db_url)
    _add(store, 1)
    svc = DataService(settings)
    assert len(svc.index()) == 1
    _add(store, 2)
    assert len(svc.index()) == 2
    assert svc.version() == store.version()


def test_a_slow_rebuild_answers_from_the_previous_version_then_swaps(store_and_settings, monkeypatch):
    store, settings = store_and_settings
    svc = DataService(settings)
    first = svc.index()
    old_version = svc.version()
    release = threading.Event()
    real = columnar_module.build_table

    def held(*args, **kwargs):
        release.wait(30)  # the test decides when the rebuild may end
        return real(*args, **kwargs)

    monkeypatch.setattr(columnar_module, "build_table", held)
    _add(store, 2)
    # The request is answered (after the 0.05 s wait) from the index in use, version and all.
    assert svc.index() is first and len(svc.index()) == 1
    assert svc.version() == old_version
    # A view drawn now says which version it is from; the memo keys on it.
    assert svc.view(svc_filter()).counts["incidents"] == 1
    building = svc._building
    assert building is not None  # a rebuild is under way beside the index in use
    release.set()
    assert building.wait(30)
    assert len(svc.index()) == 2 and svc.version() == store.version()
    assert svc.view(svc_filter()).counts["incidents"] == 2


def test_changes_made_during_a_rebuild_are_taken_in_before_it_ends(store_and_settings, monkeypatch):
    store, settings = store_and_settings
    svc = DataService(settings)
    svc.index()
    started, release = threading.Event(), threading.Event()
    real = columnar_module.build_table

    def held(*args, **kwargs):
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(columnar_module, "build_table", held)
    _add(store, 2)
    svc.index()
    building = svc._building
    assert building is not None and started.wait(30)
    _add(store, 3)  # while the first rebuild is held
    release.set()
    assert building.wait(30)
    assert len(svc.index()) == 3 and svc.version() == store.version()


def test_a_failed_rebuild_keeps_the_index_in_use_and_is_retried(store_and_settings, monkeypatch, caplog):
    store, settings = store_and_settings
    svc = DataService(settings)
    first = svc.index()
    real = columnar_module.build_table
    gates = [threading.Event(), threading.Event()]
    calls: list[int] = []

    def broken_once(*args, **kwargs):
        calls.append(1)
        gates[len(calls) - 1].wait(30)  # each rebuild ends when the test says
        if len(calls) == 1:
            raise RuntimeError("disk read failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(columnar_module, "build_table", broken_once)
    _add(store, 2)
    with caplog.at_level("ERROR"):
        assert svc.index() is first
        failing = svc._building
        assert failing is not None
        gates[0].set()
        assert failing.wait(30)
    assert "rebuilding the incident index failed" in caplog.text
    assert svc._index is first  # nothing half-built was swapped in
    # The next request tries again, and that rebuild is taken in.
    assert svc.index() is first
    retry = svc._building
    assert retry is not None and retry is not failing
    gates[1].set()
    assert retry.wait(30)
    assert len(svc.index()) == 2 and len(calls) == 2


def test_the_wait_is_a_setting_read_from_the_environment():
    assert Settings.from_env({"CONFLICTMAP_REFRESH_WAIT": "0.25"}).refresh_wait == 0.25
    with pytest.raises(ValueError, match="CONFLICTMAP_REFRESH_WAIT"):
        Settings.from_env({"CONFLICTMAP_REFRESH_WAIT": "soon"})
    with pytest.raises(ValueError, match="refresh_wait"):
        Settings(refresh_wait=-1)


def svc_filter():
    from conflictmap.read.query import EventFilter

    return EventFilter()


def test_a_request_waits_for_a_rebuild_once_not_at_each_look(store_and_settings, monkeypatch):
    """The wait is counted from the rebuild's start: a request that asks for the index several
    times (the view, then its default date range ...) waits once in all. A wait per call once
    held a filter change three times 1.5 s while a million-incident table was derived."""
    from conflictmap.read import service as service_module

    store, settings = store_and_settings
    svc = DataService(settings)
    first = svc.index()
    clock = [100.0]
    waited: list[float] = []

    class RecordingEvent(threading.Event):
        def wait(self, timeout=None):
            if timeout is not None and timeout < 30:  # a request's wait, not the test's own
                waited.append(timeout)
                clock[0] += timeout  # time passes as the request waits
                return False
            return super().wait(timeout)

    release = threading.Event()
    real = columnar_module.build_table

    def held(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(service_module.threading, "Event", RecordingEvent)
    monkeypatch.setattr(columnar_module, "build_table", held)
    _add(store, 2)
    for _ in range(3):  # three looks at the index within one request
        assert svc.index() is first
    assert waited == [pytest.approx(settings.refresh_wait), 0.0, 0.0]
    release.set()
    assert svc._building is None or svc._building.wait(30)
    assert len(svc.index()) == 2
