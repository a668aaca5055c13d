"""Raw HTTP helpers (plain httpx) for the QuickBooks sandbox tests: in-process through an ASGI transport or
over real HTTP when given an origin."""

from __future__ import annotations

from typing import Any

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.sandbox.quickbooks import QuickBooksSandbox


class QBO:
    """Speaks to one realm with a bearer token, JSON in and out."""

    def __init__(self, sb: QuickBooksSandbox, realm: str | None = None, token: str | None = None,
                 origin: str | None = None) -> None:
        self.sb = sb
        self.realm = realm or sb.realm_ids[0]
        self.token = token or sb.issue_token(self.realm)["access_token"]
        if origin:
            self.http = httpx.Client(base_url=origin, timeout=20)
        else:
            self.http = httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://qbo.test", timeout=20)

    @property
    def base(self) -> str:
        return f"/v3/company/{self.realm}"

    def request(self, method: str, path: str, json: Any = None, params: dict | None = None,
                headers: dict | None = None, content: bytes | str | None = None) -> httpx.Response:
        return self.http.request(method, self.base + path, json=json, content=content,
                                 params={"minorversion": "75", **(params or {})},
                                 headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                                          **(headers or {})})

    def ok(self, method: str, path: str, **kw: Any) -> dict:
        r = self.request(method, path, **kw)
        assert r.status_code == 200, (r.status_code, r.text)
        body = r.json()
        assert "Fault" not in body, body
        return body

    def fault(self, method: str, path: str, code: str, status: int = 400, **kw: Any) -> dict:
        r = self.request(method, path, **kw)
        assert r.status_code == status, (r.status_code, r.text)
        error = r.json()["Fault"]["Error"][0]
        assert error["code"] == code, error
        assert error["Message"]
        return error

    def query(self, statement: str) -> dict:
        return self.ok("POST", "/query", content=statement, headers={"Content-Type": "application/text"})[
            "QueryResponse"]

    def create(self, entity: str, body: dict, **kw: Any) -> dict:
        return self.ok("POST", f"/{entity.lower()}", json=body, **kw)[entity]

    def read(self, entity: str, rid: str) -> dict:
        return self.ok("GET", f"/{entity.lower()}/{rid}")[entity]

    def first(self, entity: str, where: str = "") -> dict:
        rows = self.query(f"select * from {entity} {where} maxresults 1").get(entity)
        assert rows, f"no {entity} {where}"
        return rows[0]


def invoice_body(customer_id: str, item_id: str, amount: float = 100.0, **extra: Any) -> dict:
    return {"CustomerRef": {"value": customer_id},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                      "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1, "UnitPrice": amount}}],
            **extra}
