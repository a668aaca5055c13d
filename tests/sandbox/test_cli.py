import json
import socket
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_prints_one_json_line_and_serves() -> None:
    port = free_port()
    code = ("from scorolink.sandbox.scoro.cli import serve_command; "
            f"serve_command('127.0.0.1', {port}, None, 3, 200, 2, 50, 1000, 0.0, True)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["base_url"] == f"http://127.0.0.1:{port}/api/v2"
        assert {"api_key", "company_account_id", "username", "password", "timezone", "sites"} <= info.keys()
        assert len(info["sites"]) == 2
        for _ in range(100):
            try:
                r = httpx.post(info["base_url"] + "/contacts/list",
                               json={"apiKey": info["api_key"], "company_account_id": info["company_account_id"]})
                break
            except httpx.ConnectError:
                import time

                time.sleep(0.05)
        assert r.status_code == 200 and r.json()["data"] and r.headers["x-ratelimit-limit"] == "50"
        token = httpx.post(info["base_url"] + "/userAuth/modify",
                           json={"company_account_id": info["company_account_id"], "username": info["username"],
                                 "password": info["password"]}).json()["data"]["token"]
        assert token
    finally:
        proc.terminate()
        proc.wait(timeout=10)
