"""Who is asking, and may they write: the one place the dashboard decides who may review.

Call at the top of every write callback (a review action), before anything is written::

    from components.identity import Refused, check_origin, require_reviewer

    try:
        check_origin()  # the click came from a page of this app, not from another site
        who = require_reviewer()  # a reviewer, or Refused (403) with a message to show
    except Refused as exc:
        return str(exc)  # "bob may not review: ... Reviewing needs ..."
    reviews.confirm(incident_id, who=who.name, expected_version=v)

A ``Refused`` that is not caught answers the callback's request with a plain-text 403 (it is a
werkzeug ``Forbidden``), so forgetting the ``except`` fails closed. Read-only code calls
``current_identity()`` and ``identity_line()`` for the page header; ``GET <prefix>api/whoami``
(``webapi/routes.py``) returns the same as JSON.

Why it decides this way:

* **Identity comes from the signing-in reverse proxy**, as Grafana's and Superset's proxy auth
  do: the app keeps no passwords, and the intranet's single sign-on stays the one place people
  are managed. The header (``CONFLICTMAP_AUTH_USER_HEADER``) is believed only when the request's
  peer address is a configured proxy (``CONFLICTMAP_AUTH_PROXIES``): any browser can send
  ``X-Forwarded-User: alice``, only the proxy can send it from the proxy's address. The proxy
  must set the header itself, overwriting whatever the browser sent. A request from anywhere
  else, or without the header, is an anonymous viewer.
* **Roles come from the settings** (``CONFLICTMAP_REVIEWERS``, ``CONFLICTMAP_REVIEWER_GROUPS``
  matched against the proxy's groups header), exactly as spelt: the names land in the audit
  trail, so ``Alice`` and ``alice`` are not quietly the same person.
* **With no identity configured, the single analyst on a laptop reviews**: a browser on the
  machine the app runs on (peer 127.0.0.1 or ::1), named after the account the app runs as.
  That request must also address the app as ``localhost``/a loopback address and carry no
  forwarding headers: behind a reverse proxy on the same machine every request arrives from
  127.0.0.1, and a web page that rebinds its own host name to 127.0.0.1 (DNS rebinding) reaches
  the app with its own ``Host``; neither is the analyst at the keyboard. Anyone who can open a
  connection from the machine itself (an SSH tunnel included) counts as that analyst, so a
  shared machine needs the proxy identity.
* **Writes must come from the app's own pages** (``check_origin``): a page on another site could
  otherwise make a signed-in reviewer's browser post a decision. The browser's ``Origin`` (or,
  without it, the ``Referer``'s scheme, host and port) must equal the app's own. Origins carry
  no path, so under ``CONFLICTMAP_URL_PREFIX`` the comparison is of scheme, host and port only,
  and other tools served from the same host and port count as the same site (the browser's own
  boundary). Behind a proxy, the browser's scheme and host are the proxy's: they are read from
  ``X-Forwarded-Proto``/``X-Forwarded-Host`` only when the peer is a trusted proxy.
* **Refusals are logged** (warning: who, address, path), so an admin can see who tried.
"""

from __future__ import annotations

import getpass
import ipaddress
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import flask
from werkzeug.exceptions import Forbidden

from components.service_access import settings
from conflictmap.config import Settings

log = logging.getLogger(__name__)

REVIEWER = "reviewer"
VIEWER = "viewer"
# How the identity was decided (``Identity.source``).
PROXY = "proxy"  # named by the trusted proxy's header
LOCAL = "local"  # a browser on this machine, no identity configured
ANONYMOUS = "anonymous"  # nobody identified
LOCAL_FALLBACK_NAME = "local"
# Headers a proxy adds: a request carrying one came through a proxy, not from a local browser.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP")
MAX_NAME_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Identity:
    """Who is asking and what they may do, with the reasons in words a page can show.

    Attributes:
        name: the person as the audit trail records them ("" when nobody is identified).
        role: ``"reviewer"`` or ``"viewer"``.
        source: how it was decided: ``"proxy"`` (the trusted proxy's header), ``"local"`` (a
            browser on the app's machine, no identity configured) or ``"anonymous"``.
        why: the reason for the role, one sentence without a final full stop.
        needs: for a viewer, what reviewing would need (completes "reviewing needs ...").
        groups: the groups the proxy sent (empty without a groups header).
        address: the request's peer address (the proxy's, behind one).
    """

    name: str
    role: str
    source: str
    why: str
    needs: str = ""
    groups: tuple[str, ...] = ()
    address: str = ""

    @property
    def can_review(self) -> bool:
        """Whether this person may record review decisions."""
        return self.role == REVIEWER

    @property
    def shown_name(self) -> str:
        """The name for messages: the user name, or "an anonymous visitor"."""
        return self.name or "an anonymous visitor"

    def as_json(self) -> dict[str, Any]:
        """What ``api/whoami`` answers (the address is left out: the caller knows its own)."""
        return {
            "name": self.name or None,
            "role": self.role,
            "can_review": self.can_review,
            "source": self.source,
            "why": self.why,
            "needs": self.needs or None,
            "groups": list(self.groups),
            "line": identity_line(self),
        }


