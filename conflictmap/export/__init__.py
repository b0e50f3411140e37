"""Exports for briefings and other tools: event tables as CSV/GeoJSON (``tables``), map and
briefing images through kaleido (``snapshot``), download names (``naming``) and the limit on
concurrent renders (``slots``). Reads views from ``read``; never touches the store directly."""
