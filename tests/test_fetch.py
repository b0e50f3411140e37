"""fetch_url: http(s) only, no private addresses on any hop, size cap, deadline; never the internet.

Two kinds of test. Most inject the network boundary (``resolver`` and ``opener``), so redirects
to the metadata service or a slow body can be played without a socket. A few serve a real
``http.server`` on 127.0.0.1 to exercise the default opener end to end; loopback is only reachable
there because the test passes ``allow_private=True`` (the default refuses it, tested too).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conflictmap.ingest.fetch import FetchError, fetch_url, is_blocked_address

PUBLIC = "93.184.216.34"  # a globally routable address; nothing ever connects to it here


def resolver_for(table: dict[str, list[str]]):
    def resolve(host: str, port: int, *args, **kwargs):
        try:  # like getaddrinfo, an address literal resolves to itself
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (str(ipaddress.ip_address(host)), port))]
        except ValueError:
            pass
        if host not in table:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port)) for addr in table[host]]

    return resolve


class FakeResponse:
    def __init__(
        self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None, stall=False
    ):
        self.status = status
        self._body = body
        self._headers = {k.lower(): v for k, v in (headers or {}).items()}
        self._stall = stall
        self.closed = False

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get(name.lower(), default)

    def read(self, amt: int | None = None) -> bytes:
        if self._stall:
            raise TimeoutError("timed out")
        chunk, self._body = self._body[: amt or len(self._body)], self._body[amt or len(self._body) :]
        return chunk

    def close(self) -> None:
        self.closed = True


class FakeOpener:
    """Plays canned responses per URL and records (url, ip) of every connection."""

    def __init__(self, routes: dict[str, FakeResponse]):
        self.routes = routes
        self.calls: list[tuple[str, str]] = []

    def __call__(self, url: str, ip: str, timeout: float) -> FakeResponse:
        self.calls.append((url, ip))
        return self.routes[url]


def never_open(url: str, ip: str, timeout: float):
    raise AssertionError(f"must not connect to {url} ({ip})")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/feed",
        "http://127.0.0.1:8050/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://192.168.1.10/",
        "http://100.64.0.1/",
    ],
)
def test_refuses_private_loopback_link_local_literals(url: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        fetch_url(url, opener=never_open)


def test_refuses_names_that_resolve_to_private_addresses() -> None:
    resolve = resolver_for({"intranet.example": ["10.1.2.3"], "mixed.example": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(FetchError, match=r"'intranet.example' resolves to 10.1.2.3"):
        fetch_url("https://intranet.example/rss", resolver=resolve, opener=never_open)
    with pytest.raises(FetchError, match="127.0.0.1"):  # any private address of a name is enough
        fetch_url("https://mixed.example/rss", resolver=resolve, opener=never_open)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://news.example/f.xml", "javascript:alert(1)", "news.xml"]
)
def test_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch_url(url, opener=never_open)


def test_follows_public_redirects_and_connects_to_the_vetted_address() -> None:
    resolve = resolver_for({"news.example": [PUBLIC], "cdn.example": ["93.184.216.35"]})
    opener = FakeOpener(
        {
            "http://news.example/feed": FakeResponse(
                301, headers={"Location": "https://cdn.example/feed.xml"}
            ),
            "https://cdn.example/feed.xml": FakeResponse(302, headers={"Location": "/v2/feed.xml"}),
            "https://cdn.example/v2/feed.xml": FakeResponse(200, b"<rss/>"),
        }
    )
    assert fetch_url("http://news.example/feed", resolver=resolve, opener=opener) == b"<rss/>"
    assert opener.calls == [
        ("http://news.example/feed", PUBLIC),
        ("https://cdn.example/feed.xml", "93.184.216.35"),
        ("https://cdn.example/v2/feed.xml", "93.184.216.35"),
    ]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/admin",
        "http://10.0.0.1/",
        "file:///etc/passwd",
    ],
)
def test_refuses_redirects_to_private_targets(target: str) -> None:
    resolve = resolver_for({"news.example": [PUBLIC]})
    opener = FakeOpener({"https://news.example/feed": FakeResponse(302, headers={"Location": target})})
    with pytest.raises(FetchError, match="refused|only http and https"):
        fetch_url("https://news.example/feed", resolver=resolve, opener=opener)
    assert len(opener.calls) == 1  # the private target was never contacted


def test_too_many_redirects() -> None:
    resolve = resolver_for({"loop.example": [PUBLIC]})
    routes = {
        f"http://loop.example/{i}": FakeResponse(302, headers={"Location": f"/{i + 1}"}) for i in range(10)
    }
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_url("http://loop.example/0", resolver=resolve, opener=FakeOpener(routes))


def test_size_cap_from_header_and_while_streaming() -> None:
    resolve = resolver_for({"big.example": [PUBLIC]})
    declared = FakeResponse(200, b"x" * 10, headers={"Content-Length": "9000000"})
    with pytest.raises(FetchError, match="more than the cap"):
        fetch_url(
            "http://big.example/a", resolver=resolve, opener=FakeOpener({"http://big.example/a": declared})
        )
    undeclared = FakeResponse(200, b"x" * 300_000)
    with pytest.raises(FetchError, match="larger than the cap of 100,000"):
        fetch_url(
            "http://big.example/b",
            max_bytes=100_000,
            resolver=resolve,
            opener=FakeOpener({"http://big.example/b": undeclared}),
        )
    assert undeclared.closed


def test_stalled_read_times_out_and_http_errors_are_named() -> None:
    resolve = resolver_for({"slow.example": [PUBLIC]})
    opener = FakeOpener(
        {
            "http://slow.example/": FakeResponse(200, stall=True),
            "http://slow.example/gone": FakeResponse(404),
        }
    )
    with pytest.raises(FetchError, match="timed out"):
        fetch_url("http://slow.example/", resolver=resolve, opener=opener)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_url("http://slow.example/gone", resolver=resolve, opener=opener)
    with pytest.raises(FetchError, match="cannot resolve"):
        fetch_url("http://unknown.example/", resolver=resolve, opener=opener)


def test_blocked_address_table() -> None:
    assert is_blocked_address("169.254.169.254")
    assert is_blocked_address("fe80::1%eth0")
    assert is_blocked_address("224.0.0.1")  # multicast
    assert not is_blocked_address("1.1.1.1")


# ---------------------------------------------------------------- a real server on 127.0.0.1


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/feed":
            body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/feed")
            self.end_headers()
        elif self.path == "/slow":
            self.send_response(200)
            self.end_headers()
            for _ in range(30):  # a body that drips slower than any deadline here
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.1)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_real_server_end_to_end_only_with_allow_private(local_server: int) -> None:
    resolve = resolver_for({"feeds.test": ["127.0.0.1"]})
    url = f"http://feeds.test:{local_server}/hop"
    body = fetch_url(url, resolver=resolve, allow_private=True, timeout=5)
    assert body.startswith(b"<?xml") and b"<rss" in body
    with pytest.raises(FetchError, match="refused"):
        fetch_url(url, resolver=resolve, timeout=5)  # the default refuses loopback


def test_real_server_deadline_covers_a_dripping_body(local_server: int) -> None:
    """The body arrives every 0.1 s for 3 s: no single read waits 0.5 s, so only a deadline on
    the whole fetch can end it with "timed out"; a per-read timeout would return the body."""
    with pytest.raises(FetchError, match="timed out"):
        fetch_url(f"http://127.0.0.1:{local_server}/slow", allow_private=True, timeout=0.5)