class Refused(Forbidden):
    """A write this request may not make (403). ``str(exc)`` is the message for the page.

    A werkzeug ``Forbidden``, so one left uncaught in a callback or route answers a plain-text
    403 instead of a 500, and nothing is written."""

    status = 403

    def __init__(self, message: str, identity: Identity | None = None) -> None:
        super().__init__(description=message)
        self.message = message
        self.identity = identity

    def __str__(self) -> str:
        return self.message

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        """The message as plain text (it quotes request values: never markup)."""
        return self.message + "\n"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        """Plain text, like the app's other refusals."""
        return [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]


# ---- who is asking ------------------------------------------------------------------------------


def current_identity() -> Identity:
    """The identity of the current Flask request, decided as the module docstring says."""
    s = settings()
    request = flask.request
    peer = _address(request.remote_addr)
    shown_peer = request.remote_addr or "an unknown address"
    if not s.auth_user_header:
        return _without_configured_identity(peer, shown_peer)
    header = s.auth_user_header
    through_proxy = (
        f"opening the dashboard through the sign-in proxy (an administrator lists the proxy's "
        f"address in CONFLICTMAP_AUTH_PROXIES and has it send the user name in {header})"
    )
    if not _trusted(peer, s):
        if request.headers.get(header) is not None:
            log.info("ignored the %s header from %s: not a trusted proxy", header, shown_peer)
        return Identity(
            "",
            VIEWER,
            ANONYMOUS,
            f"the request came from {shown_peer}, not from the sign-in proxy "
            f"(CONFLICTMAP_AUTH_PROXIES), so a {header} header is not believed",
            through_proxy,
            address=shown_peer,
        )
    name = _header_value(request.headers.get(header))
    if not name:
        return Identity(
            "",
            VIEWER,
            ANONYMOUS,
            f"the sign-in proxy sent no usable {header} header (not signed in?)",
            f"signing in through the proxy, which must send the user name in {header}",
            address=shown_peer,
        )
    groups = _groups(request.headers.get(s.auth_groups_header)) if s.auth_groups_header else ()
    return _role(s, name, groups, shown_peer)


def _role(s: Settings, name: str, groups: tuple[str, ...], peer: str) -> Identity:
    named = f"named by the {s.auth_user_header} header of the sign-in proxy at {peer}"
    if name in s.reviewers:
        return Identity(name, REVIEWER, PROXY, f"{named}; listed in CONFLICTMAP_REVIEWERS", "", groups, peer)
    if member := next((g for g in groups if g in s.reviewer_groups), None):
        why = f"{named}; a member of {member!r}, listed in CONFLICTMAP_REVIEWER_GROUPS"
        return Identity(name, REVIEWER, PROXY, why, "", groups, peer)
    needs = f"an administrator to add {name!r} to CONFLICTMAP_REVIEWERS"
    if s.auth_groups_header:
        needs += " or one of their groups to CONFLICTMAP_REVIEWER_GROUPS"
    why = f"{named}; not listed in CONFLICTMAP_REVIEWERS" + (
        " nor a member of a group in CONFLICTMAP_REVIEWER_GROUPS" if s.auth_groups_header else ""
    )
    return Identity(name, VIEWER, PROXY, why, needs, groups, peer)


def _without_configured_identity(peer: _Address | None, shown_peer: str) -> Identity:
    needs = (
        "a browser on the machine the app runs on, or sign-in through a proxy (an administrator "
        "sets CONFLICTMAP_AUTH_USER_HEADER, CONFLICTMAP_AUTH_PROXIES and CONFLICTMAP_REVIEWERS)"
    )
    only_local = "no sign-in is configured (CONFLICTMAP_AUTH_USER_HEADER), so only a browser on the app's own machine reviews"
    if peer is None or not peer.is_loopback:
        return Identity(
            "",
            VIEWER,
            ANONYMOUS,
            f"{only_local}, and this request came from {shown_peer}",
            needs,
            address=shown_peer,
        )
    request = flask.request
    if forwarded := [h for h in FORWARDING_HEADERS if h in request.headers]:
        why = f"{only_local}, and this request came through a proxy ({forwarded[0]} header)"
        return Identity("", VIEWER, ANONYMOUS, why, needs, address=shown_peer)
    if not _loopback_host(request.host):
        why = f"{only_local}, and this request addressed the app as {request.host[:100]!r}, not as localhost"
        return Identity("", VIEWER, ANONYMOUS, why, needs, address=shown_peer)
    why = "a browser on the machine the app runs on, and no sign-in is configured (CONFLICTMAP_AUTH_USER_HEADER)"
    return Identity(local_user(), REVIEWER, LOCAL, why, address=shown_peer)


