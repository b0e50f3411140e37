"""Measure the extractor on gold corpora with the shared scorer: per file, per fold, calibration.

The scoring rules are not re-implemented here: the shared ``score_events.py`` (the file every
developer and CI run has at ``../shared/tools/``) is imported by path, so the figures printed by
``conflictmap evaluate`` are the figures the project is judged by.

Folds: articles are split into ``k`` folds by a stable hash of their id
(``sha256(id) mod k``), so the split never depends on file order and the same article is always
in the same fold. Rules are written reading folds 0-3 of dev+dev2 and judged on fold 4, never
read (``--hide-fold 4`` keeps its articles out of the listing).

Scores are taken on the events a user of ``conflictmap extract`` gets: those at or above the
confidence threshold. The calibration table uses every candidate, so it shows what the
threshold cuts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import statistics
import time
from collections import Counter
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

from conflictmap.config import PROJECT_ROOT
from conflictmap.extract import (
    CONFIDENCE_THRESHOLD,
    EXTRACTOR_VERSION,
    extract_article_all,
    warm_up,
)
from conflictmap.geo.gazetteer import Gazetteer, load_gazetteer
from conflictmap.incidents.dedupe import cluster_incidents
from conflictmap.ingest.readers import article_from_row
from conflictmap.models import Article, Event

log = logging.getLogger(__name__)

DEFAULT_SCORER = PROJECT_ROOT.parent / "shared" / "tools" / "score_events.py"
CALIBRATION_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


class EvaluationError(RuntimeError):
    """The gold file or the scorer cannot be used; the message says which and why."""


def fold_of(article_id: str, k: int) -> int:
    """The fold of an article: sha256 of its id modulo ``k`` (stable across runs and files)."""
    return int(hashlib.sha256(str(article_id).encode("utf-8")).hexdigest(), 16) % k


def load_scorer(path: Path | None = None) -> ModuleType:
    """Import the shared ``score_events.py`` (default ``DEFAULT_SCORER``) from its path.

    Raises ``EvaluationError`` when it is missing, cannot be imported or has no ``score()``: the
    project scores itself with the corpus's own scorer, never a copy of it."""
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


def _read_gold(path: Path) -> list[tuple[dict[str, Any], Article]]:
    """Gold rows and their articles, each row read by the ingest stage's reader (the one way a
    row becomes an Article); a row it refuses stops the evaluation with its file and line."""
    out = []
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
        item = article_from_row(row, f"{path}:{n}")
        if item.article is None:
            raise EvaluationError(item.error or f"{path}:{n}: not read")
        out.append((row, item.article))
    return out


def _dedupe_figures(gold_rows: list[dict], events: list[Event], scorer: ModuleType) -> dict[str, Any]:
    """Pairwise precision/recall of cluster_incidents against gold incident_id.

    Each predicted event takes the incident_id of the gold event it matches strictly; pairs of
    matched events are then "same incident" in gold when their incident_ids agree.
    """
    by_article: dict[str, list[Event]] = {}
    for ev in events:
        by_article.setdefault(ev.article_id, []).append(ev)
    gold_incident: dict[str, str] = {}
    for art in gold_rows:
        golds = art.get("events") or []
        preds = by_article.get(str(art["id"]), [])
        pairs, _ = scorer.match(golds, [e.to_dict() for e in preds], True)
        for gi, pi in pairs:
            if golds[gi].get("incident_id"):
                gold_incident[preds[pi].event_id] = golds[gi]["incident_id"]
    try:
        clusters = cluster_incidents(list(events))
    except Exception as exc:  # a broken de-duplication is an error to see, never "not measured"
        raise EvaluationError(f"de-duplication failed: {type(exc).__name__}: {exc}") from exc
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


def _calibration(gold_rows: list[dict], events: list[Event], scorer: ModuleType) -> list[dict[str, Any]]:
    """Per confidence bin: how many candidates, how many right (strictly matched, or a redundant
    repeat of a matched gold event, which the scorer does not count against precision)."""
    right: dict[str, bool] = {}
    by_article: dict[str, list[Event]] = {}
    for ev in events:
        by_article.setdefault(ev.article_id, []).append(ev)
    for art in gold_rows:
        preds = by_article.get(str(art["id"]), [])
        pairs, redundant = scorer.match(art.get("events") or [], [e.to_dict() for e in preds], True)
        ok = {pi for _, pi in pairs} | set(redundant)
        for pi, ev in enumerate(preds):
            right[ev.event_id + str(pi)] = pi in ok
    table = []
    for lo, hi in zip(CALIBRATION_BINS, CALIBRATION_BINS[1:], strict=False):
        n = k = 0
        for art in gold_rows:
            for pi, ev in enumerate(by_article.get(str(art["id"]), [])):
                if lo <= ev.confidence < hi:
                    n += 1
                    k += right[ev.event_id + str(pi)]
        table.append(
            {
                "bin": f"{lo:.1f}-{min(hi, 1.0):.1f}",
                "count": n,
                "right": k,
                "precision": round(k / n, 3) if n else None,
            }
        )
    return table


