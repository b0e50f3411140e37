"""Short reports written for the review tests (never copied from a corpus), ingested through the
real pipeline into a tmp_path store; other review test files build on ``seeded``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from conflictmap.pipeline import ingest_paths
from conflictmap.storage.store import EventStore

ARTICLES = [
    {
        "id": "rv-a1",
        "url": "https://example.org/rv/a1",
        "source": "Test Wire",
        "title": "Clashes east of the river",
        "publication_date": "2024-08-14",
        "text": "Clashes east of the river\nSDF fighters clashed with pro-regime National Defense Forces "
        "in Diban on Tuesday, a local monitor said. Three fighters were killed in the fighting.",
    },
    {
        "id": "rv-a2",
        "url": "https://example.org/rv/a2",
        "source": "Other Outlet",
        "title": "Fighting in Diban",
        "publication_date": "2024-08-14",
        "text": "Fighting in Diban\nThe SDF and NDF militiamen fought in Diban on Tuesday. At least three fighters died.",
    },
    {
        "id": "rv-a3",
        "url": "https://example.org/rv/a3",
        "source": "Test Wire",
        "title": "Drone strike near Mayadin",
        "publication_date": "2024-08-20",
        "text": "Drone strike near Mayadin\nA drone struck a car in Al-Mayadin on Monday, killing two people, residents said.",
    },
    {
        "id": "rv-a4",
        "url": "https://example.org/rv/a4",
        "source": "Test Wire",
        "title": "Arrests in Al-Busayrah",
        "publication_date": "2024-08-22",
        "text": "Arrests in Al-Busayrah\nSDF forces arrested five men in Al-Busayrah on Wednesday during a security raid.",
    },
]
# A later report of the drone strike, from another outlet: ingested on its own by some tests.
LATE = {
    "id": "rv-a5",
    "url": "https://example.org/rv/a5",
    "source": "Third Outlet",
    "title": "Car hit in Mayadin",
    "publication_date": "2024-08-20",
    "text": "Car hit in Mayadin\nTwo people were killed when a drone hit their car in Al-Mayadin on Monday.",
}


def write_feed(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@dataclass
class Seeded:
    """The store and the incident id of each seeded story."""

    store: EventStore
    feed: Path
    clash: str  # rv-a1 and rv-a2, grouped by the machine
    drone: str  # rv-a3
    arrest: str  # rv-a4

    def incident_of(self, article_id: str) -> str:
        frame = self.store.events_frame()
        (incident,) = set(frame.loc[frame["article_id"] == article_id, "incident_id"])
        return str(incident)


def seeded(tmp_path: Path) -> Seeded:
    store = EventStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES)
    report = ingest_paths(store, [feed])
    assert report.errors == [] and report.articles_added == 4
    s = Seeded(store, feed, "", "", "")
    s.clash, s.drone, s.arrest = (s.incident_of(a) for a in ("rv-a1", "rv-a3", "rv-a4"))
    return s


def test_the_seed_ingests_into_three_incidents_one_of_two_reports(tmp_path):
    s = seeded(tmp_path)
    frame = s.store.events_frame()
    assert len(frame) == 4 and frame["incident_id"].nunique() == 3
    assert s.incident_of("rv-a2") == s.clash
    assert set(frame["event_type"]) == {"battle", "explosion_remote_violence", "strategic_development"}
    assert set(frame["review_status"]) == {"unreviewed"} and set(frame["review_version"]) == {0}