def require_reviewer() -> Identity:
    """The current request's identity if it may review; otherwise ``Refused`` (403), logged.

    The message says who the person is, why they cannot review and what would let them."""
    identity = current_identity()
    if identity.can_review:
        return identity
    log.warning(
        "refused a review by %s (%s) from %s on %r: %s",
        identity.name or "anonymous",
        identity.role,
        identity.address,
        flask.request.path[:200],
        identity.why,
    )
    who = identity.name or "An anonymous visitor"
    raise Refused(f"{who} may not review: {identity.why}. Reviewing needs {identity.needs}.", identity)


def identity_line(identity: Identity) -> str:
    """One line for the page header: who is signed in and whether they may review."""
    if identity.can_review:
        if identity.source == LOCAL:
            return f"Reviewing as {identity.name} (this machine; no sign-in configured)"
        return f"Signed in as {identity.name} ({identity.role})"
    if identity.name:
        return f"Signed in as {identity.name}, viewing only: reviewing needs {identity.needs}"
    return f"Viewing only: reviewing needs {identity.needs}"


@lru_cache(maxsize=1)
def local_user() -> str:
    """The name the local analyst's decisions are recorded under: the account the app runs as,
    or "local" when the system cannot say (a container without a passwd entry)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # getpwuid fails for an unnamed uid
        return LOCAL_FALLBACK_NAME
    return _header_value(name) or LOCAL_FALLBACK_NAME


# ---- may this write come from here --------------------------------------------------------------


def own_origin() -> str:
    """The app's origin as the browser sees it: ``scheme://host[:port]`` of this request, or of
    the proxy's ``X-Forwarded-Proto``/``X-Forwarded-Host`` when the peer is a trusted proxy."""
    request = flask.request
    scheme, host = request.scheme, request.host
    if _trusted(_address(request.remote_addr), settings()):
        scheme = _last(request.headers.get("X-Forwarded-Proto")) or scheme
        host = _last(request.headers.get("X-Forwarded-Host")) or host
    return f"{scheme}://{host}"


def check_origin() -> None:
    """Refuse (403, logged) a write whose page is not one of this app's: the request's
    ``Origin``, or failing that its ``Referer``, must have the app's scheme, host and port."""
    request = flask.request
    own = own_origin()
    sent, via = request.headers.get("Origin"), "Origin"
    if not sent:
        sent, via = request.headers.get("Referer"), "Referer"
    if not sent:
        why = "the request names no page it came from (neither Origin nor Referer)"
    elif (got := _origin_key(sent)) is None or got != _origin_key(own):
        why = f"it came from {_shown(sent)} ({via}), not from this app at {_shown(own)}"
    else:
        return
    log.warning("refused a cross-site write from %s on %r: %s", request.remote_addr, request.path[:200], why)
    raise Refused(f"Cross-site write refused: {why}. Reload the dashboard from its own address.")


# ---- helpers ------------------------------------------------------------------------------------


def _address(raw: str | None) -> _Address | None:
    """The peer address, IPv4-mapped IPv6 (``::ffff:127.0.0.1``) read as IPv4; None if unreadable
    (a Unix socket's peer has none)."""
    try:
        addr = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@lru_cache(maxsize=16)
def _networks(tokens: tuple[str, ...]) -> tuple[_Network, ...]:
    # Settings refused anything that is not an address or network at start.
    return tuple(ipaddress.ip_network(t, strict=False) for t in tokens)


def _trusted(peer: _Address | None, s: Settings) -> bool:
    """Whether ``peer`` is one of the configured proxies (never when no proxy is configured)."""
    return peer is not None and any(
        peer in net for net in _networks(s.auth_proxies) if net.version == peer.version
    )


def _header_value(raw: str | None) -> str:
    """A name from a header: trimmed, UTF-8 restored (WSGI hands headers over as Latin-1), and
    "" when it holds control characters or is too long to be a name (it goes into logs and the
    audit trail)."""
    value = (raw or "").strip()
    try:
        value = value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    if _CONTROL.search(value) or len(value) > MAX_NAME_CHARS:
        return ""
    return value


def _groups(raw: str | None) -> tuple[str, ...]:
    return tuple(g for part in (raw or "").split(",") if (g := _header_value(part)))


def _loopback_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine (localhost, *.localhost or a loopback address)."""
    try:
        name = urlsplit("//" + host).hostname or ""
    except ValueError:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    addr = _address(name)
    return addr is not None and addr.is_loopback


def _last(raw: str | None) -> str:
    """The last of a comma-separated forwarding header: the value our own proxy wrote (earlier
    ones were passed along from further out, or sent by the browser)."""
    return (raw or "").rsplit(",", 1)[-1].strip()


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an origin or URL, default ports filled in; None when it is not
    an http(s) address (``null``, the origin of sandboxed frames and ``file:`` pages, included)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _shown(url: str) -> str:
    """An origin or URL quoted back safely: its scheme, host and port at most, or a short repr."""
    key = _origin_key(url)
    if key is None:
        return repr(url[:80])
    scheme, host, port = key
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS[scheme] else f":{port}")
