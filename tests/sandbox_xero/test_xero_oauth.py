"""OAuth2 (A1): authorize, code exchange, refresh rotation with the grace period, idle expiry, revocation,
PKCE, client credentials; access-token expiry; connections and the xero-tenant-id header; scopes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.sandbox.xero import XeroSandbox
from scorolink.sandbox.xero.identity import jwt_claims, pkce_challenge
from tests.sandbox_xero.xero_http import Xero

REDIRECT = "http://localhost:5555/callback"
SCOPE = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings"


@pytest.fixture
def http(sb: XeroSandbox) -> httpx.Client:
    return httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://xero.test")


def authorize(http: httpx.Client, sb: XeroSandbox, scope: str = SCOPE, **extra: str) -> dict:
    r = http.get("/identity/connect/authorize", params={"response_type": "code", "client_id": sb.client_id,
                                                         "redirect_uri": REDIRECT, "scope": scope, "state": "s1",
                                                         **extra})
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def basic(sb: XeroSandbox, secret: str | None = None) -> dict:
    raw = f"{sb.client_id}:{secret or sb.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def exchange(http: httpx.Client, sb: XeroSandbox, code: str) -> httpx.Response:
    return http.post("/connect/token", data={"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": REDIRECT}, headers=basic(sb))


def refresh(http: httpx.Client, sb: XeroSandbox, token: str, in_body: bool = False) -> httpx.Response:
    if in_body:  # xero-python sends the client credentials in the form body, with a scope
        return http.post("/connect/token", data={"grant_type": "refresh_token", "refresh_token": token,
                                                 "client_id": sb.client_id, "client_secret": sb.client_secret,
                                                 "scope": SCOPE})
    return http.post("/connect/token", data={"grant_type": "refresh_token", "refresh_token": token},
                     headers=basic(sb))


def test_authorization_code_flow_gives_tokens_and_connections(sb, http):
    q = authorize(http, sb)
    assert q["state"] == "s1" and q["code"]
    r = exchange(http, sb, q["code"])
    assert r.status_code == 200
    tok = r.json()
    # only the keys xero-python's update_token(**reply) accepts
    assert set(tok) == {"access_token", "refresh_token", "expires_in", "token_type", "scope", "id_token"}
    assert tok["expires_in"] == 1800 and tok["token_type"] == "Bearer"
    claims = jwt_claims(tok["access_token"])
    assert claims["client_id"] == sb.client_id and claims["exp"] - claims["nbf"] == 1800
    # the code is single-use
    assert exchange(http, sb, q["code"]).json() == {"error": "invalid_grant"}
    conns = http.get("/connections", headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
    assert isinstance(conns, list) and {c["tenantId"] for c in conns} == set(sb.tenant_ids)
    assert set(conns[0]) == {"id", "authEventId", "tenantId", "tenantType", "tenantName", "createdDateUtc",
                             "updatedDateUtc"}
    assert conns[0]["tenantType"] == "ORGANISATION"
    assert conns[0]["authEventId"] == claims["authentication_event_id"]
    # the spec's capitalised path works too, and authEventId filters
    same = http.get("/Connections", params={"authEventId": claims["authentication_event_id"]},
                    headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
    assert len(same) == len(sb.tenant_ids)
    assert http.get("/connections", params={"authEventId": "00000000-0000-0000-0000-000000000000"},
                    headers={"Authorization": f"Bearer {tok['access_token']}"}).json() == []


def test_no_refresh_token_without_offline_access_and_no_id_token_without_openid(sb, http):
    q = authorize(http, sb, scope="accounting.transactions accounting.contacts")
    tok = exchange(http, sb, q["code"]).json()
    assert "refresh_token" not in tok and "id_token" not in tok


def test_consent_to_one_tenant_only(sb, http):
    q = authorize(http, sb, tenant=sb.tenant_ids[1])
    tok = exchange(http, sb, q["code"]).json()
    x = Xero(sb, tenant=sb.tenant_ids[0], token=tok["access_token"])
    assert x.get("/Organisation").status_code == 403
    assert Xero(sb, tenant=sb.tenant_ids[1], token=tok["access_token"]).get("/Organisation").status_code == 200


def test_token_endpoint_rejects_bad_clients_grants_and_redirects(sb, http):
    q = authorize(http, sb)
    r = http.post("/connect/token", data={"grant_type": "authorization_code", "code": q["code"],
                                          "redirect_uri": REDIRECT}, headers=basic(sb, "wrong"))
    assert r.status_code == 400 and r.json() == {"error": "invalid_client"}
    r = http.post("/connect/token", data={"grant_type": "authorization_code", "code": q["code"],
                                          "redirect_uri": "http://elsewhere/cb"}, headers=basic(sb))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = http.post("/connect/token", data={"grant_type": "password"}, headers=basic(sb))
    assert r.json() == {"error": "unsupported_grant_type"}
    # client credentials are for custom connections only
    r = http.post("/connect/token", data={"grant_type": "client_credentials"}, headers=basic(sb))
    assert r.json() == {"error": "unauthorized_client"}
    # an unknown client never gets a redirect
    r = http.get("/identity/connect/authorize", params={"response_type": "code", "client_id": "nope",
                                                         "redirect_uri": REDIRECT, "scope": SCOPE})
    assert r.status_code == 400
    r = http.get("/identity/connect/authorize", params={"response_type": "token", "client_id": sb.client_id,
                                                         "redirect_uri": REDIRECT, "scope": SCOPE, "state": "x"})
    assert "error=unsupported_response_type" in r.headers["location"] and "state=x" in r.headers["location"]


def test_refresh_rotates_and_the_old_token_has_a_30_minute_grace(sb, http):
    tok = exchange(http, sb, authorize(http, sb)["code"]).json()
    first = refresh(http, sb, tok["refresh_token"])
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != tok["refresh_token"] and new["access_token"] != tok["access_token"]
    # the response "never arrived": retrying with the old refresh token still works inside the grace period
    sb.advance_clock(29 * 60)
    retry = refresh(http, sb, tok["refresh_token"], in_body=True)
    assert retry.status_code == 200
    assert refresh(http, sb, new["refresh_token"]).status_code == 200   # the first successor stays valid
    sb.advance_clock(2 * 60)
    late = refresh(http, sb, tok["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_unused_refresh_token_expires_after_60_days(sb, http):
    tok = exchange(http, sb, authorize(http, sb)["code"]).json()
    sb.advance_clock(59 * 86400)
    tok = refresh(http, sb, tok["refresh_token"]).json()
    sb.advance_clock(60 * 86400 + 1)
    r = refresh(http, sb, tok["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_revocation_kills_the_token_family(sb, http):
    tok = exchange(http, sb, authorize(http, sb)["code"]).json()
    x = Xero(sb, token=tok["access_token"])
    assert x.get("/Organisation").status_code == 200
    r = http.post("/connect/revocation", data={"token": tok["refresh_token"]}, headers=basic(sb))
    assert r.status_code == 200
    assert refresh(http, sb, tok["refresh_token"]).json()["error"] == "invalid_grant"
    assert x.get("/Organisation").status_code == 401


def test_pkce_public_client(sb, http):
    verifier = "v" * 50
    q = authorize(http, sb, code_challenge=pkce_challenge(verifier), code_challenge_method="S256")
    bad = http.post("/connect/token", data={"grant_type": "authorization_code", "code": q["code"],
                                            "redirect_uri": REDIRECT, "client_id": sb.client_id,
                                            "code_verifier": "wrong" * 10})
    assert bad.json()["error"] == "invalid_grant"
    q = authorize(http, sb, code_challenge=pkce_challenge(verifier), code_challenge_method="S256")
    good = http.post("/connect/token", data={"grant_type": "authorization_code", "code": q["code"],
                                             "redirect_uri": REDIRECT, "client_id": sb.client_id,
                                             "code_verifier": verifier})
    assert good.status_code == 200 and good.json()["access_token"]


def test_client_credentials_custom_connection(sb, http):
    cid, secret = sb.add_custom_connection(sb.tenant_ids[1])
    auth = {"Authorization": "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()}
    tok = http.post("/connect/token", data={"grant_type": "client_credentials"}, headers=auth).json()
    assert "refresh_token" not in tok and tok["expires_in"] == 1800
    conns = http.get("/connections", headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
    assert [c["tenantId"] for c in conns] == [sb.tenant_ids[1]]
    assert Xero(sb, tenant=sb.tenant_ids[1], token=tok["access_token"]).get("/Contacts").status_code == 200
    assert Xero(sb, tenant=sb.tenant_ids[0], token=tok["access_token"]).get("/Contacts").status_code == 403


def test_access_token_expires_after_30_minutes(sb, xero):
    assert xero.get("/Organisation").status_code == 200
    sb.advance_clock(1801)
    r = xero.get("/Organisation")
    assert r.status_code == 401
    body = r.json()
    assert body["Title"] == "Unauthorized" and body["Status"] == 401
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    assert set(body) == {"Type", "Title", "Status", "Detail", "Instance", "Extensions"}


def test_missing_or_bad_token_is_401(sb, xero):
    r = xero.http.get("/api.xro/2.0/Contacts", headers={"xero-tenant-id": xero.tenant, "Accept": "application/json"})
    assert r.status_code == 401 and r.json()["Detail"] == "AuthenticationUnsuccessful"
    r = xero.get("/Contacts", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


@pytest.mark.parametrize("tenant", [None, "", "00000000-0000-0000-0000-000000000001", "not-a-guid"])
def test_missing_or_wrong_tenant_is_403_authentication_unsuccessful(sb, xero, tenant):
    headers = xero.headers()
    if tenant is None:
        headers.pop("xero-tenant-id")
    else:
        headers["xero-tenant-id"] = tenant
    r = xero.http.get("/api.xro/2.0/Invoices", headers=headers)
    assert r.status_code == 403
    body = r.json()
    assert body["Title"] == "Forbidden" and body["Detail"] == "AuthenticationUnsuccessful" and body["Type"] is None
    assert body["Extensions"] == {}


def test_several_tenants_keep_separate_books(sb):
    a, b = Xero(sb, tenant=sb.tenant_ids[0]), Xero(sb, tenant=sb.tenant_ids[1])
    assert a.one("GET", "/Organisation", "Organisations")["BaseCurrency"] == "EUR"
    assert b.one("GET", "/Organisation", "Organisations")["BaseCurrency"] == "GBP"
    made = a.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Only In A"}]})
    assert b.get(f"/Contacts/{made['ContactID']}").status_code == 404
    assert a.get(f"/Contacts/{made['ContactID']}").status_code == 200


def test_disconnecting_a_tenant_closes_it(sb, http):
    tok = sb.issue_token()
    auth = {"Authorization": f"Bearer {tok['access_token']}"}
    conns = http.get("/connections", headers=auth).json()
    gone = next(c for c in conns if c["tenantId"] == sb.tenant_ids[0])
    assert http.delete(f"/connections/{gone['id']}", headers=auth).status_code == 204
    assert http.delete(f"/connections/{gone['id']}", headers=auth).status_code == 404
    assert Xero(sb, tenant=sb.tenant_ids[0], token=tok["access_token"]).get("/Contacts").status_code == 403
    assert Xero(sb, tenant=sb.tenant_ids[1], token=tok["access_token"]).get("/Contacts").status_code == 200


def test_scopes_read_only_and_missing(sb):
    ro = sb.issue_token("accounting.transactions.read accounting.contacts.read")["access_token"]
    x = Xero(sb, token=ro)
    assert x.get("/Invoices").status_code == 200 and x.get("/Contacts").status_code == 200
    r = x.put("/Contacts", json={"Contacts": [{"Name": "Nope"}]})
    assert r.status_code == 401 and r.json()["Detail"] == "AuthorizationUnsuccessful"
    assert x.get("/Accounts").status_code == 401              # settings not granted
    granular = Xero(sb, token=sb.issue_token("accounting.invoices accounting.payments accounting.settings.read")
                    ["access_token"])
    assert granular.get("/Invoices").status_code == 200 and granular.get("/Items").status_code == 200
    assert granular.get("/Payments").status_code == 200 and granular.get("/Contacts").status_code == 401


def test_granular_scopes_only_when_configured():
    from scorolink.sandbox.xero import XeroSandboxConfig

    sb = XeroSandbox(XeroSandboxConfig(size=2, granular_scopes_only=True))
    http = httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://xero.test")
    r = http.get("/identity/connect/authorize", params={"response_type": "code", "client_id": sb.client_id,
                                                         "redirect_uri": REDIRECT, "scope": SCOPE, "state": "g"})
    assert "error=invalid_scope" in r.headers["location"]
    q = authorize(http, sb, scope="offline_access accounting.invoices accounting.payments accounting.contacts")
    assert exchange(http, sb, q["code"]).status_code == 200
