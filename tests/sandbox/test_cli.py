import httpx
import pytest
from tests.sandbox_fixtures import free_port, serve_command

pytestmark = pytest.mark.loopback


def test_serve_command_prints_one_json_line_and_serves() -> None:
    port = free_port()
    with serve_command("from scorolink.sandbox.scoro.cli import serve_command; "
                       f"serve_command('127.0.0.1', {port}, None, 3, 200, 2, 50, 1000, 0.0, True)") as (info, _):
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
