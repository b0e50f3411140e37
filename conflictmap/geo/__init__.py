"""Places and ground: the gazetteer (names to points), the control zones through time, and the
basemap layers. Imports only the shared modules; the extractor and the read side use it."""
