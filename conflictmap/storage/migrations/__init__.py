"""Alembic migrations of the store, run by ``conflictmap.storage.migrate`` (never the alembic CLI).

Shipped inside the package so an installed ``conflictmap`` (not only a checkout) can upgrade a
store. ``env.py`` only runs inside Alembic; importing this package does nothing.
"""
