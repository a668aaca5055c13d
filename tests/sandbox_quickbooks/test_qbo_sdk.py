"""The official SDKs, unmodified, against the sandbox over real HTTP: intuit-oauth (discovery, code exchange,
refresh, revocation, id_token checked against the JWKS) and python-quickbooks (queries, creates, sparse
updates, void, delete, batch, CDC, attachments). They are pointed at the sandbox the documented way: the
AuthClient's ``environment`` is the discovery URL, QuickBooks' ``api_url_v3`` class attribute the base URL."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, QuickbooksException, ValidationException
from quickbooks.objects.attachable import Attachable, AttachableRef
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine

from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig, RateLimit

pytestmark = pytest.mark.loopback
REDIRECT = "http://localhost:9999/callback"


@pytest.fixture(autouse=True)
def plain_http_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests-oauthlib refuses http:// unless told this is a local test (its documented switch)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[QuickBooksSandbox, str]]:
    sb = QuickBooksSandbox(QuickBooksSandboxConfig(seed=3, size=10, rate_limit=RateLimit.off()))
    with sb.run_in_thread() as origin:
        yield sb, origin
    sb.close()


def connect(sb: QuickBooksSandbox, origin: str, scopes: list | None = None) -> tuple[AuthClient, str]:
    """The whole authorization-code flow: the SDK's authorize URL, the redirect, the code exchange."""
    auth = AuthClient(sb.client_id, sb.client_secret, REDIRECT, origin + "/.well-known/openid_configuration")
    url = auth.get_authorization_url(scopes or [Scopes.ACCOUNTING], state_token="st-1")
    redirect = httpx.get(url, follow_redirects=False)
    assert redirect.status_code == 302
    params = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert params["state"] == ["st-1"]
    realm = params["realmId"][0]
    auth.get_bearer_token(params["code"][0], realm_id=realm)
    return auth, realm


def client(auth: AuthClient, realm: str, origin: str) -> QuickBooks:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qb = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token, company_id=realm, minorversion=75)
    qb.api_url_v3 = origin + "/v3"
    qb.sandbox_api_url_v3 = origin + "/v3"
    return qb


def test_oauth_flow_refresh_rotation_and_revocation(served: tuple[QuickBooksSandbox, str]) -> None:
    sb, origin = served
    auth, realm = connect(sb, origin, [Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])
    assert realm == sb.realm_ids[0]
    assert auth.id_token   # set only when its signature checked out against the sandbox's JWKS
    assert auth.expires_in == 3600 and auth.x_refresh_token_expires_in == 100 * 86400
    first = auth.refresh_token
    auth.refresh()
    assert auth.refresh_token != first
    stale = AuthClient(sb.client_id, sb.client_secret, REDIRECT, origin + "/.well-known/openid_configuration")
    with pytest.raises(AuthClientError) as err:
        stale.refresh(refresh_token=first)
    assert err.value.status_code == 400 and b"invalid_grant" in err.value.content
    info = auth.get_user_info()
    assert info.json()["email"].endswith("@sandbox.example")
    qb = client(auth, realm, origin)
    assert Customer.count(qb=qb) > 0
    auth.revoke(token=auth.refresh_token)
    with pytest.raises(AuthorizationException):
        Customer.count(qb=qb)


