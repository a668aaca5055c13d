"""Attachments (A10): raw bytes by file name, list, fetch by id or name, POST replaces, at most 10 per
document, a size limit, IncludeOnline, HasAttachments; no DELETE."""

from __future__ import annotations

from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from tests.sandbox_xero.xero_http import Xero, new_invoice

OCTET = {"Content-Type": "application/octet-stream"}


def upload(xero: Xero, path: str, name: str, data: bytes, method: str = "PUT", **params):
    return xero.request(method, f"{path}/Attachments/{name}", content=data, headers=OCTET, params=params or None)


def test_upload_list_fetch_replace(xero, contact_id):
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id)]})
    path = f"/Invoices/{inv['InvoiceID']}"
    r = upload(xero, path, "scan%20one.pdf", b"%PDF-1.4 first", IncludeOnline="True")
    assert r.status_code == 200
    att = r.json()["Attachments"][0]
    assert att["FileName"] == "scan one.pdf" and att["MimeType"] == "application/pdf"
    assert att["ContentLength"] == 14 and att["IncludeOnline"] is True
    assert att["Url"].endswith(f"/api.xro/2.0/Invoices/{inv['InvoiceID']}/Attachments/scan%20one.pdf")
    listed = xero.ok("GET", f"{path}/Attachments")["Attachments"]
    assert [a["AttachmentID"] for a in listed] == [att["AttachmentID"]]
    for key in (att["AttachmentID"], "scan%20one.pdf"):
        got = xero.get(f"{path}/Attachments/{key}", headers={"Accept": "application/octet-stream",
                                                            "contentType": "application/pdf"})
        assert got.status_code == 200 and got.content == b"%PDF-1.4 first"
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"] == "attachment; filename=scan one.pdf"
    # PUT with the same name is refused, POST replaces
    assert upload(xero, path, "scan%20one.pdf", b"again").status_code == 400
    replaced = upload(xero, path, "scan%20one.pdf", b"%PDF-1.4 second", method="POST").json()["Attachments"][0]
    assert replaced["AttachmentID"] == att["AttachmentID"] and replaced["ContentLength"] == 15
    assert xero.get(f"{path}/Attachments/{att['AttachmentID']}").content == b"%PDF-1.4 second"
    assert xero.one("GET", path, "Invoices")["HasAttachments"] is True
    assert xero.request("DELETE", f"{path}/Attachments/{att['AttachmentID']}").status_code == 405


def test_contacts_and_accounts_take_attachments_too(xero, contact_id):
    assert upload(xero, f"/Contacts/{contact_id}", "card.png", b"\x89PNG").json()["Attachments"][0]["MimeType"] == \
        "image/png"
    assert xero.one("GET", f"/Contacts/{contact_id}", "Contacts")["HasAttachments"] is True
    account = xero.ok("GET", "/Accounts")["Accounts"][0]
    assert upload(xero, f"/Accounts/{account['AccountID']}", "a.txt", b"x").status_code == 200
    assert xero.get("/Items/CONSULT/Attachments").status_code == 404


def test_ten_per_document_and_size_limit(contact_id):
    sb = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit.off(), attachment_max_bytes=100))
    x = Xero(sb)
    cid = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Files Ltd"}]})["ContactID"]
    path = f"/Contacts/{cid}"
    for n in range(10):
        assert upload(x, path, f"f{n}.txt", b"data").status_code == 200
    r = upload(x, path, "f10.txt", b"data")
    assert r.status_code == 400 and "at most 10 attachments" in r.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert upload(x, path, "f0.txt", b"new", method="POST").status_code == 200   # replacing is not adding
    other = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Big Files Ltd"}]})["ContactID"]
    big = upload(x, f"/Contacts/{other}", "big.bin", b"x" * 101)
    assert big.status_code == 400 and "maximum attachment size is 100 bytes" in big.text
    assert upload(x, f"/Contacts/{other}", "empty.bin", b"").status_code == 400


def test_default_size_limit_is_the_smallest_reported(xero):
    assert xero.sb.config.attachment_max_bytes == 3 * 1024 * 1024
