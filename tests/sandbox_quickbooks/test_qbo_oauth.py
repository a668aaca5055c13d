"""Intuit OAuth 2.0 in wire terms (B1, B11): authorize redirect with code, state and realmId; code exchange
once only; refresh rotation; 1-hour access tokens and the 401 AuthenticationFailed body; revocation; the
discovery document; the realm in the path checked against the token."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.sandbox.quickbooks import QuickBooksSandbox
from tests.sandbox_quickbooks.qbo_http import QBO

REDIRECT = "https://app.example/callback"


def http(sb: QuickBooksSandbox) -> httpx.Client:
    return httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://qbo.test")


def basic(sb: QuickBooksSandbox) -> dict[str, str]:
    raw = f"{sb.client_id}:{sb.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode(), "Accept": "application/json"}


def authorize(sb: QuickBooksSandbox, client: httpx.Client, **extra: str) -> dict[str, list[str]]:
    params = {"client_id": sb.client_id, "response_type": "code", "scope": "com.intuit.quickbooks.accounting",
              "redirect_uri": REDIRECT, "state": "xyz", **extra}
    r = client.get("/connect/oauth2", params=params)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def exchange(sb: QuickBooksSandbox, client: httpx.Client, code: str) -> httpx.Response:
    return client.post("/oauth2/v1/tokens/bearer", headers=basic(sb),
                       data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})


def test_authorize_redirects_with_code_state_and_realm(sb: QuickBooksSandbox) -> None:
    client = http(sb)
    params = authorize(sb, client)
    assert params["state"] == ["xyz"] and params["realmId"] == [sb.realm_ids[0]] and params["code"]
    second = authorize(sb, client, realmId=sb.realm_ids[1])
    assert second["realmId"] == [sb.realm_ids[1]]
    bad_scope = authorize(sb, client, scope="com.example.nothing")
    assert bad_scope["error"] == ["invalid_scope"] and bad_scope["state"] == ["xyz"]
    r = client.get("/connect/oauth2", params={"client_id": "someone-else", "response_type": "code",
                                               "scope": "com.intuit.quickbooks.accounting", "redirect_uri": REDIRECT})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def test_code_exchange_once_then_refresh_rotates(sb: QuickBooksSandbox) -> None:
    client = http(sb)
    code = authorize(sb, client)["code"][0]
    r = exchange(sb, client, code)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 100 * 86400 and "id_token" not in tokens
    again = exchange(sb, client, code)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}

    refreshed = client.post("/oauth2/v1/tokens/bearer", headers={
        **basic(sb), "x-include-refresh-token-hard-expires-in": "true"},
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"] and new["access_token"] != tokens["access_token"]
    assert 0 < new["x_refresh_token_hard_expires_in"] <= 5 * 365 * 86400
    old = client.post("/oauth2/v1/tokens/bearer", headers=basic(sb),
                      data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert old.status_code == 400 and old.json() == {"error": "invalid_grant"}
    wrong_secret = client.post("/oauth2/v1/tokens/bearer", auth=(sb.client_id, "nope"),
                               data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    # the client credentials may also come in the form body
    body_auth = client.post("/oauth2/v1/tokens/bearer", data={
        "grant_type": "refresh_token", "refresh_token": new["refresh_token"], "client_id": sb.client_id,
        "client_secret": sb.client_secret})
    assert body_auth.status_code == 200


def test_access_token_expires_after_an_hour_with_the_lowercase_401(sb: QuickBooksSandbox) -> None:
    qbo = QBO(sb)
    assert qbo.query("select count(*) from Customer")["totalCount"] > 0
    sb.advance_clock(3601)
    r = qbo.request("GET", "/companyinfo/" + qbo.realm)
    assert r.status_code == 401
    body = r.json()
    assert "Fault" not in body
    error = body["fault"]["error"][0]
    assert error["code"] == "3200" and "AuthenticationFailed" in error["message"]
    assert body["fault"]["type"] == "AUTHENTICATION" and "expired" in error["detail"].lower()


def test_revoking_ends_the_grant(sb: QuickBooksSandbox) -> None:
    client = http(sb)
    tokens = exchange(sb, client, authorize(sb, client)["code"][0]).json()
    qbo = QBO(sb, token=tokens["access_token"])
    assert qbo.ok("GET", "/preferences")["Preferences"]
    r = client.post("/v2/oauth2/tokens/revoke", headers=basic(sb), json={"token": tokens["refresh_token"]})
    assert r.status_code == 200
    assert qbo.request("GET", "/preferences").status_code == 401
    refresh = client.post("/oauth2/v1/tokens/bearer", headers=basic(sb),
                          data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_discovery_document_names_the_sandbox_endpoints(sb: QuickBooksSandbox) -> None:
    doc = http(sb).get("/.well-known/openid_configuration").json()
    assert doc["authorization_endpoint"] == "http://qbo.test/connect/oauth2"
    assert doc["token_endpoint"] == "http://qbo.test/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == "http://qbo.test/v2/oauth2/tokens/revoke"
    assert doc["issuer"] == "http://qbo.test/op/v1" and doc["jwks_uri"].endswith("/op/v1/jwks")
    keys = http(sb).get(doc["jwks_uri"].removeprefix("http://qbo.test")).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert http(sb).get("/.well-known/openid_sandbox_configuration/").json() == doc


def test_the_realm_in_the_path_must_be_the_tokens(sb: QuickBooksSandbox) -> None:
    other = sb.realm_ids[1]
    qbo = QBO(sb)                       # a token for the first company
    r = qbo.http.get(f"/v3/company/{other}/preferences", headers={"Authorization": f"Bearer {qbo.token}",
                                                                   "Accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["Fault"]["Error"][0]["code"] == "3100"
    missing = qbo.http.get(f"/v3/company/{qbo.realm}/preferences", headers={"Accept": "application/json"})
    assert missing.status_code == 401 and missing.json()["fault"]["error"][0]["code"] == "3200"
