"""Raw HTTP helpers (plain httpx, in-process through ASGI) for the Scoro sandbox tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from scorolink.sandbox.scoro import ScoroSandbox


class Client:
    """Posts JSON bodies with the site's API key (or a user token) to an in-process sandbox."""

    def __init__(self, sb: ScoroSandbox, site: int = 0, token: str | None = None, account: str | None = None) -> None:
        self.sb, self.info = sb, sb.sites[site]
        self.auth: dict[str, Any] = {"company_account_id": account or self.info["company_account_ids"][0]}
        if token:
            self.auth["user_token"] = token
        else:
            self.auth["apiKey"] = self.info["api_key"]

    def raw(self, path: str, body: Any = None, method: str = "POST") -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.sb.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
                return await client.request(method, path, json=body)

        return asyncio.run(go())

    def __call__(self, path: str, auth: bool = True, **body: Any) -> tuple[int, dict]:
        r = self.raw(f"{self.info['base_path']}/{path}", {**(self.auth if auth else {}), **body})
        return r.status_code, r.json()

    def data(self, path: str, **body: Any) -> Any:
        status, env = self(path, **body)
        assert env["status"] == "OK", env
        return env.get("data")

    def all(self, module: str, **body: Any) -> list[dict]:
        rows, page = [], 1
        while True:
            chunk = self.data(f"{module}/list", page=page, per_page=100, **body)
            rows += chunk
            if len(chunk) < 100:
                return rows
            page += 1


def login(sb: ScoroSandbox, user: dict, site: int = 0) -> str:
    c = Client(sb, site)
    status, env = c("userAuth/modify", auth=False, company_account_id=c.auth["company_account_id"],
                    username=user["username"], password=user["password"], device_type="server",
                    device_name="tests", device_id="t-1", request={})
    assert status == 200 and env["status"] == "OK", env
    return env["data"]["token"]
