"""The `conflictmap` command as a user runs it: a subprocess, real files, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "tests" / "fixtures" / "feeds"
SEED = ROOT / "data" / "sample_feed" / "rudaw-2024-08-13.jsonl"


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONFLICTMAP_DATA_DIR=str(data_dir), COLUMNS="160")
    return subprocess.run(
        [sys.executable, "-m", "conflictmap.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_extract_finds_the_seed_events_with_evidence(tmp_path):
    out = tmp_path / "events.jsonl"
    res = run("extract", str(SEED), "--output", str(out), data_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    by_key = {(e["event_date"], e["event_type"], e["location"]): e for e in events}
    ndf = next(e for e in events if e["event_date"] == "2024-08-07")
    assert ndf["event_type"] == "battle" and "National Defense Forces" in ndf["evidence"]
    assert {ndf["actor1"], ndf["actor2"]} >= {"NDF (pro-regime militia)", "SDF"}
    sdf = next(e for e in events if e["event_date"] == "2024-08-12")
    assert sdf["fatalities"] == 20 and sdf["date_precision"] == "week"
    assert "Twenty" in sdf["evidence"]
    towns = {e["location"] for e in events if e["sub_event_type"] == "agreement"}
    assert towns == {"Hasaka", "Qamishli"}
    assert len(by_key) == len(events) == 4  # and nothing for the Pentagon's press briefing


def test_extract_all_adds_low_confidence_candidates(tmp_path):
    src = tmp_path / "a.jsonl"
    rows = [
        {
            "id": "sure",
            "publication_date": "2024-08-13",
            "text": "Regime artillery shelled the town of Diban on Monday, killing two civilians.",
        },
        {
            "id": "vague",
            "publication_date": "2024-08-13",
            "text": '"Our fighters clashed with the cells in the Deir ez-Zor countryside," a commander said.',
        },
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kept, every = tmp_path / "kept.jsonl", tmp_path / "all.jsonl"
    assert run("extract", str(src), "--output", str(kept), data_dir=tmp_path).returncode == 0
    assert run("extract", str(src), "--output", str(every), "--all", data_dir=tmp_path).returncode == 0
    kept_ev = [json.loads(x) for x in kept.read_text().splitlines()]
    all_ev = [json.loads(x) for x in every.read_text().splitlines()]
    assert {e["article_id"] for e in kept_ev} == {"sure"}
    assert {e["article_id"] for e in all_ev} == {"sure", "vague"}
    low = [e for e in all_ev if e["article_id"] == "vague"]
    assert low and all(0 <= e["confidence"] < 0.4 for e in low)
    assert all(e["extractor_version"].startswith("rules-") and "+" in e["extractor_version"] for e in all_ev)


def test_evaluate_prints_files_folds_and_calibration(tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": f"g{i}",
            "publication_date": "2024-08-13",
            "text": "Regime artillery shelled the town of Diban on Monday, killing two civilians.",
            "events": [
                {
                    "event_date": "2024-08-12",
                    "date_precision": "day",
                    "event_type": "explosion_remote_violence",
                    "latitude": 35.0,
                    "longitude": 40.5,
                    "location": "Diban",
                }
            ],
        }
        for i in range(5)
    ]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = run("evaluate", str(gold), str(gold), "--folds", "5", "--hide-fold", "0", data_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "per fold" in res.stdout and "fold 4" in res.stdout
    assert "calibration" in res.stdout and "across folds" in res.stdout
    assert "gold.jsonl (5)" in res.stdout
    missing = run("evaluate", str(tmp_path / "nope.jsonl"), data_dir=tmp_path)
    assert missing.returncode == 2 and "cannot read gold file" in missing.stderr


def test_ingest_reports_and_is_idempotent(tmp_path):
    first = run("ingest", str(FEEDS / "rss.xml"), str(FEEDS / "articles.jsonl"), data_dir=tmp_path)
    assert first.returncode == 1, first.stderr  # two lines refused: scripts and cron jobs can tell
    assert "articles added" in first.stdout and "refused" in first.stdout
    assert "articles.jsonl:3" in first.stdout  # the cut-off line is named
    assert "2 item(s) refused (listed above); everything else was stored." in first.stdout
    assert "ingest" in first.stderr  # the progress bar
    again = run("ingest", str(FEEDS / "rss.xml"), data_dir=tmp_path)
    assert again.returncode == 0
    line = next(ln for ln in again.stdout.splitlines() if "articles added" in ln)
    assert [c.strip() for c in line.strip("│ ").split("│")] == ["articles added", "0"]


def test_ingest_of_a_hostile_folder_names_every_refusal_and_exits_1(tmp_path):
    res = run("ingest", str(FEEDS / "hostile"), data_dir=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    out = " ".join(res.stdout.split())  # rich may wrap long lines
    assert "refused: hostile/surrogate.jsonl:2: 'text' holds a lone surrogate" in out
    assert "refused: hostile/deep.jsonl:2: JSON nested too deeply to read; not read" in out
    assert "refused: hostile/one-bad-byte.jsonl:3: not valid UTF-8 (column 73); line not read" in out
    assert "refused: hostile/latin1-report.txt: not valid UTF-8, UTF-16 or a legacy Arabic encoding" in out
    assert (
        "refused: hostile/dates.jsonl:1: publication date 9999-12-30 is outside the accepted 1990-01-01"
        in out
    )
    assert "Traceback" not in res.stderr


def test_ingest_strict_stops_at_the_first_refusal_and_exits_3(tmp_path):
    res = run("ingest", "--strict", str(FEEDS / "articles.jsonl"), str(FEEDS / "rss.xml"), data_dir=tmp_path)
    assert res.returncode == 3, res.stdout + res.stderr
    out = " ".join(res.stdout.split())
    assert "STOPPED: more than 0 item(s) refused (--max-errors 0)" in out
    assert f"Not read: {FEEDS / 'rss.xml'}" in out
    bad = run("ingest", "--max-errors", "-1", str(FEEDS / "rss.xml"), data_dir=tmp_path)
    assert bad.returncode == 2 and "expected a whole number of 0 or more" in bad.stderr


def test_zones_command_refuses_a_bad_file_with_its_name(tmp_path):
    bad = tmp_path / "mine.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}'
    )
    res = run("zones", str(bad), data_dir=tmp_path)
    assert res.returncode == 1
    assert "mine.geojson" in res.stdout
    ok = run("zones", str(ROOT / "data" / "zones.geojson"), data_dir=tmp_path)
    assert ok.returncode == 0 and "SDF" in ok.stdout


def test_reextract_reports_what_changed(tmp_path):
    ingested = run("ingest", str(FEEDS / "articles.jsonl"), data_dir=tmp_path)
    assert "articles added" in ingested.stdout  # (its exit status speaks of the refused lines)
    dry = run("reextract", "--dry-run", data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing written" in dry.stdout and "articles read again" in dry.stdout
    assert "re-extract" in dry.stderr  # the progress bar
    line = next(ln for ln in dry.stdout.splitlines() if "│ added" in ln or ln.strip("│ ").startswith("added"))
    assert line.strip("│ ").split("│")[-1].strip() == "0"  # same rules as at ingest: nothing new
    assert "extractor before: rules-" in dry.stdout


def test_a_setting_that_cannot_be_read_is_named_without_a_traceback(monkeypatch, capsys):
    from conflictmap.cli import main

    monkeypatch.setenv("CONFLICTMAP_FRAME_ANCESTORS", "'self' script-src *")
    assert main(["zones", "data/zones.geojson"]) == 2
    err = capsys.readouterr().err
    assert "CONFLICTMAP_FRAME_ANCESTORS" in err and "Traceback" not in err


def test_prepare_exits_1_when_something_was_refused_and_0_when_whole(tmp_path):
    ok = run("prepare", data_dir=tmp_path / "ok")
    assert ok.returncode == 0 and "store ready" in ok.stdout and "problem:" not in ok.stdout
    broken_zones = tmp_path / "zones.geojson"
    broken_zones.write_text('{"type": "FeatureCollection", "features": [42]}', encoding="utf-8")
    env_run = subprocess.run(
        [sys.executable, "-m", "conflictmap.cli", "prepare"],
        cwd=ROOT,
        env=dict(
            os.environ,
            CONFLICTMAP_DATA_DIR=str(tmp_path / "bad"),
            CONFLICTMAP_ZONES_PATH=str(broken_zones),
            COLUMNS="160",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert env_run.returncode == 1, env_run.stdout + env_run.stderr
    assert "problem:" in env_run.stdout and "zones.geojson" in env_run.stdout
    assert "store ready" in env_run.stdout  # what could be loaded was loaded


def test_serve_hands_over_to_the_app_module_without_importing_it(tmp_path):
    """`conflictmap serve` runs the dashboard (python -m app) while the domain package never
    imports the web layer: after building the parser, no dash or app module is loaded."""
    code = (
        "import sys; from conflictmap import cli; cli.build_parser();"
        "print(sorted(m for m in sys.modules if m == 'app' or m == 'dash' or m.startswith('dash.')))"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "[]", res.stdout + res.stderr
    # and the command does serve: --help of the handed-over module answers
    ok = subprocess.run(
        [sys.executable, "-m", "app", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0 and "--port" in ok.stdout
