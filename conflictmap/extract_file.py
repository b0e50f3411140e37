"""``conflictmap extract``: articles JSON Lines in, events JSON Lines out, no database.

A conductor: each line is read by the ingest stage's reader (the same one ``conflictmap ingest``
and ``conflictmap evaluate`` use, so markup is stripped and a line is judged the same way
everywhere) and handed to the extractor. A bad line is reported as ``file:line: reason`` and
skipped; one bad article never stops the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conflictmap.confidence import CONFIDENCE_THRESHOLD
from conflictmap.extract import extract_article_counted
from conflictmap.geo.gazetteer import Gazetteer, load_gazetteer
from conflictmap.ingest.readers import parse_jsonl_line

log = logging.getLogger(__name__)


def extract_jsonl(
    input_path: Path,
    output_path: Path,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[int, int], None] | None = None,
    include_candidates: bool = False,
) -> dict:
    """The ``conflictmap extract`` contract (EVENTS.md): articles JSONL in, events JSONL out.

    A malformed line is reported as ``file:line: reason`` in ``errors`` and skipped.
    Returns counts: articles, events, skipped, errors, by_type, and ``undated`` (events dropped
    because no date could be resolved, e.g. a weekday in an article with no publication date)
    with ``undated_articles`` (their article ids). Events below ``CONFIDENCE_THRESHOLD`` are
    written only with ``include_candidates`` (``--all``); ``candidates`` counts them.
    """
    threshold = 0.0 if include_candidates else CONFIDENCE_THRESHOLD
    gaz = gazetteer or load_gazetteer()
    input_path, output_path = Path(input_path), Path(output_path)
    lines = input_path.read_text(encoding="utf-8").splitlines()
    total = len(lines)
    counts: dict[str, Any] = {
        "articles": 0,
        "events": 0,
        "skipped": 0,
        "errors": [],
        "by_type": {},
        "undated": 0,
        "undated_articles": [],
        "threshold": CONFIDENCE_THRESHOLD,
        "candidates": 0,
    }
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        for n, line in enumerate(lines, 1):
            if line.strip():
                item = parse_jsonl_line(line, f"{input_path}:{n}")
                article = item.article
                if article is None:
                    msg = item.error or f"{input_path}:{n}: not read"
                    log.warning("skipped %s", msg)
                    counts["errors"].append(msg)
                    counts["skipped"] += 1
                else:
                    try:
                        events, undated = extract_article_counted(article, gaz, threshold)
                    except Exception as exc:  # one bad article never stops the rest
                        msg = f"{input_path}:{n}: extraction failed ({type(exc).__name__}: {exc})"
                        log.exception("skipped %s", msg)
                        counts["errors"].append(msg)
                        counts["skipped"] += 1
                        events = []
                    else:
                        counts["articles"] += 1
                        if undated:
                            counts["undated"] += undated
                            counts["undated_articles"].append(article.id)
                    for ev in events:
                        out.write(json.dumps(ev.to_dict(), ensure_ascii=False) + "\n")
                        counts["events"] += 1
                        counts["candidates"] += ev.confidence < CONFIDENCE_THRESHOLD
                        counts["by_type"][ev.event_type] = counts["by_type"].get(ev.event_type, 0) + 1
            if progress:
                progress(n, total)
    return counts
