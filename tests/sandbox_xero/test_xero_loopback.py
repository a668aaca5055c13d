"""Over real HTTP on 127.0.0.1: the OAuth dance, reads and writes, 429 headers, a dropped connection, webhooks
to a real receiver, the `scorolink sandbox xero` process, and state kept in a SQLite file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scorolink.sandbox.xero import Faults, RateLimit, XeroSandbox, XeroSandboxConfig
from tests.sandbox_fixtures import free_port, serve_command
from tests.sandbox_xero.xero_http import Xero, new_invoice

pytestmark = pytest.mark.loopback


def oauth(origin: str, client_id: str, secret: str) -> dict:
    redirect = "http://127.0.0.1:1/callback"
    with httpx.Client(base_url=origin) as http:
        r = http.get("/identity/connect/authorize", params={
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect, "state": "st",
            "scope": "offline_access accounting.transactions accounting.contacts accounting.settings"})
        code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
        r = http.post("/connect/token", data={"grant_type": "authorization_code", "code": code,
                                              "redirect_uri": redirect}, auth=(client_id, secret))
        assert r.status_code == 200
        return r.json()


def test_oauth_reads_writes_and_limits_over_http():
    sb = XeroSandbox(XeroSandboxConfig(size=10, rate_limit=RateLimit(per_minute=30)))
    with sb.run_in_thread() as origin:
        tok = oauth(origin, sb.client_id, sb.client_secret)
        conns = httpx.get(f"{origin}/connections", headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
        x = Xero(sb, tenant=conns[0]["tenantId"], token=tok["access_token"], origin=origin)
        body = x.ok("GET", "/Invoices", params={"page": 1, "pageSize": 5})
        assert body["pagination"]["pageSize"] == 5 and len(body["Invoices"]) == 5
        cid = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Over HTTP Ltd"}]})["ContactID"]
        inv = x.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(cid)]},
                    headers={"Idempotency-Key": "http-1"})
        r = x.get("/Invoices", params={"where": f'Contact.ContactID==Guid("{cid}")'})
        assert [i["InvoiceID"] for i in r.json()["Invoices"]] == [inv["InvoiceID"]]
        assert r.headers["x-minlimit-remaining"] == "26" and "x-daylimit-remaining" in r.headers
        sb.inject("drop")
        with pytest.raises(httpx.TransportError):
            x.get("/Contacts")
        stats = httpx.get(f"{origin}/_sandbox/stats").json()
        assert stats["requests"]["by_status"]["dropped"] == 1 and stats["writes"]["Invoices"]["created"] == 1
        for _ in range(30):
            last = x.get("/Organisation")
            if last.status_code == 429:
                break
        assert last.status_code == 429 and last.headers["x-rate-limit-problem"] == "minute"
        assert int(last.headers["retry-after"]) >= 1


def test_webhooks_reach_a_real_receiver():
    sb = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit.off()))
    received: list[dict] = []

    async def hook(request: Request) -> Response:
        body = await request.body()
        good = base64.b64encode(hmac.new(sb.webhook_key.encode(), body, hashlib.sha256).digest()).decode()
        if request.headers.get("x-xero-signature") != good:
            return Response(status_code=401)
        received.append(json.loads(body))
        return Response(status_code=200)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with sb.run_in_thread() as origin:
            reg = httpx.post(f"{origin}/_sandbox/webhooks", json={"url": f"http://127.0.0.1:{port}/hook"}).json()
            assert reg["intent_to_receive"]["passed"] is True and reg["status"] == "OK"
            x = Xero(sb, origin=origin)
            made = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Hooked Ltd"}]})
            assert httpx.post(f"{origin}/_sandbox/webhooks", json={"flush": True}).json()["delivered"] == 1
            event = received[-1]["events"][0]
            assert event["resourceId"] == made["ContactID"]
            assert event["resourceUrl"] == f"{origin}/api.xro/2.0/Contacts/{made['ContactID']}"
        # automatic delivery from a background thread
        auto = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit.off(), webhook_delivery="auto",
                                             webhook_interval_seconds=0.05))
        sb = auto  # the receiver checks signatures with this sandbox's key from now on
        assert auto.register_webhook(f"http://127.0.0.1:{port}/hook")["passed"] is True
        before = len(received)
        Xero(auto).ok("PUT", "/Contacts", json={"Contacts": [{"Name": "Auto Ltd"}]})
        deadline = time.monotonic() + 10
        while len(received) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert received[-1]["events"][0]["eventCategory"] == "CONTACT"
        auto.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_serve_command_prints_one_json_line_and_serves():
    port = free_port()
    with serve_command("from scorolink.sandbox.xero.cli import serve_command, parse_rate_limit; "
                       f"serve_command('127.0.0.1', {port}, None, 3, 8, 2, parse_rate_limit('minute=50'), 0.0)") \
            as (info, _):
        assert info["base_url"] == f"http://127.0.0.1:{port}/api.xro/2.0"
        assert {"token_url", "authorize_url", "connections_url", "client_id", "client_secret", "tenant_ids",
                "webhook_key"} <= info.keys()
        assert len(info["tenant_ids"]) == 2
        for _ in range(200):
            try:
                tok = oauth(info["base_url"].removesuffix("/api.xro/2.0"), info["client_id"], info["client_secret"])
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        r = httpx.get(info["base_url"] + "/Contacts", headers={"Authorization": f"Bearer {tok['access_token']}",
                                                               "xero-tenant-id": info["tenant_ids"][1],
                                                               "Accept": "application/json"})
        assert r.status_code == 200 and r.json()["Contacts"] and r.headers["x-minlimit-remaining"] == "49"


def test_state_survives_a_restart_with_a_data_file(tmp_path):
    path = str(tmp_path / "xero.sqlite")
    cfg = XeroSandboxConfig(size=6, data=path, rate_limit=RateLimit.off(), faults=Faults())
    sb = XeroSandbox(cfg)
    tok = sb.issue_token()
    x = Xero(sb, token=tok["access_token"])
    cid = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Persistent Ltd"}]})["ContactID"]
    inv = x.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(cid)]})
    before = {c: len(x.ok("GET", f"/{c}", params={"pageSize": 1000})[c]) for c in ("Invoices", "Contacts", "Items")}
    sb.close()
    again = XeroSandbox(cfg)
    y = Xero(again, token=tok["access_token"])                  # tokens and connections were kept too
    assert y.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")["Total"] == inv["Total"]
    assert {c: len(y.ok("GET", f"/{c}", params={"pageSize": 1000})[c]) for c in before} == before
    nxt = y.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(cid)]})
    assert int(nxt["InvoiceNumber"][4:]) == int(inv["InvoiceNumber"][4:]) + 1
    assert again.clock.now() >= sb.clock.now() - 1
    again.close()


def test_same_seed_same_data():
    a = XeroSandbox(XeroSandboxConfig(size=10, seed=4, rate_limit=RateLimit.off()))
    b = XeroSandbox(XeroSandboxConfig(size=10, seed=4, rate_limit=RateLimit.off()))
    c = XeroSandbox(XeroSandboxConfig(size=10, seed=5, rate_limit=RateLimit.off()))
    rows = [Xero(s, tenant=s.tenant_ids[0]).ok("GET", "/Invoices", params={"pageSize": 1000})["Invoices"]
            for s in (a, b, c)]
    assert rows[0] == rows[1] and rows[0] != rows[2]
    assert a.tenant_ids == b.tenant_ids != c.tenant_ids


def test_cli_command_serves_and_rejects_bad_options():
    port = free_port()
    exe = [sys.executable, "-c", "from scorolink.cli import main; main()"]
    proc = subprocess.Popen([*exe, "sandbox", "xero", "--port", str(port), "--tenants", "3", "--size", "5",
                             "--rate-limit", "minute=40,day=off", "--start-time", "2026-03-02T09:00:00+00:00"],
                            stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert len(info["tenant_ids"]) == 3 and info["base_url"].endswith(f":{port}/api.xro/2.0")
        clock = httpx.get(info["sandbox_url"] + "/stats").json()["clock"]  # fixed: not the wall clock
        assert 1772442000 <= clock < 1772442000 + 3600
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([*exe, "sandbox", "xero", "--rate-limit", "minute=lots"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--rate-limit: minute must be a whole number or 'off'" in bad.stderr
    bad = subprocess.run([*exe, "sandbox", "xero", "--fault-rate", "3"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--fault-rate must be between 0 and 1" in bad.stderr
    bad = subprocess.run([*exe, "sandbox", "xero", "--start-time", "yesterday"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--start-time 'yesterday' is not an ISO instant" in bad.stderr


def test_serve_command_subscribes_a_webhook_url():
    key: dict[str, str] = {}
    received: list[dict] = []

    async def hook(request: Request) -> Response:
        body = await request.body()
        good = base64.b64encode(hmac.new(key["k"].encode(), body, hashlib.sha256).digest()).decode()
        if request.headers.get("x-xero-signature") != good:
            return Response(status_code=401)
        received.append(json.loads(body))
        return Response(status_code=200)

    hook_port, port = free_port(), free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                           host="127.0.0.1", port=hook_port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    code = ("from scorolink.sandbox.xero.cli import serve_command; "
            f"serve_command('127.0.0.1', {port}, None, 2, 4, 1, None, 0.0, 'http://127.0.0.1:{hook_port}/hook')")
    try:
        with serve_command(code, stderr=subprocess.PIPE) as (info, proc):
            key["k"] = info["webhook_key"]
            itr = json.loads(proc.stderr.readline())
            assert itr["intent_to_receive"]["passed"] is True
            origin = info["base_url"].removesuffix("/api.xro/2.0")
            token = httpx.post(f"{origin}/_sandbox/token", json={}).json()["access_token"]
            httpx.put(info["base_url"] + "/Contacts", json={"Contacts": [{"Name": "Pushed Ltd"}]},
                      headers={"Authorization": f"Bearer {token}", "xero-tenant-id": info["tenant_ids"][0],
                               "Accept": "application/json"}).raise_for_status()
            deadline = time.monotonic() + 10
            while not any(p["events"] for p in received) and time.monotonic() < deadline:
                time.sleep(0.05)
            events = [e for p in received for e in p["events"]]
            assert events and events[0]["eventCategory"] == "CONTACT" and events[0]["eventType"] == "CREATE"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
