"""The detail panel shows every source of a merged incident, each with its own evidence."""

from dataclasses import replace
from datetime import date

from components import detail_panel
from components.service_access import serving
from conflictmap.config import Settings
from conflictmap.models import Article
from conflictmap.storage.store import EventStore
from tests.helpers import make_event, split_zones


def _texts(node) -> str:
    """All text under a Dash component tree, as a reader would see it."""
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(_texts(n) for n in node)
    return _texts(getattr(node, "children", None))


def test_merged_incident_lists_all_sources(tmp_path):
    settings = Settings(data_dir=tmp_path)
    store = EventStore(settings.db_url)
    one = "Gunmen stormed a checkpoint in Dhiban on Monday, killing two guards."
    two = "Two guards died when attackers hit a Dhiban checkpoint on Monday night."
    for art_id, outlet, text in (("a1", "Valley News", one), ("a2", "River Post", two)):
        store.add_article(
            Article(
                art_id,
                f"https://{outlet.split()[0].lower()}.example/{art_id}",
                outlet,
                f"{outlet} report",
                date(2024, 3, 5),
                text,
            ),
            [
                make_event(
                    f"e-{art_id}",
                    article_id=art_id,
                    source=outlet,
                    evidence=text,
                    evidence_start=0,
                    evidence_end=len(text),
                    fatalities=2,
                )
            ],
        )
    store.set_incidents(
        {
            "e-a1": ("inc:e-a1", "same day, 0.0 km apart, same type battle"),
            "e-a2": ("inc:e-a1", "same day, 0.0 km apart, same type battle"),
        }
    )
    store.replace_zones(
        [replace(z, extra={"sources": [f"Test Wire on {z.zone_id}"]}) for z in split_zones()], "test"
    )
    with serving(settings):
        body = detail_panel.render_incident("inc:e-a1", "")
    text = _texts(body)
    assert "2 sources" in text
    assert "Valley News" in text and "River Post" in text
    assert one in text and two in text
    assert "Merged because: same day" in text
    # Who held the place that day, and the source the zone rests on.
    assert "Held by that day" in text
    assert "Source: Test Wire on" in text
