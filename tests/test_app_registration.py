"""Every app built in one process gets every panel's callbacks, through Dash's public API."""

from __future__ import annotations

from app import create_app
from conflictmap.config import Settings


def test_two_apps_in_one_process_each_have_all_callbacks(tmp_path):
    first = create_app(Settings(data_dir=tmp_path / "a"))
    second = create_app(Settings(data_dir=tmp_path / "b"))
    assert first.callback_map, "the first app has no callbacks"
    assert set(first.callback_map) == set(second.callback_map)
    # the map, the detail, the filter bar and the table are all wired in both
    outputs = " ".join(second.callback_map)
    for wanted in ("map.figure", "detail.children", "url.search", "page-root.className"):
        assert wanted in outputs, (wanted, sorted(second.callback_map))
