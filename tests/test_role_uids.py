"""Map traces get uids by role (figures.role_uid): unique within a figure, the same for a role
whatever else the figure holds, and never one inside another (the browser tests and the
benchmark find a trace's MapLibre layers with ``layer.id.includes(uid)``)."""

from __future__ import annotations

import pathlib

from components.views import render_map
from conflictmap.config import Settings

SEARCHES = [
    "",
    "?layers=zones,events,density,labels,arabic,sites,rivers,borders",
    "?asof=2019-06-01",
    "?asof=2024-12-04",  # contested zones
    "?asof=2024-12-20",
    "?cand=1",
]


def test_role_uids_are_unique_and_none_is_inside_another(tmp_path: pathlib.Path):
    from app import create_app

    app = create_app(Settings(data_dir=tmp_path))
    with app.server.test_request_context():
        for search in SEARCHES:
            uids = [t["uid"] for t in render_map(search)["data"]]
            assert len(set(uids)) == len(uids), (search, uids)
            inside = [(a, b) for a in uids for b in uids if a != b and a in b]
            assert not inside, (search, inside)
