"""Who is asking and may they write (components/identity.py): the proxy's header believed only
from the proxy, roles from the settings, the local analyst when no identity is configured,
refusals as 403 with a message and a log record, and writes only from the app's own pages.

Every check runs inside a real Flask request (``test_request_context`` or the test client),
with the settings on the app the way ``create_app`` puts them there."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dash
import flask
import pytest
from dash import Input, Output, html

from components.identity import (
    ANONYMOUS,
    LOCAL,
    PROXY,
    REVIEWER,
    VIEWER,
    Refused,
    check_origin,
    current_identity,
    identity_line,
    local_user,
    own_origin,
    require_reviewer,
)
from components.service_access import SETTINGS_KEY
from conflictmap.config import Settings

PROXY_ADDR = "10.0.0.2"
PREFIX = "/tools/map/"
PROXIED = Settings(
    auth_user_header="X-Forwarded-User",
    auth_groups_header="X-Forwarded-Groups",
    auth_proxies=(PROXY_ADDR, "192.168.50.0/24", "fd00::/8"),
    reviewers=("alice",),
    reviewer_groups=("analysts",),
)
OPEN = Settings()  # no identity configured


def server_for(settings: Settings) -> flask.Flask:
    """A Flask app carrying ``settings`` as ``create_app`` does (service_access.attach)."""
    server = flask.Flask("identity-test")
    server.config[SETTINGS_KEY] = settings
    return server


def identity(settings: Settings, addr: str | None, headers: dict[str, str] | None = None, **kw):
    with server_for(settings).test_request_context(
        "/", environ_base={"REMOTE_ADDR": addr}, headers=headers or {}, **kw
    ):
        return current_identity()


# ---- the proxy's header ---------------------------------------------------------------------------


def test_the_trusted_proxys_header_names_the_person_and_the_settings_give_the_role():
    alice = identity(PROXIED, PROXY_ADDR, {"X-Forwarded-User": "alice"})
    assert (alice.name, alice.role, alice.source) == ("alice", REVIEWER, PROXY) and alice.can_review
    assert "CONFLICTMAP_REVIEWERS" in alice.why and PROXY_ADDR in alice.why
    bob = identity(PROXIED, PROXY_ADDR, {"X-Forwarded-User": "bob"})
    assert (bob.name, bob.role, bob.source) == ("bob", VIEWER, PROXY) and not bob.can_review
    assert "'bob'" in bob.needs and "CONFLICTMAP_REVIEWERS" in bob.needs
    # Names are matched as spelt: they are what the audit trail records.
    assert identity(PROXIED, PROXY_ADDR, {"X-Forwarded-User": "Alice"}).role == VIEWER
    # A proxy inside a configured network, an IPv6 one, and an IPv4 proxy seen as IPv4-mapped IPv6.
    for addr in ("192.168.50.7", "fd00::5", f"::ffff:{PROXY_ADDR}"):
        assert identity(PROXIED, addr, {"X-Forwarded-User": "alice"}).name == "alice", addr


def test_the_same_header_from_any_other_address_is_ignored():
    for addr in ("10.0.0.3", "192.168.51.7", "127.0.0.1", "::1", "fe80::1", "", None):
        who = identity(PROXIED, addr, {"X-Forwarded-User": "alice", "X-Forwarded-Groups": "analysts"})
        assert (who.name, who.role, who.source, who.groups) == ("", VIEWER, ANONYMOUS, ()), addr
        assert "not from the sign-in proxy" in who.why and "CONFLICTMAP_AUTH_PROXIES" in who.needs


def test_from_the_proxy_without_a_usable_header_is_an_anonymous_viewer():
    for headers in (
        {},
        {"X-Forwarded-User": ""},
        {"X-Forwarded-User": "   "},
        {"X-Forwarded-User": "a" * 500},
    ):
        who = identity(PROXIED, PROXY_ADDR, headers)
        assert (who.name, who.role, who.source) == ("", VIEWER, ANONYMOUS)
        assert "no usable X-Forwarded-User" in who.why
    # A control character would forge log lines and audit rows: the header is not used.
    with server_for(PROXIED).test_request_context(
        "/", environ_base={"REMOTE_ADDR": PROXY_ADDR, "HTTP_X_FORWARDED_USER": "alice\x1b[2J"}
    ):
        assert current_identity().source == ANONYMOUS


def test_a_utf8_name_survives_wsgis_latin1():
    # WSGI hands header bytes over as Latin-1; the proxy sent UTF-8.
    raw = "José".encode().decode("latin-1")
    with server_for(PROXIED).test_request_context(
        "/", environ_base={"REMOTE_ADDR": PROXY_ADDR, "HTTP_X_FORWARDED_USER": raw}
    ):
        assert current_identity().name == "José"


def test_a_group_in_reviewer_groups_makes_a_reviewer():
    member = identity(
        PROXIED, PROXY_ADDR, {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "staff, analysts"}
    )
    assert (member.name, member.role, member.groups) == ("carol", REVIEWER, ("staff", "analysts"))
    assert "'analysts'" in member.why and "CONFLICTMAP_REVIEWER_GROUPS" in member.why
    other = identity(
        PROXIED, PROXY_ADDR, {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "staff,analysts-old"}
    )
    assert other.role == VIEWER and "CONFLICTMAP_REVIEWER_GROUPS" in other.needs
    # Groups alone identify nobody.
    assert identity(PROXIED, PROXY_ADDR, {"X-Forwarded-Groups": "analysts"}).role == VIEWER


# ---- refusals ----------------------------------------------------------------------------------------


def test_a_viewer_is_refused_with_403_a_message_and_a_log_record(caplog):
    caplog.set_level(logging.WARNING, logger="components.identity")
    with server_for(PROXIED).test_request_context(
        "/tools/map/_dash-update-component",
        method="POST",
        environ_base={"REMOTE_ADDR": PROXY_ADDR},
        headers={"X-Forwarded-User": "bob"},
    ):
        with pytest.raises(Refused) as err:
            require_reviewer()
    exc = err.value
    assert exc.status == exc.code == 403 and exc.identity is not None and exc.identity.name == "bob"
    msg = str(exc)
    assert msg.startswith("bob may not review: ")  # who
    assert "not listed in CONFLICTMAP_REVIEWERS" in msg  # why
    assert "Reviewing needs an administrator to add 'bob' to CONFLICTMAP_REVIEWERS" in msg  # what to set
    resp = exc.get_response()
    assert resp.status_code == 403 and resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True).strip() == msg
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    logged = record.getMessage()
    assert "bob" in logged and PROXY_ADDR in logged and "/tools/map/_dash-update-component" in logged
    # A reviewer passes and gets their identity back, to pass on as ``who``.
    with server_for(PROXIED).test_request_context(
        "/", environ_base={"REMOTE_ADDR": PROXY_ADDR}, headers={"X-Forwarded-User": "alice"}
    ):
        assert require_reviewer().name == "alice"


def test_an_anonymous_refusal_says_so(caplog):
    caplog.set_level(logging.WARNING, logger="components.identity")
    with server_for(OPEN).test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        with pytest.raises(Refused) as err:
            require_reviewer()
    msg = str(err.value)
    assert msg.startswith("An anonymous visitor may not review: ") and "10.1.2.3" in msg
    assert "CONFLICTMAP_AUTH_USER_HEADER" in msg and "CONFLICTMAP_AUTH_PROXIES" in msg
    assert any("anonymous" in r.getMessage() and "10.1.2.3" in r.getMessage() for r in caplog.records)


# ---- no identity configured: the analyst on this machine ---------------------------------------------


def test_without_identity_a_browser_on_this_machine_is_the_local_reviewer():
    for addr, host in (
        ("127.0.0.1", "127.0.0.1:8050"),
        ("::1", "[::1]:8050"),
        ("127.0.0.1", "localhost:8050"),
    ):
        who = identity(OPEN, addr, {"Host": host})
        assert (who.name, who.role, who.source) == (local_user(), REVIEWER, LOCAL), (addr, host)
    assert local_user()  # the account the app runs as, or "local"


def test_without_identity_any_other_address_is_a_viewer():
    who = identity(OPEN, "10.1.2.3")
    assert (who.name, who.role, who.source) == ("", VIEWER, ANONYMOUS)
    assert "10.1.2.3" in who.why and "CONFLICTMAP_AUTH_USER_HEADER" in who.needs
    # A header naming a user means nothing when no header is configured.
    assert identity(OPEN, "10.1.2.3", {"X-Forwarded-User": "alice"}).role == VIEWER


def test_without_identity_loopback_through_a_proxy_or_under_another_name_is_not_the_analyst():
    # A reverse proxy on the same machine: every visitor arrives from 127.0.0.1.
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP", "Forwarded"):
        who = identity(OPEN, "127.0.0.1", {header: "https"})
        assert who.role == VIEWER and header in who.why, header
    # The page of a site whose name was rebound to 127.0.0.1 (DNS rebinding) keeps its Host.
    who = identity(OPEN, "127.0.0.1", {"Host": "attacker.example:8050"})
    assert who.role == VIEWER and "attacker.example" in who.why


def test_with_identity_configured_loopback_is_not_special():
    settings = Settings(auth_user_header="X-Forwarded-User", auth_proxies=(PROXY_ADDR,))
    assert identity(settings, "127.0.0.1").source == ANONYMOUS


def test_the_identity_line_for_the_page_header():
    alice = identity(PROXIED, PROXY_ADDR, {"X-Forwarded-User": "alice"})
    assert identity_line(alice) == "Signed in as alice (reviewer)"
    bob = identity(PROXIED, PROXY_ADDR, {"X-Forwarded-User": "bob"})
    assert identity_line(bob).startswith("Signed in as bob, viewing only: reviewing needs an administrator")
    anon = identity(OPEN, "10.1.2.3")
    assert identity_line(anon).startswith("Viewing only: reviewing needs a browser on the machine")
    local = identity(OPEN, "127.0.0.1")
    assert identity_line(local) == f"Reviewing as {local_user()} (this machine; no sign-in configured)"


# ---- writes only from the app's own pages --------------------------------------------------------------


def origin_check(settings: Settings, headers: dict[str, str], addr: str = "127.0.0.1", **kw) -> None:
    with server_for(settings).test_request_context(
        PREFIX + "_dash-update-component",
        method="POST",
        base_url="http://localhost:8050",
        environ_base={"REMOTE_ADDR": addr},
        headers=headers,
        **kw,
    ):
        check_origin()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost:8050"},
        {"Origin": "HTTP://LOCALHOST:8050"},
        {"Referer": "http://localhost:8050/tools/map/?type=battle"},  # no Origin: the Referer's origin
    ],
)
def test_the_apps_own_origin_may_write(headers):
    origin_check(OPEN, headers)


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"Origin": "http://attacker.example"}, "http://attacker.example"),
        ({"Origin": "http://localhost:8051"}, "http://localhost:8051"),  # another port
        ({"Origin": "https://localhost:8050"}, "https://localhost:8050"),  # another scheme
        ({"Origin": "null"}, "'null'"),  # sandboxed frames, file: pages
        ({"Origin": "http://attacker.example", "Referer": "http://localhost:8050/"}, "attacker"),
        ({"Referer": "http://attacker.example/tools/map/"}, "http://attacker.example"),
        ({}, "neither Origin nor Referer"),
    ],
)
def test_any_other_origin_or_none_is_refused_and_logged(headers, said, caplog):
    caplog.set_level(logging.WARNING, logger="components.identity")
    with pytest.raises(Refused) as err:
        origin_check(OPEN, headers)
    assert err.value.code == 403
    msg = str(err.value)
    assert msg.startswith("Cross-site write refused: ") and said in msg
    assert any("cross-site" in r.getMessage() for r in caplog.records)


def test_behind_a_trusted_proxy_the_browsers_origin_is_the_proxys():
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "portal.intranet"}
    origin_check(PROXIED, {**forwarded, "Origin": "https://portal.intranet"}, addr=PROXY_ADDR)
    origin_check(PROXIED, {**forwarded, "Origin": "https://portal.intranet:443"}, addr=PROXY_ADDR)
    # Appended by a proxy that passes the browser's value on: the last one is the proxy's own.
    origin_check(
        PROXIED,
        {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "attacker.example, portal.intranet",
            "Origin": "https://portal.intranet",
        },
        addr=PROXY_ADDR,
    )
    # The same forwarding headers from anywhere else are not believed.
    with pytest.raises(Refused):
        origin_check(PROXIED, {**forwarded, "Origin": "https://portal.intranet"}, addr="10.9.9.9")
    with server_for(PROXIED).test_request_context(
        "/", base_url="http://127.0.0.1:8050", environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers=forwarded
    ):
        assert own_origin() == "http://127.0.0.1:8050"


# ---- the real app: api/whoami, and a write callback under a prefix ---------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("identity")),
        url_prefix=PREFIX,
        auth_user_header="X-Forwarded-User",
        auth_groups_header="X-Forwarded-Groups",
        auth_proxies=("127.0.0.1",),
        reviewers=("alice",),
        reviewer_groups=("analysts",),
    )
    return create_app(settings)


def test_whoami_answers_who_the_app_takes_the_caller_for(app):
    client = app.server.test_client()
    resp = client.get(PREFIX + "api/whoami", headers={"X-Forwarded-User": "alice"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["name"] == "alice" and body["role"] == REVIEWER and body["can_review"] is True
    assert body["source"] == PROXY and body["line"] == "Signed in as alice (reviewer)"
    resp = client.get(
        PREFIX + "api/whoami",
        headers={"X-Forwarded-User": "alice"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    body = json.loads(resp.get_data(as_text=True))
    assert body["name"] is None and body["role"] == VIEWER and body["can_review"] is False
    assert body["line"].startswith("Viewing only: reviewing needs")
    assert "Content-Security-Policy" in resp.headers  # the app's headers, like every response


def test_the_origin_check_under_the_apps_prefix(app):
    # An Origin has no path: the app under /tools/map/ compares scheme, host and port.
    for headers in ({"Origin": "http://localhost"}, {"Referer": "http://localhost/tools/map/?embed=1"}):
        with app.server.test_request_context(
            PREFIX + "_dash-update-component", method="POST", headers=headers
        ):
            check_origin()
    with app.server.test_request_context(
        PREFIX + "_dash-update-component", method="POST", headers={"Origin": "http://portal.intranet"}
    ):
        with pytest.raises(Refused):
            check_origin()


def test_a_write_callback_that_does_not_catch_refused_answers_403():
    """How the lead's write callbacks behave: checks first; a forgotten ``except`` fails closed."""
    app = dash.Dash("identity-callback", url_base_pathname=PREFIX)
    app.server.config[SETTINGS_KEY] = OPEN
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])
    written = []

    @app.callback(Output("out", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
    def write(_n):
        check_origin()
        who = require_reviewer()
        written.append(who.name)
        return f"saved by {who.name}"

    body = {
        "output": "out.children",
        "outputs": {"id": "out", "property": "children"},
        "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["go.n_clicks"],
        "state": [],
    }
    client = app.server.test_client()

    def post(addr: str, origin: str):
        return client.post(
            PREFIX + "_dash-update-component",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Origin": origin},
            environ_base={"REMOTE_ADDR": addr},
        )

    ok = post("127.0.0.1", "http://localhost")
    assert ok.status_code == 200 and f"saved by {local_user()}" in ok.get_data(as_text=True)
    refused = post("10.1.2.3", "http://localhost")
    assert refused.status_code == 403 and "may not review" in refused.get_data(as_text=True)
    cross = post("127.0.0.1", "http://attacker.example")
    assert cross.status_code == 403 and "Cross-site write refused" in cross.get_data(as_text=True)
    assert written == [local_user()]


# ---- settings ----------------------------------------------------------------------------------------------


def test_settings_from_the_environment():
    s = Settings.from_env(
        {
            "CONFLICTMAP_AUTH_USER_HEADER": "X-Forwarded-User",
            "CONFLICTMAP_AUTH_GROUPS_HEADER": "X-Forwarded-Groups",
            "CONFLICTMAP_AUTH_PROXIES": "127.0.0.1 10.0.0.0/8, ::1",
            "CONFLICTMAP_REVIEWERS": "alice, bob carol",
            "CONFLICTMAP_REVIEWER_GROUPS": "analysts",
        }
    )
    assert s.auth_user_header == "X-Forwarded-User" and s.auth_groups_header == "X-Forwarded-Groups"
    assert s.auth_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert s.reviewers == ("alice", "bob", "carol") and s.reviewer_groups == ("analysts",)
    unset = Settings.from_env({})
    assert (unset.auth_user_header, unset.auth_proxies, unset.reviewers) == ("", (), ())


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONFLICTMAP_AUTH_USER_HEADER": "X-Forwarded-User"}, "CONFLICTMAP_AUTH_PROXIES is empty"),
        (
            {
                "CONFLICTMAP_AUTH_USER_HEADER": "X-Forwarded-User: alice",
                "CONFLICTMAP_AUTH_PROXIES": "127.0.0.1",
            },
            "CONFLICTMAP_AUTH_USER_HEADER='X-Forwarded-User: alice'",
        ),
        (
            {"CONFLICTMAP_AUTH_USER_HEADER": "X_Forwarded_User", "CONFLICTMAP_AUTH_PROXIES": "127.0.0.1"},
            "CONFLICTMAP_AUTH_USER_HEADER='X_Forwarded_User'",
        ),
        (
            {"CONFLICTMAP_AUTH_USER_HEADER": "X-User", "CONFLICTMAP_AUTH_PROXIES": "proxy.intranet"},
            "CONFLICTMAP_AUTH_PROXIES: 'proxy.intranet'",
        ),
        (
            {"CONFLICTMAP_AUTH_USER_HEADER": "X-User", "CONFLICTMAP_AUTH_PROXIES": "10.0.0.0/33"},
            "CONFLICTMAP_AUTH_PROXIES: '10.0.0.0/33'",
        ),
        (
            {"CONFLICTMAP_AUTH_GROUPS_HEADER": "X-Groups"},
            "CONFLICTMAP_AUTH_GROUPS_HEADER is set but CONFLICTMAP_AUTH_USER_HEADER is not",
        ),
        (
            {"CONFLICTMAP_REVIEWERS": "alice"},
            "CONFLICTMAP_REVIEWERS is set but CONFLICTMAP_AUTH_USER_HEADER is not",
        ),
        (
            {
                "CONFLICTMAP_AUTH_USER_HEADER": "X-User",
                "CONFLICTMAP_AUTH_PROXIES": "127.0.0.1",
                "CONFLICTMAP_REVIEWER_GROUPS": "analysts",
            },
            "CONFLICTMAP_REVIEWER_GROUPS is set but CONFLICTMAP_AUTH_GROUPS_HEADER is not",
        ),
    ],
)
def test_settings_that_cannot_work_stop_the_start_naming_the_variable(env, named):
    with pytest.raises(ValueError) as err:
        Settings.from_env(env)
    assert named in str(err.value)


def test_settings_built_in_code_are_held_to_the_same_rules():
    with pytest.raises(ValueError, match="auth_user_header is set but auth_proxies is empty"):
        Settings(auth_user_header="X-Forwarded-User")
    with pytest.raises(ValueError, match="auth_proxies: 'nowhere'"):
        Settings(auth_user_header="X-Forwarded-User", auth_proxies=("nowhere",))
