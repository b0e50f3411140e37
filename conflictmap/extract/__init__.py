"""Rule-based event extraction from English and Arabic news reports (ACLED-compatible events).

Each article is read by the extractor of its language (``Article.language``, else the majority
script of its text): English by the modules below, Arabic by the ``arabic`` package (its tables
in ``rules/ar/``), which builds the same drafts and so the same events. An article in a language
with no extractor yields no events, and callers can say why (``extractor_for``).

Pipeline per article (each step its own small module): ``sentences`` (spaCy blank English +
sentencizer), ``triggers`` (what happened, with negation/modal/statement filters), ``dates``
(phrases resolved against the publication date), ``actors`` (surface forms -> EVENTS.md names),
``numbers`` (ACLED fatality rules), ``places`` (gazetteer resolution with roles and precision),
``assemble`` (one event per incident and place; follow-ups and lead summaries merged).
All rule tables live in ``rules/`` as CSV/JSON. Deterministic and offline.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from conflictmap.confidence import CONFIDENCE_THRESHOLD
from conflictmap.extract import arabic
from conflictmap.extract.assemble import extract_drafts
from conflictmap.extract.dates import infer_publication_date
from conflictmap.extract.dates import warm_up as _warm_dates
from conflictmap.extract.merge import confidence, event_id, in_study_area
from conflictmap.extract.rules import load_actor_rules, load_lexicon, load_trigger_rules
from conflictmap.extract.sentences import split_sentences
from conflictmap.geo.gazetteer import Gazetteer
from conflictmap.language import EXTRACTOR_LANGUAGES, normalise_language, script_language
from conflictmap.models import Article, Event

log = logging.getLogger(__name__)

RELEASE = "0.2"
_HERE = Path(__file__).resolve().parent


def _code_hash() -> str:
    """sha256 over the extractor's code and rule tables (sorted by name), first 8 hex digits.

    The gazetteer's matching code is included: it decides which names are places, so a change
    there changes the events as surely as a rule does.
    """
    h = hashlib.sha256()
    gazetteer = _HERE.parent / "geo" / "gazetteer.py"
    arabic_files = [*(_HERE / "arabic").glob("*.py"), *(_HERE / "rules" / "ar").glob("*")]
    for path in sorted([*_HERE.glob("*.py"), *(_HERE / "rules").glob("*"), *arabic_files, gazetteer]):
        if path.is_file():
            name = str(path.relative_to(_HERE.parent)) if path in arabic_files else path.name
            h.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:8]


# Changes whenever a rule table or the code changes: stored events say which rules made them.
EXTRACTOR_VERSION = f"rules-{RELEASE}+{_code_hash()}"

# Default confidence threshold. ``confidence`` (merge.confidence) is calibrated on the dev corpus
# (``conflictmap evaluate ... --folds 5`` prints the table); events below the threshold are
# "low confidence" candidates: ``extract_article`` and ``conflictmap extract`` leave them out,
# ``extract_article_all`` and ``conflictmap extract --all`` keep them (their confidence says so).
# The threshold itself lives in conflictmap.confidence, shared with the store's view and the map.


def warm_up() -> None:
    """Load rule tables, the spaCy pipeline and dateparser's data before timing or serving."""
    load_actor_rules()
    load_trigger_rules()
    load_lexicon()
    split_sentences("Warm up. Two sentences.")
    _warm_dates()
    arabic.warm_up()


def extractor_for(article: Article) -> str | None:
    """The language whose extractor reads ``article`` ("en" / "ar"), or None when it is in a
    language no extractor reads. An article whose language was never recorded goes by its
    script (no letters at all: English, as before languages were recorded)."""
    lang = normalise_language(article.language) or script_language(article.text) or "en"
    return lang if lang in EXTRACTOR_LANGUAGES else None


def extract_article(article: Article, gazetteer: Gazetteer) -> list[Event]:
    """Events read from one article at or above the confidence threshold, in text order.
    Never raises on odd text."""
    return extract_article_counted(article, gazetteer)[0]


def extract_article_all(article: Article, gazetteer: Gazetteer) -> list[Event]:
    """Every candidate event of one article, low-confidence ones included."""
    return extract_article_counted(article, gazetteer, threshold=0.0)[0]


def extract_article_counted(
    article: Article, gazetteer: Gazetteer, threshold: float = CONFIDENCE_THRESHOLD
) -> tuple[list[Event], int]:
    """Events of one article and how many events were dropped because no date could be given.

    Dates are never invented. With no publication date (none given, none in the address or the
    page header) a calendar day without a year ("September 6") takes the year of the latest full
    date written in the same text, and the event says so in its notes; a weekday, "yesterday" or
    a day with no year anywhere cannot be placed in time, so that event is dropped and counted
    (EVENTS.md asks to keep weekday-only events at week precision, but that needs some reference
    day; without one any date would be a guess).
    """
    language = extractor_for(article)
    if language is None:
        log.info("%s: no extractor for language %r; no events read", article.id, article.language)
        return [], 0
    published = article.published
    basis = "publication date"
    if published is None:
        published, basis = infer_publication_date(article.url, article.text)
    read = arabic.extract_drafts if language == "ar" else extract_drafts
    drafts, ctx = read(article.text, article.title, published, gazetteer)
    events = []
    for d in drafts:
        spans = sorted(d.spans)
        evidence = " ".join(article.text[s:e] for s, e in spans)
        notes = list(d.notes)
        if not in_study_area(d):
            notes.append(f"outside the study area ({d.place.admin1 or 'unknown governorate'})")
        if article.published is None and published is not None:
            notes.append(f"no publication date given; dates resolved against {published} ({basis})")
        elif article.published is None:
            notes.append(
                f"no publication date given or found; year taken from the latest full date in the text ({ctx.anchor})"
            )
        actors = d.actors + [None, None]
        events.append(
            Event(
                event_id=event_id(article.id, spans, d.event_type, d.place.place_id),
                article_id=article.id,
                event_date=d.day,
                event_type=d.event_type,
                sub_event_type=d.sub_event_type,
                date_precision=d.date_precision,
                actor1=actors[0],
                actor2=actors[1],
                location=d.location,
                place_id=d.place.place_id,
                admin1=d.place.admin1,
                latitude=d.place.latitude,
                longitude=d.place.longitude,
                geo_precision=d.geo_precision,
                geo_method=d.geo_method,
                fatalities=d.fatalities,
                civilian_targeting=d.event_type == "violence_against_civilians",
                evidence=evidence,
                evidence_start=spans[0][0],
                evidence_end=spans[0][1],
                confidence=confidence(d),
                source=article.source,
                url=article.url,
                extractor_version=EXTRACTOR_VERSION,
                notes="; ".join(notes),
            )
        )
    events = [e for e in events if e.confidence >= threshold]
    if ctx.unresolved:
        log.info("%s: unresolved place names: %s", article.id, ", ".join(sorted(set(ctx.unresolved))))
    if ctx.undated:
        log.info("%s: %d event(s) dropped: no date could be resolved (%s)", article.id, ctx.undated, basis)
    return events, ctx.undated


__all__ = [
    "CONFIDENCE_THRESHOLD",
    "EXTRACTOR_VERSION",
    "extract_article",
    "extract_article_all",
    "extract_article_counted",
    "extractor_for",
    "warm_up",
]
