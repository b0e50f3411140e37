"""Stage 3, reports to incidents: de-duplication across articles and origins (``dedupe``).
Works on ``Event`` values only, so it runs the same on a fresh extraction and on the store."""
