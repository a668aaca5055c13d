"""The Accounting API under ``/v3/company/{realmId}``: routing of one call to the company (reads, query, CDC,
writes, batch, upload, download), the envelopes with ``time`` (B2), and Faults as QuickBooks writes them."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from .company import Company, blank, clean
from .config import QuickBooksSandboxConfig
from .entities import SPECS
from .upload import parse_multipart
from .wire import QBOError, stamp


@dataclass
class Call:
    method: str
    realm: str
    parts: list[str]
    query: dict[str, str]           # parameter names lower-cased
    headers: dict[str, str]
    body: bytes
    origin: str


@dataclass
class Reply:
    status: int
    payload: Any                    # a dict (JSON), str (text) or bytes
    headers: dict[str, str] = field(default_factory=dict)


def endpoint_name(method: str, parts: list[str]) -> str:
    """``GET invoice/{id}``, ``POST invoice``, ``POST query``, ``GET cdc``, ``GET companyinfo/{id}`` …"""
    if not parts:
        return f"{method} /"
    head = parts[0].lower()
    return f"{method} {head}" + ("/{id}" if len(parts) > 1 else "") + ("/" + parts[2].lower() if len(parts) > 2
                                                                       else "")


class Api:
    def __init__(self, config: QuickBooksSandboxConfig, secret: bytes) -> None:
        self.cfg = config
        self._secret = secret

    # -- rendering --------------------------------------------------------------------------------------
    def render(self, co: Company, rec: dict, origin: str) -> dict:
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        if rec.get("_file"):
            out["FileAccessUri"] = f"/v3/company/{co.realm}/download/{rec['Id']}"
            out["TempDownloadUri"] = self.temp_url(co, rec["Id"], origin)
        return out

    def temp_url(self, co: Company, rid: str, origin: str) -> str:
        expires = int(co.now()) + self.cfg.download_url_seconds
        return f"{origin}/_sandbox/files/{co.realm}/{rid}?expires={expires}&signature={self.sign(co.realm, rid, expires)}"

    def sign(self, realm: str, rid: str, expires: int) -> str:
        return hmac.new(self._secret, f"{realm}/{rid}/{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def envelope(self, co: Company, body: dict) -> dict:
        return {**body, "time": stamp(co.now(), co.tz, millis=True)}

    def fault(self, co: Company, err: QBOError) -> Reply:
        return Reply(err.status, self.envelope(co, {"Fault": err.fault()}))

    # -- one call ---------------------------------------------------------------------------------------
    def handle(self, co: Company, call: Call) -> Reply:
        try:
            return self._route(co, call)
        except QBOError as err:
            return self.fault(co, err)

    def _route(self, co: Company, call: Call) -> Reply:
        parts, method = call.parts, call.method
        head = parts[0].lower() if parts else ""
        if head == "query" and method in ("GET", "POST"):
            text = call.query.get("query") if method == "GET" else call.body.decode("utf-8", "replace")
            if blank(text) and method == "POST":
                text = call.query.get("query")
            if blank(text):
                raise QBOError("4000", "QueryParserError: no query: send GET ?query=<statement> or POST the "
                                       "statement with Content-Type: application/text")
            return Reply(200, self.envelope(co, {"QueryResponse": self._rendered_query(co, str(text), call.origin)}))
        if head == "cdc" and method == "GET":
            groups = co.cdc(call.query.get("entities", ""), call.query.get("changedsince", ""))
            rendered = [{k: ([self.render(co, r, call.origin) for r in v] if isinstance(v, list) else v)
                         for k, v in g.items()} for g in groups]
            return Reply(200, self.envelope(co, {"CDCResponse": [{"QueryResponse": rendered}]}))
        if head == "batch" and method == "POST":
            return Reply(200, self.envelope(co, {"BatchItemResponse": self._batch(co, self._json(call.body),
                                                                                  call.origin)}))
        if head == "upload" and method == "POST":
            return Reply(200, self.envelope(co, {"AttachableResponse": self._upload(co, call)}))
        if head == "download" and method == "GET" and len(parts) == 2:
            if co.file_of(parts[1]) is None:
                raise QBOError("610", f"Object Not Found : Attachable {parts[1]} has no file to download",
                               element="Id")
            return Reply(200, self.temp_url(co, parts[1], call.origin), {"content-type": "text/plain"})
        if head == "companyinfo" and method == "GET":
            if len(parts) != 2 or parts[1] != co.realm:
                raise QBOError("610", f"Object Not Found : CompanyInfo {parts[1] if len(parts) > 1 else ''} is not "
                                      f"this company; ask for companyinfo/{co.realm}", element="Id")
            return Reply(200, self.envelope(co, {"CompanyInfo": co.company_info()}))
        if head == "preferences" and method == "GET":
            return Reply(200, self.envelope(co, {"Preferences": co.preferences()}))
        spec = SPECS.get(head)
        if spec is not None and method == "GET" and len(parts) == 2:
            rec = co.read(spec.name, parts[1])
            return Reply(200, self.envelope(co, {spec.name: self.render(co, rec, call.origin)}))
        if spec is not None and method == "POST" and len(parts) == 1:
            body = self._json(call.body)
            rec = co.write(spec.name, body, call.query.get("operation"), call.query.get("include"))
            return Reply(200, self.envelope(co, {spec.name: self.render(co, rec, call.origin)}))
        raise QBOError("500", f"Unsupported Operation : {method} /v3/company/{{realmId}}/{'/'.join(parts)} is not "
                              "part of this API", element="Operation", status=400)

    def _json(self, raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise QBOError("2010", f"Request has invalid or unsupported property: the body is not JSON ({exc})") \
                from None

    def _rendered_query(self, co: Company, text: str, origin: str) -> dict:
        result = co.query(text)
        return {k: ([self.render(co, r, origin) for r in v] if isinstance(v, list) else v) for k, v in result.items()}

    def _batch(self, co: Company, body: Any, origin: str) -> list[dict]:
        items = body.get("BatchItemRequest") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise QBOError("2010", "The body must be {\"BatchItemRequest\": [...]}", element="BatchItemRequest")
        if len(items) > self.cfg.batch_max_items:
            raise QBOError("1040", f"Batch size exceeds allowed limit: {len(items)} items were sent; the limit is "
                                   f"{self.cfg.batch_max_items}", element="BatchItemRequest")
        out: list[dict] = []
        with co.batch():
            for item in items:
                out.append(self._batch_item(co, item, origin))
        return out

    def _batch_item(self, co: Company, item: Any, origin: str) -> dict:
        if not isinstance(item, dict):
            return {"Fault": QBOError("2010", "A BatchItemRequest must be an object").fault()}
        bid = item.get("bId")
        try:
            if "Query" in item:
                return {"bId": bid, "QueryResponse": self._rendered_query(co, str(item["Query"]), origin)}
            names = [k for k in item if k.lower() in SPECS and k not in ("bId",)]
            if len(names) != 1:
                raise QBOError("2010", "A BatchItemRequest holds one entity object (or a Query) besides bId and "
                                       "operation")
            spec = SPECS[names[0].lower()]
            op = str(item.get("operation") or "create").lower()
            body = item[names[0]]
            if not isinstance(body, dict):
                raise QBOError("2010", f"{names[0]} must be an object")
            if op == "create":
                body = {k: v for k, v in clean(body).items() if k not in ("Id", "SyncToken")}
                rec = co.write(spec.name, body)
            elif op == "update":
                if blank(body.get("Id")):
                    raise QBOError("2020", "Required param missing, need to supply the required value for the "
                                           "API: Id (operation update)", element="Id")
                rec = co.write(spec.name, body)
            elif op in ("delete", "void"):
                rec = co.write(spec.name, body, op)
            else:
                raise QBOError("2010", f"operation must be create, update or delete, not {op!r}",
                               element="operation")
            return {"bId": bid, spec.name: self.render(co, rec, origin)}
        except QBOError as err:
            return {"bId": bid, "Fault": err.fault()}

    def _upload(self, co: Company, call: Call) -> list[dict]:
        if len(call.body) > self.cfg.upload_max_bytes:
            raise QBOError("6030", f"Attachment size exceeds the allowed limit: the request is {len(call.body)} "
                                   f"bytes; at most {self.cfg.upload_max_bytes}")
        parts = parse_multipart(call.body, call.headers.get("content-type", ""))
        metas = {p.name[len("file_metadata_"):]: p for p in parts if p.name.startswith("file_metadata_")}
        contents = [p for p in parts if p.name.startswith("file_content_")]
        if not contents:
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: a "
                                   "file_content_NN part", element="file_content_01")
        out: list[dict] = []
        for part in contents:
            suffix = part.name[len("file_content_"):]
            try:
                meta_part = metas.get(suffix)
                meta = self._json(meta_part.data) if meta_part is not None else {}
                if not isinstance(meta, dict):
                    raise QBOError("2010", f"file_metadata_{suffix} must be an Attachable object")
                meta = meta.get("Attachable", meta)
                rec = co.attach_file(meta, part.data, part.filename, part.content_type)
                out.append({"Attachable": self.render(co, rec, call.origin)})
            except QBOError as err:
                out.append({"Fault": err.fault()})
        return out
