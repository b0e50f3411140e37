"""Stage 4, the store: articles, events, incidents and zone versions in SQLite (or any
SQLAlchemy database). Imports only the shared modules."""