def test_queries_creates_sparse_updates_void_and_delete(served: tuple[QuickBooksSandbox, str]) -> None:
    sb, origin = served
    auth, realm = connect(sb, origin)
    qb = client(auth, realm, origin)
    customers = Customer.all(qb=qb, max_results=5)
    assert 0 < len(customers) <= 5 and all(int(c.Id) > 0 for c in customers)
    assert Customer.filter(Active=True, qb=qb)
    items = Item.all(qb=qb)                        # SELECT *, Sku FROM Item
    service = next(i for i in items if i.Type == "Service")
    assert Customer.where("DisplayName LIKE '%'", order_by="DisplayName", max_results=3, qb=qb)

    new = Customer()
    new.DisplayName = "SDK Customer"
    new.GivenName = "Sdk"
    saved = new.save(qb=qb)
    assert saved.Id and saved.SyncToken == "0"
    again = Customer()
    again.DisplayName = "SDK Customer"
    with pytest.raises(QuickbooksException) as dup:
        again.save(qb=qb)
    assert dup.value.error_code == 6240

    fresh = Customer.get(saved.Id, qb=qb)
    fresh.Notes = "full update through the SDK"
    updated = fresh.save(qb=qb)
    assert updated.SyncToken == "1" and updated.Notes == "full update through the SDK"
    assert updated.DisplayName == "SDK Customer" and updated.GivenName == "Sdk"
    fresh.Notes = "stale"
    with pytest.raises(QuickbooksException) as stale:
        fresh.save(qb=qb)
    assert stale.value.error_code == 5010

    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 250
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = service.to_ref()
    line.SalesItemLineDetail.Qty = 1
    line.SalesItemLineDetail.UnitPrice = 250
    invoice.Line.append(line)
    invoice.CustomerRef = updated.to_ref()
    created = invoice.save(qb=qb)
    assert created.TotalAmt >= 250 and created.Balance == created.TotalAmt and created.DocNumber

    sparse = Invoice()
    sparse.Id, sparse.SyncToken, sparse.sparse = created.Id, created.SyncToken, True
    sparse.PrivateNote = "sparse note"
    qb.update_object("Invoice", sparse.to_json())
    reread = Invoice.get(created.Id, qb=qb)
    assert reread.PrivateNote == "sparse note" and len(reread.Line) == len(created.Line)
    # a full update echoes everything the SDK read (MetaData, totals, the subtotal line, LinkedTxn)
    reread.CustomerMemo = None
    reread.PrivateNote = "full update"
    reread = reread.save(qb=qb)
    assert reread.SyncToken == "2" and reread.PrivateNote == "full update"
    assert reread.TotalAmt == created.TotalAmt and len(reread.Line) == len(created.Line)

    payment = Payment()
    payment.CustomerRef = updated.to_ref()
    payment.TotalAmt = 100
    pl = PaymentLine()
    pl.Amount = 100
    link = LinkedTxn()
    link.TxnId, link.TxnType = reread.Id, "Invoice"
    pl.LinkedTxn.append(link)
    payment.Line.append(pl)
    paid = payment.save(qb=qb)
    assert Invoice.get(created.Id, qb=qb).Balance == reread.TotalAmt - 100
    paid.void(qb=qb)                                   # operation=update&include=void, sparse
    assert Invoice.get(created.Id, qb=qb).Balance == reread.TotalAmt
    voided = Invoice.get(created.Id, qb=qb)
    voided.void(qb=qb)                                 # operation=void
    assert Invoice.get(created.Id, qb=qb).TotalAmt == 0
    Invoice.get(created.Id, qb=qb).delete(qb=qb)
    with pytest.raises(QuickbooksException) as gone:
        Invoice.get(created.Id, qb=qb)
    assert gone.value.error_code == 610

    with pytest.raises(ValidationException):
        qb.query("SELECT * FROM Invoice WHERE PrivateNote = 'x'")


def test_batch_cdc_attachments_and_token_refresh(served: tuple[QuickBooksSandbox, str]) -> None:
    sb, origin = served
    auth, realm = connect(sb, origin)
    qb = client(auth, realm, origin)
    batch = []
    for i in range(32):                                # the SDK sends chunks of 30
        c = Customer()
        c.DisplayName = f"Batch customer {i}"
        batch.append(c)
    batch[5].DisplayName = batch[4].DisplayName         # one duplicate: that item alone fails
    result = batch_create(batch, qb=qb)
    assert len(result.successes) == 31 and len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"
    assert sb.stats()["requests"]["by_endpoint"]["POST batch"] == 2

    # the SDK writes changedSince without an offset; the sandbox reads it in the company's zone
    since = datetime.now(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None) - timedelta(minutes=5)
    cdc = change_data_capture([Customer, Invoice], since, qb=qb)
    names = {c.DisplayName for c in cdc.Customer}
    assert "Batch customer 0" in names

    invoice = Invoice.all(max_results=1, qb=qb)[0]
    attachment = Attachable()
    ref = AttachableRef()
    ref.EntityRef = Ref()
    ref.EntityRef.type, ref.EntityRef.value = "Invoice", invoice.Id
    attachment.AttachableRef.append(ref)
    attachment.FileName = "receipt.txt"
    attachment.ContentType = "text/plain"
    attachment._FileBytes = b"paid in full\n" * 10
    saved = attachment.save(qb=qb)
    assert saved.Size == 130 and saved.TempDownloadUri
    assert httpx.get(saved.TempDownloadUri).content == b"paid in full\n" * 10
    listed = Attachable.where(f"AttachableRef.EntityRef.Value = '{invoice.Id}'", qb=qb)
    assert any(a.Id == saved.Id for a in listed)

    sb.advance_clock(3700)                             # the access token has expired
    try:
        with pytest.raises(AuthorizationException):
            Customer.count(qb=qb)
        auth.refresh()
        qb = client(auth, realm, origin)
        assert Customer.count(qb=qb) > 0
    finally:
        sb.advance_clock(-3700)
