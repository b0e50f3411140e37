"""Measure the extractor on a gold corpus with the shared scorer, plus de-duplication and speed.

The scoring rules are not re-implemented here: the shared ``score_events.py`` (the file every
developer and CI run has at ``../shared/tools/``) is imported by path, so the figures printed by
``conflictmap evaluate`` are the figures the project is judged by.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from datetime import date
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

from conflictmap.config import PROJECT_ROOT
from conflictmap.extract import EXTRACTOR_VERSION, extract_article, warm_up
from conflictmap.gazetteer import Gazetteer, load_gazetteer
from conflictmap.models import Article, Event

log = logging.getLogger(__name__)

DEFAULT_SCORER = PROJECT_ROOT.parent / "shared" / "tools" / "score_events.py"


class EvaluationError(RuntimeError):
    """The gold file or the scorer cannot be used; the message says which and why."""


def load_scorer(path: Path | None = None) -> ModuleType:
    path = Path(path) if path else DEFAULT_SCORER
    if not path.is_file():
        raise EvaluationError(
            f"scorer not found: {path} (expected the shared score_events.py; pass --scorer PATH)"
        )
    spec = importlib.util.spec_from_file_location("score_events", path)
    if spec is None or spec.loader is None:
        raise EvaluationError(f"scorer cannot be imported: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "score"):
        raise EvaluationError(f"scorer {path} has no score() function")
    return module


def _read_gold(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvaluationError(f"cannot read gold file {path}: {exc.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or "id" not in row or "text" not in row:
            raise EvaluationError(f"{path}:{n}: an article needs 'id' and 'text'")
        rows.append(row)
    return rows


def _article(row: dict[str, Any]) -> Article:
    pub = row.get("publication_date")
    return Article(
        id=str(row["id"]),
        url=row.get("url"),
        source=row.get("source"),
        title=row.get("title"),
        published=date.fromisoformat(pub[:10]) if pub else None,
        text=row["text"],
    )


def _dedupe_figures(gold_rows: list[dict], events: list[Event], scorer: ModuleType) -> dict[str, Any]:
    """Pairwise precision/recall of cluster_incidents against gold incident_id.

    Each predicted event takes the incident_id of the gold event it matches strictly; pairs of
    matched events are then "same incident" in gold when their incident_ids agree.
    """
    try:
        from conflictmap.dedupe import cluster_incidents  # written by another module owner
    except ImportError as exc:
        return {
            "available": False,
            "note": f"de-duplication not measured: conflictmap.dedupe missing ({exc})",
        }
    by_article: dict[str, list[Event]] = {}
    for ev in events:
        by_article.setdefault(ev.article_id, []).append(ev)
    gold_incident: dict[str, str] = {}
    for art in gold_rows:
        golds = art.get("events") or []
        preds = by_article.get(str(art["id"]), [])
        pairs, _ = scorer.match(golds, [_score_row(e) for e in preds], True)
        for gi, pi in pairs:
            if golds[gi].get("incident_id"):
                gold_incident[preds[pi].event_id] = golds[gi]["incident_id"]
    try:
        clusters = cluster_incidents(list(events))
    except Exception as exc:  # report, do not hide the extraction figures
        return {"available": False, "note": f"cluster_incidents failed: {type(exc).__name__}: {exc}"}
    ids = sorted(gold_incident)
    tp = fp = fn = 0
    for a, b in combinations(ids, 2):
        same_gold = gold_incident[a] == gold_incident[b]
        same_pred = a in clusters and b in clusters and clusters[a][0] == clusters[b][0]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "available": True,
        "events_with_gold_incident": len(ids),
        "pairs": {"tp": tp, "fp": fp, "fn": fn},
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "clusters": len({v[0] for v in clusters.values()}),
    }


def _score_row(ev: Event) -> dict[str, Any]:
    return ev.to_dict()


def evaluate(gold_path: Path, scorer_path: Path | None = None, gazetteer: Gazetteer | None = None) -> dict:
    """Run the extractor on the gold articles and score it (see module docstring).

    Speed is articles per second of extraction alone: the gazetteer, rule tables and spaCy
    pipeline are loaded (and warmed on one article) before the clock starts.
    """
    scorer = load_scorer(scorer_path)
    gold_rows = _read_gold(Path(gold_path))
    gaz = gazetteer or load_gazetteer()
    articles = [_article(r) for r in gold_rows]
    warm_up()  # model, rule and dateparser loading excluded from the speed figure
    start = time.perf_counter()
    events: list[Event] = []
    for art in articles:
        events.extend(extract_article(art, gaz))
    elapsed = time.perf_counter() - start
    result = scorer.score(gold_rows, [_score_row(e) for e in events])
    result["speed"] = {
        "articles": len(articles),
        "seconds": round(elapsed, 4),
        "articles_per_second": round(len(articles) / elapsed, 1) if elapsed > 0 else None,
        "chars_per_article": round(sum(len(a.text) for a in articles) / max(1, len(articles))),
    }
    result["dedupe"] = _dedupe_figures(gold_rows, events, scorer)
    result["extractor_version"] = EXTRACTOR_VERSION
    result["gold_path"] = str(gold_path)
    return result


def format_report(result: dict) -> str:
    """The evaluation as plain text, one figure a line, per-article table first."""
    lines = [f"extractor {result.get('extractor_version', '?')} on {result.get('gold_path', '?')}"]
    for row in result.get("by_article", []):
        lines.append(
            f"  {row['article']:>24}  gold {row['gold']:>2}  pred {row['pred']:>2}  "
            f"tp {row['tp']:>2}  fp {row['fp']:>2}  fn {row['fn']:>2}"
        )
    s, lo, m = result["strict"], result["loose"], result["on_strict_matches"]
    lines.append(
        f"articles {result['articles']}  gold events {result['gold_events']}  "
        f"predicted {result['predicted_events']}"
    )
    lines.append(
        f"strict: P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
        f"(tp {s['tp']} fp {s['fp']} fn {s['fn']} redundant {s['redundant']})"
    )
    lines.append(f"loose:  P {lo['precision']:.3f}  R {lo['recall']:.3f}  F1 {lo['f1']:.3f}")
    lines.append(
        f"on strict matches: date exact {m['date_exact']}  median km {m['median_km']}  "
        f"actors {m['actors_agree']}  fatalities {m['fatalities_exact']}  "
        f"sub-type {m['sub_event_type_exact']}"
    )
    sp = result.get("speed") or {}
    if sp:
        lines.append(
            f"speed: {sp['articles_per_second']} articles/s "
            f"({sp['articles']} articles, ~{sp['chars_per_article']} chars each, model load excluded)"
        )
    dd = result.get("dedupe") or {}
    if dd.get("available"):
        lines.append(
            f"de-duplication (pairs vs gold incident_id): P {dd['precision']:.3f}  R {dd['recall']:.3f}  "
            f"F1 {dd['f1']:.3f}  over {dd['events_with_gold_incident']} matched events"
        )
    elif dd:
        lines.append(dd.get("note", "de-duplication not measured"))
    return "\n".join(lines)