def _error_kinds(gold_rows: list[dict], events: list[dict], scorer: ModuleType) -> Counter:
    """What went wrong, by kind: false positives and misses explained by the nearest other event
    (wrong type, wrong place, wrong date, nothing near), and attribute errors on strict matches."""
    kinds: Counter = Counter()
    if not all(hasattr(scorer, f) for f in ("match", "date_ok", "place_ok", "KM_STRICT")):
        return kinds
    km = scorer.KM_STRICT
    by_article: dict[str, list[dict]] = {}
    for ev in events:
        by_article.setdefault(str(ev["article_id"]), []).append(ev)
    for art in gold_rows:
        golds = art.get("events") or []
        preds = by_article.get(str(art["id"]), [])
        pairs, redundant = scorer.match(golds, preds, True)
        mg, mp = {g for g, _ in pairs}, {p for _, p in pairs}
        for gi, pi in pairs:
            g, p = golds[gi], preds[pi]
            if g.get("fatalities") is not None and p.get("fatalities") != g["fatalities"]:
                kinds["match: fatalities differ"] += 1
            if (
                g.get("sub_event_type")
                and str(p.get("sub_event_type")).lower() != g["sub_event_type"].lower()
            ):
                kinds["match: sub-type differs"] += 1
            if g.get("event_date") and g.get("event_date") != p.get("event_date"):
                kinds["match: date not exact"] += 1
            have = scorer.actor_keys(p.get("actor1")) | scorer.actor_keys(p.get("actor2"))
            for side in ("actor1", "actor2"):
                want = scorer.actor_keys(g.get(side))
                if want and not want & have:
                    kinds["match: actor missing"] += 1

        def why(role: str, near: list[tuple[bool, bool, dict]], etype: str | None) -> str:
            if any(d and p and o.get("event_type") != etype for d, p, o in near):
                return f"{role}: right place and date, other type"
            same = [(d, p) for d, p, o in near if o.get("event_type") == etype]
            if any(d and not p for d, p in same):
                return f"{role}: right type and date, wrong place"
            if any(p and not d for d, p in same):
                return f"{role}: right type and place, wrong date"
            return f"{role}: nothing like it" + (" in gold" if role == "false" else "")

        for gi, g in enumerate(golds):
            if gi not in mg and g.get("in_study_area") is not False:
                near = [(scorer.date_ok(g, p)[0], scorer.place_ok(g, p, km)[0], p) for p in preds]
                kinds[why("missed", near, g.get("event_type"))] += 1
        for pi, p in enumerate(preds):
            if pi not in mp and pi not in redundant:
                # date_ok/place_ok take the gold first: compare each gold against this prediction
                near = [(scorer.date_ok(g, p)[0], scorer.place_ok(g, p, km)[0], g) for g in golds]
                kinds[why("false", near, p.get("event_type"))] += 1
    return kinds


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "mean": round(statistics.fmean(values), 3),
        "sd": round(statistics.pstdev(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def evaluate(
    gold_path: Path | str | list,
    scorer_path: Path | None = None,
    gazetteer: Gazetteer | None = None,
    folds: int = 0,
    threshold: float = CONFIDENCE_THRESHOLD,
) -> dict:
    """Run the extractor on the gold articles of one or more files and score it.

    The overall figures sit at the top level (as the scorer returns them); ``files`` holds one
    score per file, ``folds`` one per fold (when ``folds`` > 1) with ``fold_spread`` (mean, sd,
    min, max of the F1s), ``calibration`` the confidence table over every candidate and
    ``error_kinds`` the counted kinds of errors. Speed is articles per second of extraction
    alone: the gazetteer, rule tables and spaCy pipeline are loaded (and warmed) before the
    clock starts.
    """
    paths = [Path(p) for p in (gold_path if isinstance(gold_path, list | tuple) else [gold_path])]
    scorer = load_scorer(scorer_path)
    read = [(p, _read_gold(p)) for p in paths]
    per_file = [(p, [row for row, _ in pairs]) for p, pairs in read]
    gold_rows = [r for _, rows in per_file for r in rows]
    gaz = gazetteer or load_gazetteer()
    articles = [art for _, pairs in read for _, art in pairs]
    warm_up()  # model, rule and dateparser loading excluded from the speed figure
    start, start_cpu = time.perf_counter(), time.process_time()
    candidates: list[Event] = []
    for art in articles:
        candidates.extend(extract_article_all(art, gaz))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    events = [e for e in candidates if e.confidence >= threshold]
    pred_rows = [e.to_dict() for e in events]
    result = scorer.score(gold_rows, pred_rows)
    result["files"] = []
    for path, rows in per_file:
        ids = {str(r["id"]) for r in rows}
        s = scorer.score(rows, [p for p in pred_rows if str(p["article_id"]) in ids])
        result["files"].append({"path": str(path), "articles": len(rows)} | _headline(s))
    if folds and folds > 1:
        result["folds"] = []
        for k in range(folds):
            rows = [r for r in gold_rows if fold_of(r["id"], folds) == k]
            ids = {str(r["id"]) for r in rows}
            s = scorer.score(rows, [p for p in pred_rows if str(p["article_id"]) in ids])
            result["folds"].append({"fold": k, "articles": len(rows)} | _headline(s))
            for row in result.get("by_article", []):
                if str(row["article"]) in ids:
                    row["fold"] = k
        result["fold_spread"] = {
            key: _spread([f["strict"][key] for f in result["folds"] if f["articles"]])
            for key in ("f1", "precision", "recall")
        }
    result["threshold"] = threshold
    result["candidates"] = len(candidates)
    result["calibration"] = _calibration(gold_rows, candidates, scorer)
    result["error_kinds"] = dict(_error_kinds(gold_rows, pred_rows, scorer).most_common())
    result["speed"] = {
        "articles": len(articles),
        "seconds": round(elapsed, 4),
        "articles_per_second": round(len(articles) / elapsed, 1) if elapsed > 0 else None,
        "articles_per_cpu_second": round(len(articles) / cpu, 1) if cpu > 0 else None,
        "chars_per_article": round(sum(len(a.text) for a in articles) / max(1, len(articles))),
    }
    result["dedupe"] = _dedupe_figures(gold_rows, events, scorer)
    result["extractor_version"] = EXTRACTOR_VERSION
    result["gold_path"] = ", ".join(str(p) for p in paths)
    return result


def _headline(s: dict) -> dict:
    keys = ("gold_events", "predicted_events", "strict", "loose", "on_strict_matches")
    return {k: s.get(k, {}) for k in keys}


def format_report(result: dict, hide_folds: tuple[int, ...] = ()) -> str:
    """The evaluation as plain text: per-article table (rows of ``hide_folds`` left out), per
    file, per fold with spread, overall, calibration, error kinds, de-duplication, speed."""
    lines = [f"extractor {result.get('extractor_version', '?')} on {result.get('gold_path', '?')}"]
    for row in result.get("by_article", []):
        if row.get("fold") in hide_folds:
            continue
        fold = f"  fold {row['fold']}" if "fold" in row else ""
        lines.append(
            f"  {row['article']:>24}  gold {row['gold']:>2}  pred {row['pred']:>2}  "
            f"tp {row['tp']:>2}  fp {row['fp']:>2}  fn {row['fn']:>2}{fold}"
        )
    if hide_folds:
        lines.append(f"  (articles of fold(s) {', '.join(map(str, hide_folds))} not listed)")

    def line(label: str, s: dict) -> str:
        st = s["strict"]
        return (
            f"  {label:<28} strict F1 {st['f1']:.3f}  P {st['precision']:.3f}  R {st['recall']:.3f}  "
            f"(tp {st['tp']} fp {st['fp']} fn {st['fn']})  loose F1 {s['loose']['f1']:.3f}"
        )

    if result.get("files"):
        lines.append("per file:")
        for f in result["files"]:
            lines.append(line(f"{Path(f['path']).name} ({f['articles']})", f))
    if result.get("folds"):
        lines.append("per fold (sha256(article id) mod k):")
        for f in result["folds"]:
            lines.append(line(f"fold {f['fold']} ({f['articles']} articles)", f))
        sp = result["fold_spread"]
        for key in ("f1", "precision", "recall"):
            if sp.get(key):
                v = sp[key]
                lines.append(
                    f"  strict {key:<9} across folds: mean {v['mean']:.3f}  sd {v['sd']:.3f}  "
                    f"min {v['min']:.3f}  max {v['max']:.3f}"
                )
    s, lo, m = result["strict"], result["loose"], result["on_strict_matches"]
    lines.append(
        f"articles {result['articles']}  gold events {result['gold_events']}  "
        f"predicted {result['predicted_events']} (confidence >= {result.get('threshold', 0):.2f}; "
        f"{result.get('candidates', result['predicted_events'])} candidates in all)"
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
    if result.get("calibration"):
        lines.append("calibration (every candidate; right = strict match or a redundant repeat):")
        lines.append("  confidence  count  right  precision")
        for b in result["calibration"]:
            prec = f"{b['precision']:.3f}" if b["precision"] is not None else "  -  "
            lines.append(f"  {b['bin']:<10} {b['count']:>6} {b['right']:>6}  {prec}")
    if result.get("error_kinds"):
        lines.append("error kinds (at the threshold):")
        for kind, n in result["error_kinds"].items():
            lines.append(f"  {n:>4}  {kind}")
    sp = result.get("speed") or {}
    if sp:
        lines.append(
            f"speed: {sp['articles_per_second']} articles/s "
            f"({sp.get('articles_per_cpu_second')} per CPU second) "
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
