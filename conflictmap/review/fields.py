"""Check and normalise the fields a reviewer sets, against the project's vocabulary.

Why here and not in the dashboard: the same checks must hold for every way a decision arrives
(a panel, the API, a script), and a refused value must name its field so the panel can show the
message next to the control. Places are resolved once, here: a reviewer picks a gazetteer entry
(its point, governorate and precision follow) or gives a point; never a point made up from a name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from conflictmap.models import DATE_PRECISIONS, EVENT_TYPES, GEO_PRECISIONS, SUB_EVENT_TYPES, Place
from conflictmap.review.errors import InvalidValue

# EVENTS.md's actor list; anything else is written "Other: <name>".
ACTORS: tuple[str, ...] = (
    "SDF",
    "Asayish",
    "Syrian regime forces",
    "NDF (pro-regime militia)",
    "Pro-regime tribal fighters",
    "Arab tribal fighters",
    "Deir ez-Zor Military Council",
    "Iran-backed militias",
    "ISIS",
    "US forces",
    "US-led coalition",
    "Russia",
    "Israel",
    "Turkey",
    "Civilians",
    "Unidentified armed group",
    "Unidentified drone",
    "Unidentified aircraft",
)
REJECT_REASONS: tuple[str, ...] = (
    "not_an_event",
    "duplicate",
    "out_of_area",
    "wrong_place",
    "wrong_date",
    "other",
)
# What a correction may name. A place is given as place_id (or latitude+longitude); location,
# admin1, geo_precision may come with it.
CORRECTION_FIELDS = frozenset(
    {
        "event_type",
        "sub_event_type",
        "event_date",
        "date_precision",
        "place_id",
        "latitude",
        "longitude",
        "location",
        "admin1",
        "geo_precision",
        "actor1",
        "actor2",
        "fatalities",
        "civilian_targeting",
    }
)
PLACE_FIELDS = frozenset({"place_id", "latitude", "longitude", "location", "admin1", "geo_precision"})


class PlaceLookup(Protocol):
    """What the checks need of a gazetteer: a place by id (``geo.gazetteer.Gazetteer`` is one)."""

    def get(self, place_id: str) -> Place | None: ...


def check_type(event_type: Any, sub_event_type: Any) -> tuple[str, str]:
    """An event type of ACLED's six and a sub-type of that type."""
    if event_type not in EVENT_TYPES:
        raise InvalidValue("event_type", event_type, f"is not one of {', '.join(EVENT_TYPES)}")
    allowed = SUB_EVENT_TYPES[event_type]
    if sub_event_type not in allowed:
        raise InvalidValue(
            "sub_event_type", sub_event_type, f"is not a sub-type of {event_type} ({', '.join(allowed)})"
        )
    return str(event_type), str(sub_event_type)


def check_date(value: Any) -> str:
    """An ISO date (``date`` or "YYYY-MM-DD"), returned as the ISO string."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidValue("event_date", value, "is not a date (YYYY-MM-DD)") from None


def check_precision(value: Any) -> str:
    """One of day / week / month."""
    if value not in DATE_PRECISIONS:
        raise InvalidValue("date_precision", value, f"is not one of {', '.join(DATE_PRECISIONS)}")
    return str(value)


def check_actor(field: str, value: Any) -> str | None:
    """An actor of the vocabulary, "Other: <name>", or None (none named)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text in ACTORS:
        return text
    if text.lower().startswith("other:") and text[6:].strip():
        return "Other: " + text[6:].strip()
    raise InvalidValue(field, value, "is not an actor of the vocabulary; write 'Other: <name>' for another")


def check_fatalities(value: Any) -> int | None:
    """A whole number of 0 or more, or None (not stated)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    ):
        raise InvalidValue("fatalities", value, "is not a whole number of 0 or more")
    n = int(value)
    if n < 0:
        raise InvalidValue("fatalities", value, "is below 0")
    return n


def check_bool(field: str, value: Any) -> bool:
    """True or False (also "true"/"false"), nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(field, value, "is not true or false")


def check_geo_precision(value: Any) -> int:
    """1 (a town), 2 (near / an area), 3 (only the governorate)."""
    if isinstance(value, bool) or value not in GEO_PRECISIONS:
        raise InvalidValue("geo_precision", value, "is not 1, 2 or 3")
    return int(value)


