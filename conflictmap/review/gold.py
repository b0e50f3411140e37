"""Turn the team's reviews into a gold corpus the shared scorer reads (the dev-corpus format).

Why only fully reviewed articles: a gold article must list every event it tells, or the scorer
counts the machine's other events as false positives. So an article is written when every
incident that has a report in it has been judged (confirmed, corrected or rejected); the others
are counted as left out.

Each judged incident gives one gold event per article it has reports in (the effective fields,
corrections applied, with that article's evidence sentences and the incident id, so the
de-duplication figures can use it too). A rejected incident gives none, except one rejected as
``out_of_area``: a real event outside the study area, written with ``in_study_area: false`` as the
corpus does (optional for the scorer). Events added by hand from an article are gold events of
that article; those with no article have nowhere to go and are counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from conflictmap.storage.schema import articles
from conflictmap.storage.store import EventStore

JUDGED = frozenset({"confirmed", "corrected", "rejected"})


@dataclass
class GoldExport:
    """What ``export_gold`` wrote and what it left out, for the CLI's closing lines."""

    articles: int = 0
    events: int = 0
    articles_left_out: int = 0  # some incident with a report in them is not judged yet
    events_without_article: int = 0


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def gold_rows(store: EventStore) -> tuple[list[dict[str, Any]], GoldExport]:
    """The gold articles (dicts in the dev-corpus shape) and the export's counts."""
    frame = store.events_frame()
    counts = GoldExport()
    if frame.empty:
        return [], counts
    no_article = frame["article_id"].isna() | (frame["article_id"] == "")
    counts.events_without_article = int(frame.loc[no_article, "incident_id"].nunique())
    frame = frame[~no_article]
    judged = frame.groupby("article_id")["review_status"].agg(lambda s: set(s) <= JUDGED)
    keep = sorted(judged.index[judged])
    counts.articles_left_out = int((~judged).sum())
    with store.engine.connect() as conn:
        stored = {
            r["id"]: dict(r) for r in conn.execute(select(articles).where(articles.c.id.in_(keep))).mappings()
        }
    out = []
    for article_id in keep:
        art = stored.get(article_id)
        if art is None:  # reference facts name articles that are not stored
            continue
        rows = frame[frame["article_id"] == article_id].sort_values(["incident_id", "evidence_start"])
        gold_events = []
        for incident_id, reports in rows.groupby("incident_id", sort=True):
            head = reports.iloc[0]
            status, reason = head["review_status"], head["reject_reason"]
            if status == "rejected" and reason != "out_of_area":
                continue
            gold_events.append(
                {
                    "incident_id": str(incident_id),
                    "event_date": pd.Timestamp(head["event_date"]).date().isoformat(),
                    **{
                        k: _value(head[k])
                        for k in (
                            "date_precision",
                            "event_type",
                            "sub_event_type",
                            "actor1",
                            "actor2",
                            "location",
                            "admin1",
                            "latitude",
                            "longitude",
                            "geo_precision",
                            "fatalities",
                            "civilian_targeting",
                        )
                    },
                    "in_study_area": status != "rejected",
                    "evidence": [str(e) for e in reports["evidence"] if isinstance(e, str) and e],
                    "note": f"{status} by {head['reviewed_by']} at {head['reviewed_at']}"
                    + (f" ({reason})" if reason else ""),
                }
            )
        counts.articles += 1
        counts.events += len(gold_events)
        out.append(
            {
                "id": article_id,
                "url": art["url"],
                "source": art["source"],
                "title": art["title"],
                "publication_date": art["published"].isoformat() if art["published"] else None,
                "date_basis": "stored article",
                "text": art["text"],
                "language": art["language"],
                "events": gold_events,
                "statements": [],
                "notes": "exported from analysts' reviews (conflictmap export-gold)",
            }
        )
    return out, counts


def export_gold(store: EventStore, path: Path) -> GoldExport:
    """Write the gold corpus of the reviews to ``path`` (JSON Lines, one article a line)."""
    rows, counts = gold_rows(store)
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return counts
