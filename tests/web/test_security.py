"""The dashboard's security: every route refused without a session, CSRF on every form post, the login
rate limit, first-run setup, password reset from the CLI, cookie flags, no open redirect."""

from __future__ import annotations

import re

from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from scorolink.cli import app as cli_app
from scorolink.web import accounts
from scorolink.web.security import COOKIE
from tests.web.conftest import PASSWORD, csrf_of, post, sign_in

PUBLIC = {"/login", "/setup"}
SAMPLE = {"name": "default", "action": "pause", "run": "1", "id": "1"}


def _routes(app):
    for route in app.routes:
        if isinstance(route, Route) and route.path not in PUBLIC:
            path = re.sub(r"{(\w+)(:\w+)?}", lambda m: SAMPLE[m.group(1)], route.path)
            for method in sorted(route.methods - {"HEAD"}):
                yield method, path


def test_every_route_is_refused_without_a_session(app, anonymous):
    checked = list(_routes(app))
    assert len(checked) >= 15, checked  # the pages of every area are in the list
    for method, path in checked:
        page = anonymous.request(method, path, headers={"Accept": "text/html"})
        if method == "GET":
            assert page.status_code == 303, (method, path)
            assert page.headers["location"].startswith("/login?next="), (method, path)
        else:  # a post without a session is refused before its CSRF check or its route
            assert page.status_code in (401, 403), (method, path, page.status_code)
        other = anonymous.request(method, path, headers={"Accept": "application/json"})
        assert other.status_code in (401, 403), (method, path)
    # public means exactly these paths, not every path that starts like them
    assert anonymous.get("/setup-elsewhere", headers={"Accept": "text/html"}).status_code == 303
    assert anonymous.get("/login/../jobs", headers={"Accept": "application/json"}).status_code in (401, 404)
    # an event stream or any non-page request is a plain 401
    assert anonymous.get("/runs/1/events", headers={"Accept": "text/event-stream"}).status_code == 401
    # the only routes reachable without a session: sign-in, first run, static files
    public = {r.path for r in app.routes if isinstance(r, Route) and r.path in PUBLIC}
    assert public == PUBLIC
    assert [m.path for m in app.routes if isinstance(m, Mount)] == ["/static"]


