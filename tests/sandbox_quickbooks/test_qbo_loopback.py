"""The sandbox over real HTTP on 127.0.0.1: the OAuth flow and API calls, the serve entry point as a
subprocess (it binds first, then prints one JSON line; a busy port is a clear error), and state kept in a
data file across restarts."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig, RateLimit

pytestmark = pytest.mark.loopback
REDIRECT = "http://127.0.0.1:1/cb"


def connect(origin: str, client_id: str, secret: str, realm: str | None = None) -> tuple[dict, str]:
    params = {"client_id": client_id, "response_type": "code", "scope": "com.intuit.quickbooks.accounting",
              "redirect_uri": REDIRECT, "state": "s"}
    if realm:
        params["realmId"] = realm
    r = httpx.get(origin + "/connect/oauth2", params=params)
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    tokens = httpx.post(origin + "/oauth2/v1/tokens/bearer", auth=(client_id, secret),
                        data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT})
    assert tokens.status_code == 200, tokens.text
    return tokens.json(), query["realmId"][0]


def api(origin: str, realm: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{origin}/v3/company/{realm}", params={"minorversion": 75}, timeout=20,
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})


def test_oauth_reads_writes_batch_upload_and_limits_over_http() -> None:
    sb = QuickBooksSandbox(QuickBooksSandboxConfig(size=6, rate_limit=RateLimit(per_minute=40, per_second=None)))
    with sb.run_in_thread() as origin:
        tokens, realm = connect(origin, sb.client_id, sb.client_secret, sb.realm_ids[1])
        assert realm == sb.realm_ids[1]
        c = api(origin, realm, tokens["access_token"])
        page = c.post("/query", content="select * from Customer maxresults 2",
                      headers={"Content-Type": "application/text"}).json()["QueryResponse"]
        assert len(page["Customer"]) == 2
        made = c.post("/customer", json={"DisplayName": "Over HTTP", "CurrencyRef": {"value": "EUR"}},
                      params={"requestid": "http-1"}).json()["Customer"]
        assert made["CurrencyRef"]["value"] == "EUR"
        batch = c.post("/batch", json={"BatchItemRequest": [
            {"bId": "a", "operation": "update", "Customer": {"Id": made["Id"], "SyncToken": "0", "sparse": True,
                                                             "Notes": "batched"}},
            {"bId": "b", "Query": f"select * from Customer where Id = '{made['Id']}'"}]}).json()
        assert batch["BatchItemResponse"][0]["Customer"]["SyncToken"] == "1"
        # python-quickbooks' own upload body: bare LF line endings, base64 content
        body = ("\n--B\nContent-Disposition: form-data; name=\"file_metadata_01\"\nContent-Type: application/json\n\n"
                + json.dumps({"AttachableRef": [{"EntityRef": {"type": "Customer", "value": made["Id"]}}],
                              "FileName": "contract.txt", "ContentType": "text/plain"})
                + "\n\n--B\nContent-Disposition: form-data; name=\"file_content_01\"\nContent-Type: text/plain\n"
                  "Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"signed").decode() + "\n\n--B--\n")
        up = c.post("/upload", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"})
        att = up.json()["AttachableResponse"][0]["Attachable"]
        assert att["Size"] == 6 and httpx.get(att["TempDownloadUri"]).content == b"signed"
        refreshed = httpx.post(origin + "/oauth2/v1/tokens/bearer", auth=(sb.client_id, sb.client_secret),
                               data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
        c = api(origin, realm, refreshed.json()["access_token"])
        statuses = [c.get("/preferences").status_code for _ in range(40)]
        assert statuses.count(429) >= 1 and statuses[0] == 200
        stats = httpx.get(origin + "/_sandbox/stats").json()
        assert stats["rate_limited"]["minute"] == statuses.count(429)
        assert stats["requests"]["by_endpoint"]["POST upload"] == 1
        sb.advance_clock(61)                      # out of the throttled minute
        sb.inject("drop")
        with pytest.raises(httpx.HTTPError):
            api(origin, realm, refreshed.json()["access_token"]).get("/companyinfo/" + realm)
    sb.close()


def serve_proc(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scorolink.sandbox.quickbooks", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_prints_one_json_line_after_binding_and_serves() -> None:
    proc = serve_proc("--port", "0", "--size", "4", "--realms", "3")
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        port = urlsplit(line["base_url"]).port
        # bound before the line was printed: connecting works at once
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        assert line["base_url"] == f"http://127.0.0.1:{port}/v3"
        assert line["authorize_url"].endswith("/connect/oauth2")
        assert line["token_url"].endswith("/oauth2/v1/tokens/bearer")
        assert line["discovery_url"].endswith("/.well-known/openid_configuration")
        assert line["client_id"] and line["client_secret"] and len(line["realm_ids"]) == 3
        origin = f"http://127.0.0.1:{port}"
        assert httpx.get(line["discovery_url"], timeout=10).json()["token_endpoint"] == line["token_url"]
        tokens, realm = connect(origin, line["client_id"], line["client_secret"], line["realm_ids"][2])
        info = api(origin, realm, tokens["access_token"]).get(f"/companyinfo/{realm}").json()["CompanyInfo"]
        assert info["Country"] == "AU"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert proc.returncode == 0


def test_serve_on_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = serve_proc("--port", str(port), "--size", "2")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out == ""                       # nothing printed: the line comes only once the port is ours
    assert f"127.0.0.1:{port}" in err and "--port 0" in err and "Traceback" not in err
    # the same port, once free, is served
    proc = serve_proc("--port", str(port), "--size", "2")
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["base_url"] == f"http://127.0.0.1:{port}/v3"
        assert httpx.get(line["discovery_url"], timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert proc.returncode == 0


def test_state_and_tokens_survive_a_restart_with_a_data_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = str(tmp_path / "qbo.db")
    first = QuickBooksSandbox(QuickBooksSandboxConfig(size=4, data=data, rate_limit=RateLimit.off()))
    tokens = first.issue_token()
    with first.run_in_thread() as origin:
        c = api(origin, first.realm_ids[0], tokens["access_token"])
        made = c.post("/customer", json={"DisplayName": "Persistent Ltd"}).json()["Customer"]
        count = c.post("/query", content="select count(*) from Invoice",
                       headers={"Content-Type": "application/text"}).json()["QueryResponse"]["totalCount"]
    first.close()
    second = QuickBooksSandbox(QuickBooksSandboxConfig(size=4, data=data, rate_limit=RateLimit.off()))
    with second.run_in_thread() as origin:
        c = api(origin, second.realm_ids[0], tokens["access_token"])
        assert c.get(f"/customer/{made['Id']}").json()["Customer"]["DisplayName"] == "Persistent Ltd"
        assert c.post("/query", content="select count(*) from Invoice",
                      headers={"Content-Type": "application/text"}).json()["QueryResponse"]["totalCount"] == count
        again = c.post("/customer", json={"DisplayName": "Second Run"}).json()["Customer"]
        assert int(again["Id"]) == int(made["Id"]) + 1
    second.close()
