"""Fetch one URL's bytes with the limits a server that reads user-supplied addresses needs.

Why not ``urllib.request.urlopen`` or feedparser's/trafilatura's own fetching: they follow
redirects without asking, have no size cap, and (trafilatura) fall back to unverified TLS. A
feed URL typed into the app must not become a way to read the cloud metadata service
(169.254.169.254), a database on the loopback interface or an intranet host (SSRF). So:

* only ``http``/``https``;
* every hop (the first URL and each redirect, handled here, at most 5) is resolved once, ALL its
  addresses are checked, and the connection goes to the checked address (no second DNS lookup
  that a rebinding server could answer differently);
* a size cap while streaming and one deadline for the whole fetch.

Tests never touch the network: ``resolver`` and ``opener`` are the network boundary and can be
injected. ``allow_private=True`` exists for the few tests that serve a real ``http.server`` on
127.0.0.1 and for an intranet deployment that deliberately reads feeds from private hosts; it is
never the default.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
USER_AGENT = "conflictmap/0.1 (+offline conflict map; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml, text/html;q=0.9, */*;q=0.5"
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A URL could not be fetched safely; the message names the URL and the reason."""


class Response(Protocol):
    """What an opener returns: the subset of ``http.client.HTTPResponse`` used here."""

    status: int

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """A response header's value, or ``default``."""

    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` bytes of the body (all of it when None); b"" at the end. The fetcher reads
        ``_CHUNK`` at a time (``read1`` when the response has it) to enforce its size cap and deadline."""

    def close(self) -> None:
        """Release the connection."""


Opener = Callable[[str, str, float], Response]  # (url, vetted ip, seconds left) -> response
Resolver = Callable[..., list[tuple[Any, ...]]]


def is_blocked_address(addr: str) -> bool:
    """True for addresses a fetch must not reach: anything not globally routable, or multicast.

    ``is_global`` is False for private, loopback, link-local, shared (CGN), documentation,
    unspecified and reserved ranges. IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged by its
    IPv4 part, which older Pythons do not do themselves.
    """
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return is_blocked_address(str(inner))
    return (not ip.is_global) or ip.is_multicast or ip.is_reserved


def _split(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{url!r}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{url!r}: only http and https URLs can be fetched, not {scheme or 'no scheme'!r}")
    host = parts.hostname
    if not host:
        raise FetchError(f"{url!r}: no host name")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _vet_host(url: str, host: str, port: int, resolver: Resolver, allow_private: bool) -> str:
    """Resolve ``host`` once and return an address to connect to, refusing private ones."""
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{url}: cannot resolve host {host!r} ({exc})") from exc
    addrs = [str(info[4][0]) for info in infos]
    if not addrs:
        raise FetchError(f"{url}: host {host!r} has no address")
    if not allow_private:
        for addr in addrs:
            try:
                blocked = is_blocked_address(addr)
            except ValueError:
                blocked = True
            if blocked:
                raise FetchError(
                    f"{url}: refused: host {host!r} resolves to {addr}, a private, loopback, "
                    "link-local or reserved address"
                )
    return addrs[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address while sending the real host name."""

    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        """Connect to the address vetted before, not a fresh DNS answer that could point somewhere private."""
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the vetted address, with the certificate checked against the host name."""

    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        """Connect to the vetted address, then TLS with the real host name (SNI and certificate check)."""
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def open_pinned(url: str, ip: str, timeout: float) -> Response:
    """The default opener: one GET over a fresh connection to ``ip``, no redirects followed."""
    scheme, host, port = _split(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, ip, timeout)
    conn.request(
        "GET",
        path,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": "identity",
            "Connection": "close",
        },
    )
    # HTTPResponse.getheader is overloaded (default: _T); mypy cannot match that to the Protocol
    return conn.getresponse()  # type: ignore[return-value]


def _read_capped(resp: Response, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url}: response is {int(length):,} bytes, more than the cap of {max_bytes:,}")
    # read1 returns what has arrived (read would block for a full chunk), so a body that drips in
    # slowly still meets the deadline check between reads; each read itself is bounded by the
    # socket timeout the opener set, so the worst case is about twice ``timeout``
    read = getattr(resp, "read1", None) or resp.read
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: timed out after {timeout:g} s")
        chunk = read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"{url}: response is larger than the cap of {max_bytes:,} bytes")
        chunks.append(chunk)


def fetch_url(
    url: str,
    *,
    timeout: float = 15.0,
    max_bytes: int = 5_000_000,
    resolver: Resolver = socket.getaddrinfo,
    opener: Opener | None = None,
    allow_private: bool = False,
) -> bytes:
    """Return the body of ``url``, or raise ``FetchError`` saying why not.

    ``timeout`` bounds the whole fetch (all hops, connect and body), not just each socket read;
    one blocked read can overrun it by at most the time that was left, so the worst case is ~2x.
    """
    open_ = opener or open_pinned
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        _scheme, host, port = _split(current)
        ip = _vet_host(current, host, port, resolver, allow_private)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"{url}: timed out after {timeout:g} s")
        try:
            resp = open_(current, ip, left)
        except TimeoutError as exc:  # socket.timeout is TimeoutError since 3.10
            raise FetchError(f"{current}: timed out after {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{current}: cannot connect to {host} ({exc})") from exc
        try:
            status = resp.status
            if status in REDIRECT_STATUSES:
                location = resp.getheader("Location")
                if not location:
                    raise FetchError(f"{current}: HTTP {status} redirect without a Location")
                nxt = urljoin(current, location.strip())
                log.info("fetch %s: HTTP %s -> %s", current, status, nxt)
                current = nxt
                continue
            if not 200 <= status < 300:
                raise FetchError(f"{current}: HTTP {status}")
            return _read_capped(resp, current, max_bytes, deadline, timeout)
        except TimeoutError as exc:
            raise FetchError(f"{current}: timed out after {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{current}: connection failed while reading ({exc})") from exc
        finally:
            resp.close()
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