def check_place(given: Mapping[str, Any], places: PlaceLookup | None) -> dict[str, Any]:
    """The place fields of a decision, completed: a gazetteer entry gives its point, name and
    governorate; an explicit point must be a finite latitude/longitude pair."""
    precision = check_geo_precision(given["geo_precision"]) if given.get("geo_precision") is not None else 1
    place_id = given.get("place_id")
    if place_id:
        place = places.get(str(place_id)) if places is not None else None
        if place is None:
            raise InvalidValue("place_id", place_id, "is not in the gazetteer")
        return {
            "place_id": place.place_id,
            "location": given.get("location") or place.name,
            "admin1": given.get("admin1") or place.admin1,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "geo_precision": precision,
            "geo_method": f"set by analyst: {place.name}",
        }
    lat, lon = given.get("latitude"), given.get("longitude")
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        raise InvalidValue(missing, None, "is missing: give a place_id, or both latitude and longitude")
    for field, value, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidValue(field, value, "is not a number")
        if abs(value) > limit:
            raise InvalidValue(field, value, f"is outside -{limit:g}..{limit:g}")
    return {
        "place_id": None,
        "location": given.get("location"),
        "admin1": given.get("admin1"),
        "latitude": float(lat),
        "longitude": float(lon),
        "geo_precision": precision,
        "geo_method": "set by analyst: point",
    }


def check_correction(
    changes: Mapping[str, Any], current: Mapping[str, Any], places: PlaceLookup | None
) -> dict[str, Any]:
    """The fields a correction sets, checked and completed (a place brings its point; a type
    change must leave a sub-type of the new type). ``current`` is the incident as shown now."""
    if not changes:
        raise InvalidValue("changes", dict(changes), "is empty: name at least one field to correct")
    unknown = sorted(set(changes) - CORRECTION_FIELDS)
    if unknown:
        raise InvalidValue(
            unknown[0],
            changes[unknown[0]],
            f"is not a field a correction may set ({', '.join(sorted(CORRECTION_FIELDS))})",
        )
    out: dict[str, Any] = {}
    if "event_type" in changes or "sub_event_type" in changes:
        etype = changes.get("event_type", current.get("event_type"))
        sub = changes.get("sub_event_type", current.get("sub_event_type"))
        out["event_type"], out["sub_event_type"] = check_type(etype, sub)
    if "event_date" in changes:
        out["event_date"] = check_date(changes["event_date"])
    if "date_precision" in changes:
        out["date_precision"] = check_precision(changes["date_precision"])
    if PLACE_FIELDS & set(changes):
        if {"place_id", "latitude", "longitude"} & set(changes):
            out |= check_place(changes, places)
        else:  # only the name, governorate or precision of the place as it stands
            if "geo_precision" in changes:
                out["geo_precision"] = check_geo_precision(changes["geo_precision"])
            for field in ("location", "admin1"):
                if field in changes:
                    out[field] = str(changes[field]).strip() or None
    for field in ("actor1", "actor2"):
        if field in changes:
            out[field] = check_actor(field, changes[field])
    if "fatalities" in changes:
        out["fatalities"] = check_fatalities(changes["fatalities"])
    if "civilian_targeting" in changes:
        out["civilian_targeting"] = check_bool("civilian_targeting", changes["civilian_targeting"])
    return out


def check_reject_reason(reason: Any, note: str) -> str:
    """One of ``REJECT_REASONS``; "other" needs a note saying what."""
    if reason not in REJECT_REASONS:
        raise InvalidValue("reason", reason, f"is not one of {', '.join(REJECT_REASONS)}")
    if reason == "other" and not note.strip():
        raise InvalidValue("note", note, "is empty: a rejection for reason 'other' says why in the note")
    return str(reason)


def check_new_event(fields: Mapping[str, Any], places: PlaceLookup | None) -> dict[str, Any]:
    """The fields of an event added by hand: type, sub-type, date and a place are required."""
    for required in ("event_type", "sub_event_type", "event_date"):
        if fields.get(required) in (None, ""):
            raise InvalidValue(required, fields.get(required), "is missing: an added event needs it")
    unknown = sorted(set(fields) - CORRECTION_FIELDS)
    if unknown:
        raise InvalidValue(
            unknown[0],
            fields[unknown[0]],
            f"is not a field of an event ({', '.join(sorted(CORRECTION_FIELDS))})",
        )
    out: dict[str, Any] = {}
    out["event_type"], out["sub_event_type"] = check_type(fields["event_type"], fields["sub_event_type"])
    out["event_date"] = check_date(fields["event_date"])
    out["date_precision"] = check_precision(fields.get("date_precision", "day"))
    out |= check_place(fields, places)
    out["actor1"] = check_actor("actor1", fields.get("actor1"))
    out["actor2"] = check_actor("actor2", fields.get("actor2"))
    out["fatalities"] = check_fatalities(fields.get("fatalities"))
    out["civilian_targeting"] = check_bool("civilian_targeting", fields.get("civilian_targeting", False))
    return out
