"""Fixtures shared by every test file: the store backends a test runs against.

``store_url`` is a test parameter, not a copy of the tests: a test that takes it runs once on a
SQLite file in ``tmp_path`` and once on a fresh PostgreSQL database made for that test alone
(``CREATE DATABASE`` from ``CONFLICTMAP_TEST_POSTGRES_URL``, dropped afterwards), so tests never
see each other's rows and may run in any order.

``CONFLICTMAP_TEST_POSTGRES_URL`` names a role allowed to create databases, e.g.
``postgresql+psycopg://cmtest:cmtest@127.0.0.1:5432/cmtest`` (``.ci/run`` makes one). Without it
the PostgreSQL cases are skipped on a workstation, with the reason, and *fail* under ``CI=true``:
CI that silently stopped testing PostgreSQL would look exactly like CI that passes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_ENV = "CONFLICTMAP_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")


def postgres_admin_url() -> str:
    """The PostgreSQL URL tests make their databases from; skips (or fails in CI) without one."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    message = (
        f"{POSTGRES_ENV} is not set: PostgreSQL cases need a server and a role that may create "
        "databases, e.g. postgresql+psycopg://cmtest:cmtest@127.0.0.1:5432/cmtest (see .ci/run)"
    )
    if os.environ.get("CI"):
        pytest.fail(message + " -- CI must test PostgreSQL", pytrace=False)
    pytest.skip(message)


@contextmanager
def postgres_database(hint: str = "t") -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (or module); its URL, dropped on exit.

    ``WITH (FORCE)`` (PostgreSQL 13+) ends connections the test's engines still pool, so a
    test that forgot to dispose its store does not leave the database behind."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url())
    name = f"cmtest_{hint[:20].lower()}_{uuid.uuid4().hex[:10]}"
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    except ModuleNotFoundError as exc:  # the driver: `make install-test` installs the postgres extra
        raise RuntimeError(f"{POSTGRES_ENV} is set but {exc.name} is missing: make install-test") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - the message says what to fix, then re-raise
        engine.dispose()
        raise RuntimeError(f"cannot create a test database through {POSTGRES_ENV}: {exc}") from exc
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextmanager
def backend_url(backend: str, folder: Path, hint: str = "t") -> Iterator[str]:
    """The store URL of ``backend``: a SQLite file in ``folder`` or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.sqlite'}"
    else:
        with postgres_database(hint) as url:
            yield url


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> Iterator[str]:
    """A URL for a new, empty store: SQLite in ``tmp_path``, or a PostgreSQL database of its own."""
    with backend_url(request.param, tmp_path, request.node.originalname) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Only the backend's name, for tests that make several stores or a module-wide one."""
    return str(request.param)
