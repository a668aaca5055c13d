"""Batch (B9), requestid idempotency (B8) and attachments (B12)."""

from __future__ import annotations

import base64
import json

from scorolink.sandbox.quickbooks import QuickBooksSandbox
from tests.sandbox_quickbooks.qbo_http import QBO, invoice_body


def test_batch_answers_each_item_on_its_own(sb: QuickBooksSandbox, qbo: QBO, customer: dict) -> None:
    vendor = qbo.first("Vendor")
    items = [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
        {"bId": "2", "operation": "create", "Customer": {"DisplayName": customer["DisplayName"]}},   # 6240
        {"bId": "3", "Query": "select count(*) from Customer"},
        {"bId": "4", "operation": "update", "Vendor": {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"],
                                                       "sparse": True, "Notes": "batched"}},
        {"bId": "5", "operation": "update", "Vendor": {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"],
                                                       "sparse": True, "Notes": "stale"}},          # 5010
    ]
    body = qbo.ok("POST", "/batch", json={"BatchItemRequest": items})
    answers = {a["bId"]: a for a in body["BatchItemResponse"]}
    assert [a["bId"] for a in body["BatchItemResponse"]] == ["1", "2", "3", "4", "5"]
    assert answers["1"]["Customer"]["DisplayName"] == "Batch One"
    assert answers["2"]["Fault"]["Error"][0]["code"] == "6240" and answers["2"]["Fault"]["type"] == "ValidationFault"
    # the query ran after item 1, but cannot see what the batch created
    assert answers["3"]["QueryResponse"]["totalCount"] == \
        qbo.query("select count(*) from Customer")["totalCount"] - 1
    assert answers["4"]["Vendor"]["Notes"] == "batched"
    assert answers["5"]["Fault"]["Error"][0]["code"] == "5010"
    assert sb.stats()["batch_items"] == 5 and sb.stats()["requests"]["by_endpoint"]["POST batch"] == 1


