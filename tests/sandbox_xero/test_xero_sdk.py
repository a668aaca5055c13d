"""The official xero-python SDK (15.2.0), unmodified, against the sandbox over real HTTP: it parses every
reply, and its If-Modified-Since (the real time, as ISO 8601) finds what was just written, because the
sandbox clock is the wall clock by default. A fixed clock (`start_time`) stays available for tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig

xero_python = pytest.importorskip("xero_python", reason="the test extra installs xero-python==15.2.0")

from xero_python.accounting import (  # noqa: E402
    Account,
    AccountingApi,
    Contact,
    Contacts,
    Invoice,
    Invoices,
    Item,
    Items,
    LineItem,
    Payment,
    Payments,
)
from xero_python.api_client import ApiClient, Configuration  # noqa: E402
from xero_python.api_client.oauth2 import OAuth2Token  # noqa: E402
from xero_python.identity import IdentityApi  # noqa: E402

pytestmark = pytest.mark.loopback


@pytest.fixture
def sdk() -> Iterator[tuple[XeroSandbox, AccountingApi, str]]:
    """(sandbox, the SDK's AccountingApi pointed at it over HTTP, tenant id)."""
    sb = XeroSandbox(XeroSandboxConfig(size=6, rate_limit=RateLimit.off()))
    token = sb.issue_token()
    with sb.run_in_thread() as origin:
        client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id=sb.client_id,
                                                                  client_secret=sb.client_secret)), pool_threads=1)
        held: dict[str, Any] = {**token, "expires_at": time.time() + token["expires_in"]}
        client.oauth2_token_getter(lambda: held)
        client.oauth2_token_saver(held.update)
        yield sb, AccountingApi(client, base_url=f"{origin}/api.xro/2.0"), sb.tenant_ids[0]
    sb.close()


def test_sdk_reads_and_writes_parse(sdk):
    _sb, api, tenant = sdk
    invoices = api.get_invoices(tenant, page=1, page_size=5).invoices
    assert len(invoices) == 5 and all(i.invoice_id and i.updated_date_utc for i in invoices)
    contact = api.create_contacts(tenant, Contacts(contacts=[Contact(name="SDK Customer Ltd")])).contacts[0]
    assert contact.contact_id and contact.name == "SDK Customer Ltd"
    item = api.create_items(tenant, Items(items=[Item(code="SDK-1", name="SDK item")])).items[0]
    assert item.item_id and item.code == "SDK-1"
    due = api.get_invoices(tenant, where='Type=="ACCREC" AND Status=="AUTHORISED"', page=1).invoices
    invoice = next(i for i in due if i.amount_due)
    payment = api.create_payments(tenant, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=invoice.invoice_id), account=Account(code="090"), amount=1.0,
        date=invoice.date)])).payments[0]
    assert payment.payment_id and payment.status == "AUTHORISED"
    [again] = api.get_invoices(tenant, i_ds=[invoice.invoice_id]).invoices  # the IDs list parameter
    assert again.amount_paid == (invoice.amount_paid or 0) + 1
    connections = IdentityApi(api.api_client, base_url=api.base_url.rsplit("/api.xro", 1)[0]).get_connections()
    assert tenant in {c.tenant_id for c in connections}


def test_if_modified_since_with_real_time_finds_new_records(sdk):
    sb, api, tenant = sdk
    assert sb.clock.is_realtime and abs(sb.clock.now() - time.time()) < 5  # the wall clock by default
    since = datetime.now(UTC)  # the current time, taken just before the writes: no margin
    contact = api.create_contacts(tenant, Contacts(contacts=[Contact(name="Fresh Ltd")])).contacts[0]
    line = LineItem(description="Work", quantity=1.0, unit_amount=10.0, account_code="200")
    made = api.create_invoices(tenant, Invoices(invoices=[Invoice(
        type="ACCREC", contact=Contact(contact_id=contact.contact_id), line_items=[line], status="DRAFT",
        date=datetime.now(UTC).date())])).invoices[0]
    assert abs(made.updated_date_utc.timestamp() - time.time()) < 60  # UpdatedDateUTC is now, not months ago
    reply, status, headers = api.get_invoices(tenant, if_modified_since=since, _return_http_data_only=False)
    assert status == 200
    served_at = parsedate_to_datetime(headers["Date"])  # the HTTP Date and UpdatedDateUTC tell the same time
    assert abs(made.updated_date_utc.timestamp() - served_at.timestamp()) < 5
    found = reply.invoices
    assert [i.invoice_id for i in found] == [made.invoice_id]  # only what changed since (generated data is older)
    contacts = api.get_contacts(tenant, if_modified_since=since).contacts
    assert contact.contact_id in {c.contact_id for c in contacts}
    assert api.get_invoices(tenant, if_modified_since=datetime.now(UTC) + timedelta(minutes=5)).invoices == []


def test_fixed_clock_stays_available():
    sb = XeroSandbox(XeroSandboxConfig(size=2, rate_limit=RateLimit.off(), start_time="2026-03-02T09:00:00+00:00"))
    try:
        assert not sb.clock.is_realtime
        assert datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp() <= sb.clock.now() < datetime(
            2026, 3, 2, 10, tzinfo=UTC).timestamp()
    finally:
        sb.close()
