"""Raw HTTP helpers (plain httpx) for the Xero sandbox tests: in-process through an ASGI transport or over
real HTTP when given a base URL."""

from __future__ import annotations

import re
from typing import Any

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.sandbox.xero import XeroSandbox

API = "/api.xro/2.0"
NET_DATE = re.compile(r"^/Date\(-?\d+(\+0000)?\)/$")


class Xero:
    """Speaks to one tenant with a bearer token, JSON in and out."""

    def __init__(self, sb: XeroSandbox, tenant: str | None = None, token: str | None = None,
                 origin: str | None = None) -> None:
        self.sb = sb
        self.tenant = tenant or sb.tenant_ids[0]
        self.token = token or sb.issue_token()["access_token"]
        if origin:
            self.http = httpx.Client(base_url=origin, timeout=10)
        else:
            self.http = httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://xero.test", timeout=10)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "xero-tenant-id": self.tenant,
                "Accept": "application/json", **extra}

    def request(self, method: str, path: str, json: Any = None, params: dict | None = None,
                headers: dict | None = None, content: bytes | None = None) -> httpx.Response:
        return self.http.request(method, API + path, json=json, params=params, content=content,
                                 headers={**self.headers(), **(headers or {})})

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> dict:
        r = self.request(method, path, **kw)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def one(self, method: str, path: str, key: str, **kw: Any) -> dict:
        items = self.ok(method, path, **kw)[key]
        assert len(items) == 1, items
        return items[0]

    def all(self, coll: str, **params: Any) -> list[dict]:
        rows, page = [], 1
        while True:
            body = self.ok("GET", f"/{coll}", params={**params, "page": page, "pageSize": 100})
            rows += body[coll]
            if page >= body["pagination"]["pageCount"]:
                return rows
            page += 1


def find_nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in find_nulls(v, f"{path}[{i}]")]
    return []


def new_invoice(contact_id: str, status: str = "AUTHORISED", amount: float = 100.0, **extra: Any) -> dict:
    return {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": status, "Date": "2026-03-01",
            "DueDate": "2026-03-15", "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}],
            **extra}
