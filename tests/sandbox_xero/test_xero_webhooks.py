"""Webhooks (A11): intent-to-receive round, signed batches of CONTACT / INVOICE / CREDITNOTE events, retries
of failed deliveries and the subscription disabled after a day of failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from scorolink.sandbox.xero import sign_webhook
from tests.sandbox_xero.xero_http import new_invoice


class Receiver:
    """A well-behaved webhook endpoint: 200 with no body to a good signature, 401 to a bad one."""

    def __init__(self, key: str, fail: bool = False, always_ok: bool = False) -> None:
        self.key, self.fail, self.always_ok = key, fail, always_ok
        self.payloads: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        expected = base64.b64encode(hmac.new(self.key.encode(), body, hashlib.sha256).digest()).decode()
        if not self.always_ok and not hmac.compare_digest(expected, request.headers["x-xero-signature"]):
            return httpx.Response(401)
        if self.fail:
            return httpx.Response(500)
        self.payloads.append(json.loads(body))
        return httpx.Response(200)

    @property
    def events(self) -> list[dict]:
        return [e for p in self.payloads for e in p["events"]]


def subscribe(sb, receiver: Receiver) -> dict:
    return sb.register_webhook("http://receiver.test/xero", transport=httpx.MockTransport(receiver))


def test_intent_to_receive_passes_for_a_correct_receiver(sb):
    rec = Receiver(sb.webhook_key)
    result = subscribe(sb, rec)
    assert result["passed"] is True
    assert [r["status"] for r in result["results"]] == [200, 401]
    assert rec.payloads[0]["events"] == [] and rec.payloads[0]["entropy"]
    assert sb.stats()["webhooks"]["status"] == "OK"


def test_intent_to_receive_fails_when_the_signature_is_not_checked(sb, xero):
    rec = Receiver(sb.webhook_key, always_ok=True)
    result = subscribe(sb, rec)
    assert result["passed"] is False and result["results"][1]["status"] == 200
    xero.ok("PUT", "/Contacts", json={"Contacts": [{"Name": "Queued"}]})
    assert sb.flush_webhooks() == {"status": "PENDING", "delivered": 0, "queued": 1}   # not until ITR passes
    rec.always_ok = False
    assert sb.webhooks.intent_to_receive()["passed"] is True
    assert sb.flush_webhooks()["delivered"] == 1 and rec.events[0]["eventCategory"] == "CONTACT"


def test_events_are_signed_and_shaped_like_xero(sb, xero, contact_id):
    rec = Receiver(sb.webhook_key)
    subscribe(sb, rec)
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id)]})
    xero.ok("POST", f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Reference": "changed"}]})
    cn = xero.one("PUT", "/CreditNotes", "CreditNotes", json={"CreditNotes": [{
        "Type": "ACCPAYCREDIT", "Contact": {"ContactID": contact_id}, "Status": "DRAFT", "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "c", "Quantity": 1, "UnitAmount": 5, "AccountCode": "429"}]}]})
    xero.ok("PUT", "/Items", json={"Items": [{"Code": "NO-HOOK"}]})          # items have no webhooks
    result = sb.flush_webhooks()
    assert result["delivered"] == 3
    payload = rec.payloads[-1]
    assert set(payload) == {"events", "firstEventSequence", "lastEventSequence", "entropy"}
    assert (payload["firstEventSequence"], payload["lastEventSequence"]) == (1, 3)
    kinds = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in payload["events"]]
    assert kinds == [("INVOICE", "CREATE", inv["InvoiceID"]), ("INVOICE", "UPDATE", inv["InvoiceID"]),
                     ("CREDITNOTE", "CREATE", cn["CreditNoteID"])]
    ev = payload["events"][0]
    assert set(ev) == {"resourceUrl", "resourceId", "eventDateUtc", "eventType", "eventCategory", "tenantId",
                       "tenantType"}
    assert ev["tenantId"] == sb.tenant_ids[0] and ev["tenantType"] == "ORGANISATION"
    assert ev["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{inv['InvoiceID']}")
    assert payload["events"][2]["data"] == {"Type": "ACCPAYCREDIT", "Status": "DRAFT"}
    # the next batch continues the sequence
    xero.ok("POST", f"/Contacts/{contact_id}", json={"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    sb.flush_webhooks()
    last = rec.payloads[-1]
    assert last["firstEventSequence"] == 4 and last["events"][0]["eventCategory"] == "CONTACT"
    assert last["events"][0]["eventType"] == "UPDATE"                     # archiving is an update


def test_failed_deliveries_are_retried_then_the_subscription_is_disabled(sb, xero, contact_id):
    rec = Receiver(sb.webhook_key)
    subscribe(sb, rec)
    rec.fail = True
    xero.ok("PUT", "/Invoices", json={"Invoices": [new_invoice(contact_id)]})
    first = sb.flush_webhooks()
    assert first["delivered"] == 0 and first["queued"] == 1 and first["http_status"] == 500
    rec.fail = False
    assert sb.flush_webhooks()["delivered"] == 1 and len(rec.events) == 1      # at least once
    rec.fail = True
    xero.ok("PUT", "/Invoices", json={"Invoices": [new_invoice(contact_id)]})
    sb.flush_webhooks()
    sb.advance_clock(86400)
    assert sb.flush_webhooks()["status"] == "DISABLED"
    assert sb.stats()["webhooks"]["failed_deliveries"] == 3


def test_sign_matches_xero_definition():
    body = b'{"events":[]}'
    expected = base64.b64encode(hmac.new(b"key", body, hashlib.sha256).digest()).decode()
    assert sign_webhook("key", body) == expected
