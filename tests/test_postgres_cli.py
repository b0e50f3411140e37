"""The command line against a PostgreSQL store (the README's "Shared deployment" steps), run as
a user would: ``conflictmap prepare`` and ``conflictmap ingest`` with ``CONFLICTMAP_DATABASE_URL``.

Skipped without ``CONFLICTMAP_TEST_POSTGRES_URL`` on a workstation, failed without it in CI
(tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from conflictmap.storage.store import EventStore
from tests.conftest import postgres_database

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CONFLICTMAP_DATABASE_URL=url, CONFLICTMAP_DATA_DIR=str(data_dir), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "conflictmap.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_prepare_then_ingest_on_postgresql_never_prints_the_password(tmp_path):
    with postgres_database("cli") as url:
        password = make_url(url).password
        assert password  # the test role logs in with one
        ready = cli("prepare", url=url, data_dir=tmp_path / "a")
        assert ready.returncode == 0, ready.stdout + ready.stderr
        assert "store ready: postgresql+psycopg://" in ready.stdout and ":***@" in ready.stdout
        again = cli("prepare", url=url, data_dir=tmp_path / "b")  # a second app server's start
        assert again.returncode == 0, again.stdout + again.stderr
        feed = tmp_path / "feed.jsonl"
        feed.write_text(
            json.dumps(
                {
                    "id": "cli-1",
                    "url": "https://example.org/cli/1",
                    "source": "Test Wire",
                    "title": "Clash in Diban",
                    "publication_date": "2024-08-14",
                    "text": "Clash in Diban\nSDF fighters clashed with National Defense Forces in Diban on "
                    "Tuesday. Two fighters were killed.",
                }
            )
            + "\n",
            encoding="utf-8",
        )
        ingested = cli("ingest", str(feed), url=url, data_dir=tmp_path / "a")
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        for run in (ready, again, ingested):
            assert f":{password}@" not in run.stdout + run.stderr
        store = EventStore(url)
        assert store.counts()["articles"] == 2 and store.article("cli-1") is not None
        store.engine.dispose()
        store.writer.dispose()