def test_a_signed_in_session_reaches_every_page(client):
    for path in ("/connections", "/jobs", "/runs", "/data/objects", "/data/objects/Invoices", "/data/records",
                 "/data/sql", "/audit"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Sign out admin" in page.text


def test_a_form_post_without_its_csrf_token_is_refused(client, store):
    form = {"name": "nightly", "operation": "replicate", "connection": "default", "schedule": "daily 02:00"}
    refused = client.post("/jobs", data=form)
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post("/jobs", data={**form, "csrf_token": "not-the-token"})
    assert wrong.status_code == 403
    assert client.get("/jobs").text.count("nightly") == 0  # nothing was added
    ok = post(client, "/jobs", form)
    assert ok.status_code == 303
    assert "nightly" in client.get("/jobs").text
    # sign-out is a form too
    assert client.post("/logout").status_code == 403
    # the header form (for scripts) is accepted
    token = csrf_of(client)
    assert client.post("/jobs/nightly/pause", headers={"X-CSRF-Token": token}).status_code == 303


def test_login_attempts_are_rate_limited_per_address(anonymous, store, limiter_clock):
    accounts.set_password(store, PASSWORD, accounts_now(), actor="test")
    for _ in range(5):
        assert sign_in(anonymous, "wrong password!").status_code == 401
    blocked = sign_in(anonymous, PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in blocked.text
    limiter_clock.t += 301  # the window has passed
    assert sign_in(anonymous, PASSWORD).status_code == 303
    failures = [r for r in accounts.audit_log(store) if r["action"] == "sign-in failed"]
    assert len(failures) == 5


def accounts_now():
    from scorolink.runtime.store import SystemClock

    return SystemClock().now()


def test_first_run_sets_the_admin_password_with_the_printed_token(app, anonymous, store):
    token = app.state.web.setup_token
    assert token and not accounts.has_users(store)
    page = anonymous.get("/login")
    assert "Set the admin password" in page.text
    csrf = csrf_of(anonymous, "/login")
    wrong = anonymous.post("/setup", data={"token": "guess", "password": PASSWORD, "password2": PASSWORD,
                                           "csrf_token": csrf})
    assert wrong.status_code == 403 and not accounts.has_users(store)
    short = anonymous.post("/setup", data={"token": token, "password": "short", "password2": "short",
                                           "csrf_token": csrf})
    assert short.status_code == 400 and "at least 10" in short.text
    done = anonymous.post("/setup", data={"token": token, "password": PASSWORD, "password2": PASSWORD,
                                          "csrf_token": csrf})
    assert done.status_code == 303 and accounts.has_users(store)
    assert anonymous.get("/connections").status_code == 200  # signed in by the setup
    with store.begin() as c:
        stored = c.exec_driver_sql("SELECT password_hash FROM web_users").scalar()
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    # a second setup is not possible
    again = anonymous.post("/setup", data={"token": token, "password": "x" * 12, "password2": "x" * 12,
                                           "csrf_token": csrf_of(anonymous)})
    assert again.status_code == 303 and accounts.check_login(store, "admin", PASSWORD) is not None


def test_a_password_reset_from_the_cli_signs_every_session_out(client, home, store):
    assert client.get("/jobs").status_code == 200
    result = CliRunner().invoke(cli_app, ["--config", str(home / "scorolink.toml"), "web", "set-password",
                                          "--password-stdin"], input="a new long password\n")
    assert result.exit_code == 0, result.output
    assert client.get("/jobs", headers={"Accept": "text/html"}).status_code == 303
    assert sign_in(client, PASSWORD).status_code == 401
    assert sign_in(client, "a new long password").status_code == 303
    actions = [(r["actor"], r["action"]) for r in accounts.audit_log(store)]
    assert any(actor.startswith("cli") and action == "password reset" for actor, action in actions)


def test_the_session_cookie_is_signed_httponly_samesite_and_secure_over_https(app, store):
    accounts.set_password(store, PASSWORD, accounts_now(), actor="test")
    with TestClient(app, base_url="https://dash.example", follow_redirects=False) as tls:
        answer = sign_in(tls)
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" in cookie
    with TestClient(app, follow_redirects=False) as plain:
        assert "Secure" not in sign_in(plain).headers["set-cookie"]
        value = plain.cookies[COOKIE]
        plain.cookies.clear()
        plain.cookies.set(COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
        assert plain.get("/jobs", headers={"Accept": "text/html"}).status_code == 303  # tampered: refused


def test_sign_in_never_redirects_to_another_site(anonymous, store):
    accounts.set_password(store, PASSWORD, accounts_now(), actor="test")
    token = csrf_of(anonymous, "/login")
    for target, expected in (("https://evil.example/", "/"), ("//evil.example", "/"), ("/runs?job=x", "/runs?job=x")):
        anonymous.cookies.clear()
        token = csrf_of(anonymous, "/login")
        answer = anonymous.post("/login", data={"username": "admin", "password": PASSWORD, "next": target,
                                                "csrf_token": token})
        assert answer.headers["location"] == expected


def test_every_form_post_without_its_csrf_token_is_refused_before_its_route(app, client, store):
    posts = [path for method, path in _routes(app) if method == "POST"]
    assert any(p.startswith("/integrations/") for p in posts) and any(p.startswith("/dbsync/") for p in posts)
    before = len(accounts.audit_log(store))
    for path in posts:
        answer = client.post(path, data={"connection": "default", "take": "db", "mode": "automatic"})
        assert answer.status_code == 403 and "CSRF" in answer.text, path
    assert len(accounts.audit_log(store)) == before  # no route ran, so nothing changed
