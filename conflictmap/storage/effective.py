"""The reports as the dashboard should see them: the machine's rows with people's decisions on top.

Why corrections are laid over the rows when read instead of written into them: the machine's
reading stays what it was (re-extraction compares against it, the detail panel can show
"machine said X, analyst said Y", and the quality figures judge it), and a correction survives
any rewrite of the row. The review reaches its incident through its reports (``review_members``),
never through an incident id, because incident ids change when reports are regrouped; every report
of that incident (a later source that joined it included) gets the review's status and fields.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import select

from conflictmap.storage.schema import review_members, reviews

UNREVIEWED = "unreviewed"
REVIEW_COLUMNS = (
    "review_status",
    "review_version",
    "reviewed_by",
    "reviewed_at",
    "review_id",
    "reject_reason",
)
# Fields a correction may set, and so the ones laid over the rows here.
CORRECTABLE = (
    "event_type",
    "sub_event_type",
    "event_date",
    "date_precision",
    "place_id",
    "location",
    "admin1",
    "latitude",
    "longitude",
    "geo_precision",
    "geo_method",
    "actor1",
    "actor2",
    "fatalities",
    "civilian_targeting",
)


def open_reviews(conn: Any) -> pd.DataFrame:
    """Every review still in force (not merged into another), one row each."""
    return pd.read_sql(select(reviews).where(reviews.c.merged_into.is_(None)), conn)


def review_of_incident(frame: pd.DataFrame, conn: Any) -> pd.Series:
    """incident_id -> review_id for every incident holding a member of a review in force.

    Should regrouping ever put reports of two reviews in one incident (it does not: they are
    never linked), the review decided last wins, so the newest decision is what shows."""
    members = pd.read_sql(select(review_members.c.event_id, review_members.c.review_id), conn)
    live = open_reviews(conn)[["review_id", "updated_at"]]
    if members.empty or live.empty or frame.empty:
        return pd.Series(dtype=object)
    pairs = (
        frame[["event_id", "incident_id"]]
        .merge(members, on="event_id")
        .merge(live, on="review_id")
        .sort_values(["incident_id", "updated_at", "review_id"])
    )
    return pairs.drop_duplicates("incident_id", keep="last").set_index("incident_id")["review_id"]


def apply_reviews(frame: pd.DataFrame, conn: Any) -> pd.DataFrame:
    """Add the review columns (``REVIEW_COLUMNS``) and lay each review's corrections over the
    rows of its incident. Unreviewed incidents get status "unreviewed" and version 0."""
    out = frame.copy()
    out["review_status"] = UNREVIEWED
    out["review_version"] = 0
    out["reviewed_by"] = None
    out["reviewed_at"] = None
    out["review_id"] = None
    out["reject_reason"] = None
    if out.empty:
        return out
    by_incident = review_of_incident(out, conn)
    if by_incident.empty:
        return out
    live = open_reviews(conn).set_index("review_id")
    rid = out["incident_id"].map(by_incident)
    has = rid.notna()
    out.loc[has, "review_id"] = rid[has]
    out.loc[has, "review_status"] = rid[has].map(live["status"])
    out.loc[has, "review_version"] = rid[has].map(live["version"]).astype(int)
    out.loc[has, "reviewed_by"] = rid[has].map(live["updated_by"])
    out.loc[has, "reviewed_at"] = rid[has].map(live["updated_at"])
    out.loc[has, "reject_reason"] = rid[has].map(live["reject_reason"])
    corrections = {
        review_id: json.loads(text)
        for review_id, text in live["corrections"].items()
        if isinstance(text, str) and text not in ("", "{}")
    }
    for field in CORRECTABLE:
        values = {r: c[field] for r, c in corrections.items() if field in c}
        if not values:
            continue
        hit = has & rid.isin(list(values))
        new = rid[hit].map(values)
        if field == "event_date":
            new = pd.to_datetime(new)
        if field in out.columns and out[field].dtype != object and new.isna().any():
            out[field] = out[field].astype(object)  # a correction to "not stated" (None)
        out.loc[hit, field] = new
    return out
