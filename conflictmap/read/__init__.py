"""The read side: the view a URL asks for (``query.EventFilter``), the in-memory incident index
that answers it fast (``index``), and the service that ties store, zones and index together for
the dashboard and the API (``service``). Reads the store and geo; never writes."""
