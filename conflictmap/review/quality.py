"""What the team's reviews say about the machine: precision per extractor version and event type.

Why judged from the anchors and not from today's rows: a review judges the report the reviewer
saw, made by the extractor version of that day. The anchor (``review_members``) keeps that
reading, so re-extraction later does not rewrite history, and each extractor version is credited
with what people found of its own output.

The rule (issue 9): a machine report of a **confirmed** incident is right; of a **rejected** one
wrong; of a **corrected** one right when the correction left its type, date and place as the
machine read them (actors, fatalities, sub-type, precision fixed: still the right event), wrong
otherwise, and the report says which of the three was changed. Reports an analyst added, and
incidents nobody has judged yet (unreviewed, or only regrouped), are not counted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from conflictmap.models import ORIGIN_EXTRACTED, km_between
from conflictmap.storage.schema import review_members, reviews
from conflictmap.storage.store import EventStore

SAME_PLACE_KM = 1.0  # a corrected point this close to the machine's is the same place
JUDGED = ("confirmed", "corrected", "rejected")


@dataclass
class Tally:
    """Right and wrong machine reports of one group (an extractor version, an event type)."""

    right: int = 0
    wrong: int = 0

    @property
    def reviewed(self) -> int:
        """Reports judged."""
        return self.right + self.wrong

    @property
    def precision(self) -> float | None:
        """Share of judged reports that were right; None when none was judged."""
        return round(self.right / self.reviewed, 3) if self.reviewed else None


@dataclass
class ReviewQuality:
    """Precision of the machine from reviewed incidents, and why the wrong ones were wrong."""

    by_version: dict[str, Tally] = field(default_factory=dict)
    by_type: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    why_wrong: Counter = field(default_factory=Counter)
    incidents: int = 0


def judge(
    status: str, corrections: dict[str, Any], anchor: dict[str, Any], reject_reason: str | None
) -> str | None:
    """None when the machine's report was right, else why it was wrong (see the module docstring)."""
    if status == "confirmed":
        return None
    if status == "rejected":
        return f"rejected: {reject_reason or 'no reason'}"
    changed = []
    if "event_type" in corrections and corrections["event_type"] != anchor.get("event_type"):
        changed.append("type")
    if "event_date" in corrections and corrections["event_date"] != anchor.get("event_date"):
        changed.append("date")
    if _place_changed(corrections, anchor):
        changed.append("place")
    return f"corrected: {', '.join(changed)} changed" if changed else None


def _place_changed(corrections: dict[str, Any], anchor: dict[str, Any]) -> bool:
    if corrections.get("place_id") and anchor.get("place_id"):
        return bool(corrections["place_id"] != anchor["place_id"])
    lat, lon = corrections.get("latitude"), corrections.get("longitude")
    if lat is None or lon is None:
        return False
    if anchor.get("latitude") is None or anchor.get("longitude") is None:
        return True  # the machine had no point, the analyst gave one
    return km_between(lat, lon, anchor["latitude"], anchor["longitude"]) > SAME_PLACE_KM


def review_quality(store: EventStore) -> ReviewQuality:
    """Tally every machine report of every judged incident (see the module docstring)."""
    q = (
        select(reviews, review_members)
        .join(review_members, review_members.c.review_id == reviews.c.review_id)
        .where(reviews.c.merged_into.is_(None), reviews.c.status.in_(JUDGED))
    )
    out = ReviewQuality()
    seen: set[str] = set()
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for row in rows:
        seen.add(row["review_id"])
        if row["origin"] != ORIGIN_EXTRACTED:
            continue
        corrections = json.loads(row["corrections"]) if row["corrections"] else {}
        why = judge(row["status"], corrections, row, row["reject_reason"])
        for tally in (
            out.overall,
            out.by_version.setdefault(row["extractor_version"] or "(none)", Tally()),
            out.by_type.setdefault(row["event_type"] or "(none)", Tally()),
        ):
            if why is None:
                tally.right += 1
            else:
                tally.wrong += 1
        if why is not None:
            out.why_wrong[why] += 1
    out.incidents = len(seen)
    return out
