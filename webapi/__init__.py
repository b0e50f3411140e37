"""The HTTP API beside the dashboard: exports and data under ``export/`` and ``api/`` (``routes``)."""