def test_batch_items_cannot_see_objects_created_earlier_in_it(qbo: QBO, service_item: dict) -> None:
    body = qbo.ok("POST", "/batch", json={"BatchItemRequest": [
        {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Brand New"}},
    ]})
    made = body["BatchItemResponse"][0]["Customer"]
    # once the batch is over it is visible
    assert qbo.read("Customer", made["Id"])["DisplayName"] == "Brand New"
    body = qbo.ok("POST", "/batch", json={"BatchItemRequest": [
        {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Newer"}},
        {"bId": "i", "operation": "create", "Invoice": invoice_body(str(int(made["Id"]) + 1), service_item["Id"])},
    ]})
    answers = body["BatchItemResponse"]
    assert answers[0]["Customer"]["Id"] == str(int(made["Id"]) + 1)
    assert answers[1]["Fault"]["Error"][0]["code"] == "2500"


def test_batch_of_more_than_30_is_refused_whole(sb: QuickBooksSandbox, qbo: QBO) -> None:
    before = qbo.query("select count(*) from Customer")["totalCount"]
    items = [{"bId": str(i), "operation": "create", "Customer": {"DisplayName": f"C{i}"}} for i in range(31)]
    err = qbo.fault("POST", "/batch", "1040", json={"BatchItemRequest": items})
    assert "30" in err["Detail"]
    assert qbo.query("select count(*) from Customer")["totalCount"] == before
    ok = qbo.ok("POST", "/batch", json={"BatchItemRequest": items[:30]})
    assert len(ok["BatchItemResponse"]) == 30 and all("Customer" in a for a in ok["BatchItemResponse"])


def test_requestid_replays_the_first_answer(sb: QuickBooksSandbox, qbo: QBO) -> None:
    before = qbo.query("select count(*) from Customer")["totalCount"]
    first = qbo.ok("POST", "/customer", json={"DisplayName": "Once Only"}, params={"requestid": "req-1"})
    again = qbo.ok("POST", "/customer", json={"DisplayName": "Once Only"}, params={"requestid": "req-1"})
    assert again == first
    assert qbo.query("select count(*) from Customer")["totalCount"] == before + 1
    assert sb.stats()["requestid_replays"] == 1
    assert sb.stats()["writes"]["Customer"] == {"create": 1}
    # another company's requestid space is its own
    other = QBO(sb, sb.realm_ids[1])
    assert other.ok("POST", "/customer", json={"DisplayName": "Once Only"}, params={"requestid": "req-1"})[
        "Customer"]["Id"]
    assert qbo.fault("POST", "/customer", "2050", json={"DisplayName": "Long"}, params={"requestid": "x" * 51})
    batch = {"BatchItemRequest": [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batched Once"}}]}
    one = qbo.ok("POST", "/batch", json=batch, params={"requestid": "b-1"})
    two = qbo.ok("POST", "/batch", json=batch, params={"requestid": "b-1"})
    assert one == two and "Customer" in one["BatchItemResponse"][0]


def test_requestid_reused_with_another_body_can_be_an_error(sb: QuickBooksSandbox) -> None:
    from scorolink.sandbox.quickbooks import QuickBooksSandboxConfig, RateLimit

    strict = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=2, rate_limit=RateLimit.off(),
                                                       requestid_reuse="error"))
    try:
        client = QBO(strict)
        client.ok("POST", "/customer", json={"DisplayName": "First"}, params={"requestid": "r"})
        assert client.fault("POST", "/customer", "600", json={"DisplayName": "Second"}, params={"requestid": "r"})
    finally:
        strict.close()


def multipart(boundary: str, meta: str, content: bytes, ctype: str, newline: bytes, b64: bool) -> bytes:
    nl = newline
    data = base64.b64encode(content) if b64 else content
    parts = [b"--" + boundary.encode(), b'Content-Disposition: form-data; name="file_metadata_01"',
             b"Content-Type: application/json", b"", meta.encode(),
             b"--" + boundary.encode(),
             b'Content-Disposition: form-data; name="file_content_01"; filename="scan.pdf"',
             b"Content-Type: " + ctype.encode()]
    if b64:
        parts.append(b"Content-Transfer-Encoding: base64")
    parts += [b"", data, b"--" + boundary.encode() + b"--", b""]
    return nl.join(parts)


def test_upload_binary_and_base64_parts_and_download(qbo: QBO) -> None:
    invoice = qbo.first("Invoice")
    meta = json.dumps({"AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice["Id"]}}],
                       "FileName": "scan.pdf", "ContentType": "application/pdf"})
    pdf = b"%PDF-1.4\r\n\x00\x01binary\r\n--not a boundary\r\n"
    for newline, b64 in ((b"\r\n", False), (b"\n", True)):
        body = multipart("xYzZY", meta, pdf, "application/pdf", newline, b64)
        r = qbo.request("POST", "/upload", content=body,
                        headers={"Content-Type": "multipart/form-data; boundary=xYzZY"})
        assert r.status_code == 200, r.text
        att = r.json()["AttachableResponse"][0]["Attachable"]
        assert att["Size"] == len(pdf) and att["FileName"] == "scan.pdf"
        assert att["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": invoice["Id"]}
        url = qbo.request("GET", f"/download/{att['Id']}")
        assert url.status_code == 200 and url.headers["content-type"].startswith("text/plain")
        file = qbo.http.get(url.text.removeprefix("http://qbo.test"))
        assert file.status_code == 200 and file.content == pdf
        assert file.headers["content-type"] == "application/pdf"
        assert qbo.http.get(att["TempDownloadUri"].removeprefix("http://qbo.test")).content == pdf
    found = qbo.query(f"select * from Attachable where AttachableRef.EntityRef.Type = 'Invoice' and "
                      f"AttachableRef.EntityRef.Value = '{invoice['Id']}'")["Attachable"]
    assert len([a for a in found if a.get("Size")]) == 2


def test_download_urls_expire(sb: QuickBooksSandbox, qbo: QBO) -> None:
    invoice = qbo.first("Invoice")
    meta = json.dumps({"AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice["Id"]}}]})
    body = multipart("b", meta, b"hello", "text/plain", b"\r\n", False).replace(b"scan.pdf", b"note.txt")
    att = qbo.ok("POST", "/upload", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})[
        "AttachableResponse"][0]["Attachable"]
    assert att["FileName"] == "note.txt"
    path = att["TempDownloadUri"].removeprefix("http://qbo.test")
    sb.advance_clock(901)
    assert qbo.http.get(path).status_code == 403
    assert qbo.http.get(path.replace("signature=", "signature=0")).status_code == 403


def test_attachable_rules(qbo: QBO) -> None:
    invoice = qbo.first("Invoice")
    ref = [{"EntityRef": {"type": "Invoice", "value": invoice["Id"]}}]
    err = qbo.fault("POST", "/attachable", "6000", json={"AttachableRef": ref})
    assert "note string or file attachment" in err["Detail"]
    note = qbo.create("Attachable", {"AttachableRef": ref, "Note": "call the client"})
    assert note["Note"] == "call the client" and "Size" not in note
    bad = multipart("b", '{"FileName": "evil.exe"}', b"MZ", "application/octet-stream", b"\r\n", False)
    r = qbo.ok("POST", "/upload", content=bad.replace(b"scan.pdf", b"evil.exe"),
               headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r["AttachableResponse"][0]["Fault"]["Error"][0]["code"] == "6000"
    gone = qbo.ok("POST", "/attachable", params={"operation": "delete"},
                  json={"Id": note["Id"], "SyncToken": note["SyncToken"]})
    assert gone["Attachable"]["status"] == "Deleted"


def test_upload_size_limit(sb: QuickBooksSandbox) -> None:
    from scorolink.sandbox.quickbooks import QuickBooksSandboxConfig, RateLimit

    small = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=2, rate_limit=RateLimit.off(),
                                                      upload_max_bytes=1000))
    try:
        client = QBO(small)
        body = multipart("b", "{}", b"x" * 2000, "text/plain", b"\r\n", False)
        assert client.fault("POST", "/upload", "6030", content=body,
                            headers={"Content-Type": "multipart/form-data; boundary=b"})
    finally:
        small.close()


def test_unknown_route_and_missing_accept(qbo: QBO) -> None:
    assert qbo.fault("GET", "/nothing/here", "500")
    r = qbo.http.get(f"{qbo.base}/preferences", headers={"Authorization": f"Bearer {qbo.token}"})
    assert r.status_code == 406 and "Accept: application/json" in r.text
