"""Build data/reference_events.jsonl: the dev corpus's gold events as curated facts.

Only facts are carried over (date, type, actors, place, fatalities, outlet, address). The one-line
summary is generated here from those facts by a template, in the project's own words; the
corpus's evidence sentences and notes are third-party writing and are never copied.

usage: python scripts/build_reference_events.py [GOLD.jsonl] [OUTPUT.jsonl]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
DEFAULT_OUT = ROOT / "data" / "reference_events.jsonl"

FACT_FIELDS = (
    "event_date",
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
PRECISION_WORDS = {1: "at", 2: "near", 3: "somewhere in the area of"}


def summary(ev: dict, outlet: str) -> str:
    """A one-line description of the facts, written from the fields alone."""
    kind = (ev.get("sub_event_type") or ev["event_type"]).replace("_", " ")
    actors = [a for a in (ev.get("actor1"), ev.get("actor2")) if a]
    who = " and ".join(actors) if actors else "unnamed parties"
    where = f"{PRECISION_WORDS.get(ev.get('geo_precision') or 3, 'in')} {ev.get('location') or 'an unnamed place'}"
    toll = ""
    if ev.get("fatalities") is not None:
        toll = f"; {ev['fatalities']} reported killed"
    when = ev["event_date"] + ("" if ev.get("date_precision") == "day" else f" (±{ev.get('date_precision')})")
    return (
        f"{kind.capitalize()} involving {who} {where} on {when}{toll}. Coded by hand from a {outlet} report."
    )


def build(gold_path: Path) -> list[dict]:
    out = []
    with gold_path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                art = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{gold_path}:{line_no}: not JSON ({exc})") from exc
            outlet = art.get("source") or "unknown outlet"
            for n, ev in enumerate(art.get("events") or []):
                if ev.get("in_study_area") is False or ev.get("latitude") is None:
                    continue
                key = f"{art['id']}:{n}:{ev.get('incident_id')}"
                row = {k: ev.get(k) for k in FACT_FIELDS}
                row.update(
                    event_id="ref:" + hashlib.sha1(key.encode()).hexdigest()[:16],  # noqa: S324 - an id, not security
                    article_id=f"ref:{art['id']}",
                    incident_id="ref:" + str(ev.get("incident_id") or key),
                    source=outlet,
                    url=art.get("url"),
                    origin="reference",
                    geo_method="coded by hand",
                    confidence=1.0,
                    evidence="",
                    notes=summary(ev, outlet),
                    extractor_version="reference",
                )
                out.append(row)
    out.sort(key=lambda r: (r["event_date"], r["event_id"]))
    return out


def main() -> None:
    gold = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_GOLD
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    if not gold.exists():
        raise SystemExit(f"gold file not found: {gold} (expected the shared corpus beside the project)")
    rows = build(gold)
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} reference events to {dest}")


if __name__ == "__main__":
    main()
