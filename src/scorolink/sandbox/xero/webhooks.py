"""Webhook sender (A11): events for CONTACT, INVOICE and CREDITNOTE changes, batched into Xero's payload and
signed with ``x-xero-signature`` = base64(HMAC-SHA256(webhook key, raw body)). A subscription delivers only
after its Intent to Receive round passes (200 to a good signature, 401 to a bad one, empty body, in time);
failed deliveries stay queued and are retried, and the subscription is disabled after a day of failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

CATEGORIES = {"Contacts": ("CONTACT", "ContactID"), "Invoices": ("INVOICE", "InvoiceID"),
              "CreditNotes": ("CREDITNOTE", "CreditNoteID")}


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


class Webhooks:
    def __init__(self, key: str, now: Callable[[], float], seed: int, timeout: float, disable_after: int) -> None:
        self.key, self.now, self.timeout, self.disable_after = key, now, timeout, disable_after
        self._rng = random.Random(f"webhooks:{seed}")
        self._lock = threading.Lock()
        self.url: str | None = None
        self.status = "NONE"            # NONE, PENDING (ITR not passed), OK, DISABLED
        self.transport: httpx.BaseTransport | None = None
        self.queue: list[dict] = []
        self.sequence = 0
        self.first_failure: float | None = None
        self.stats = {"events": 0, "delivered_events": 0, "deliveries": 0, "failed_deliveries": 0}
        self.origin = "https://api.xero.com"

    def register(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        with self._lock:
            self.url, self.transport, self.status, self.first_failure = url, transport, "PENDING", None

    def _entropy(self) -> str:
        return "".join(self._rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(20))

    def _post(self, body: bytes, signature: str) -> tuple[int | None, bytes]:
        assert self.url is not None
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                r = client.post(self.url, content=body, headers={"content-type": "application/json",
                                                                 "x-xero-signature": signature})
                return r.status_code, r.content
        except httpx.HTTPError:
            return None, b""

    def intent_to_receive(self) -> dict:
        """Xero's ITR round: one correctly signed and one wrongly signed empty payload."""
        if self.url is None:
            raise ValueError("no webhook URL registered; register one first")
        results = []
        for good in (True, False):
            body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                               "entropy": self._entropy()}, separators=(",", ":")).encode()
            signature = sign(self.key, body) if good else sign(self.key + "-wrong", body)
            status, content = self._post(body, signature)
            results.append({"signature": "valid" if good else "invalid", "status": status,
                            "ok": status == (200 if good else 401) and not content})
        passed = all(r["ok"] for r in results)
        with self._lock:
            self.status = "OK" if passed else "PENDING"
        return {"passed": passed, "results": results}

    def event(self, tenant: str, coll: str, rec: dict, created: bool) -> None:
        if coll not in CATEGORIES or self.status == "NONE":
            return
        category, id_field = CATEGORIES[coll]
        stamp = datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        ev: dict[str, Any] = {"resourceUrl": f"{self.origin}/api.xro/2.0/{coll}/{rec[id_field]}",
                              "resourceId": rec[id_field], "eventDateUtc": stamp,
                              "eventType": "CREATE" if created else "UPDATE", "eventCategory": category,
                              "tenantId": tenant, "tenantType": "ORGANISATION"}
        if category == "CREDITNOTE":
            ev["data"] = {"Type": rec["Type"], "Status": rec["Status"]}
        with self._lock:
            self.queue.append(ev)
            self.stats["events"] += 1

    def flush(self) -> dict:
        """Deliver the queued events in one signed batch (at least once: a failed batch is sent again)."""
        with self._lock:
            if self.status != "OK" or not self.queue or self.url is None:
                return {"status": self.status, "delivered": 0, "queued": len(self.queue)}
            events = list(self.queue)
            first = self.sequence + 1
        body = json.dumps({"events": events, "firstEventSequence": first, "lastEventSequence": first + len(events) - 1,
                           "entropy": self._entropy()}, separators=(",", ":")).encode()
        status, _ = self._post(body, sign(self.key, body))
        with self._lock:
            self.stats["deliveries"] += 1
            if status == 200:
                del self.queue[:len(events)]
                self.sequence += len(events)
                self.first_failure = None
                self.stats["delivered_events"] += len(events)
                return {"status": self.status, "delivered": len(events), "queued": len(self.queue)}
            self.stats["failed_deliveries"] += 1
            now = self.now()
            self.first_failure = self.first_failure or now
            if now - self.first_failure >= self.disable_after:
                self.status = "DISABLED"
            return {"status": self.status, "delivered": 0, "queued": len(self.queue), "http_status": status}

    def describe(self) -> dict:
        with self._lock:
            return {"url": self.url, "status": self.status, "queued": len(self.queue), "sequence": self.sequence,
                    **self.stats}
