"""Reads (B2, B4, B5): the query language and its paging, the envelopes, CompanyInfo and Preferences, CDC
with tombstones and its 30-day window, minorversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scorolink.sandbox.quickbooks import QuickBooksSandbox
from tests.sandbox_quickbooks.qbo_http import QBO


def test_query_get_and_post_forms_and_envelope(qbo: QBO) -> None:
    via_get = qbo.ok("GET", "/query", params={"query": "select * from Customer maxresults 3"})
    assert set(via_get) == {"QueryResponse", "time"}
    rows = via_get["QueryResponse"]["Customer"]
    assert len(rows) == 3 and via_get["QueryResponse"]["startPosition"] == 1
    assert via_get["QueryResponse"]["maxResults"] == 3
    for row in rows:
        assert row["Id"].isdigit() and row["SyncToken"].isdigit() and row["domain"] == "QBO"
        assert row["MetaData"]["CreateTime"] and not any(k.startswith("_") for k in row)
    via_post = qbo.query("SELECT * FROM Customer MAXRESULTS 3")
    assert [r["Id"] for r in via_post["Customer"]] == [r["Id"] for r in rows]


def test_keywords_and_names_ignore_case_and_both_order_by_spellings(qbo: QBO) -> None:
    a = qbo.query("select * from customer where active = true orderby displayname desc maxresults 5")["Customer"]
    b = qbo.query("SELECT * FROM Customer  WHERE Active = True ORDER BY DisplayName DESC MAXRESULTS 5 ")["Customer"]
    assert [r["Id"] for r in a] == [r["Id"] for r in b]
    names = [r["DisplayName"].lower() for r in a]
    assert names == sorted(names, reverse=True)
    items = qbo.query("SELECT *, Sku FROM Item")["Item"]                     # python-quickbooks' Item.all()
    assert any(i.get("Sku") for i in items)


def test_paging_with_startposition_and_count(qbo: QBO) -> None:
    total = qbo.query("select count(*) from Invoice")
    assert set(total) == {"totalCount"} and total["totalCount"] == 12
    seen: list[str] = []
    start = 1
    while True:
        page = qbo.query(f"select * from Invoice orderby Id startposition {start} maxresults 5")
        if "Invoice" not in page:
            assert page == {}                   # an empty result leaves the entity key out
            break
        assert page["startPosition"] == start and page["maxResults"] == len(page["Invoice"])
        seen += [r["Id"] for r in page["Invoice"]]
        start += 5
    assert len(seen) == len(set(seen)) == 12
    assert qbo.fault("GET", "/query", "4001", params={"query": "select * from Invoice maxresults 1001"})


def test_filters_in_like_dates_and_refs(qbo: QBO) -> None:
    invoices = qbo.query("select * from Invoice maxresults 1000")["Invoice"]
    first = invoices[0]
    by_ids = qbo.query(f"select * from Invoice where Id in ('{first['Id']}', '{invoices[1]['Id']}')")["Invoice"]
    assert {r["Id"] for r in by_ids} == {first["Id"], invoices[1]["Id"]}
    cust = first["CustomerRef"]["value"]
    mine = qbo.query(f"select * from Invoice where CustomerRef = '{cust}'")["Invoice"]
    assert mine and all(r["CustomerRef"]["value"] == cust for r in mine)
    assert len(mine) == sum(1 for r in invoices if r["CustomerRef"]["value"] == cust)
    big = qbo.query("select * from Invoice where TotalAmt > '500'").get("Invoice", [])
    assert len(big) == sum(1 for r in invoices if r["TotalAmt"] > 500)
    recent_day = sorted(r["TxnDate"] for r in invoices)[-3]
    recent = qbo.query(f"select * from Invoice where TxnDate >= '{recent_day}'")["Invoice"]
    assert len(recent) == sum(1 for r in invoices if r["TxnDate"] >= recent_day)
    stamp = sorted(r["MetaData"]["LastUpdatedTime"] for r in invoices)[-2]
    changed = qbo.query(f"select * from Invoice where Metadata.LastUpdatedTime >= '{stamp}'")["Invoice"]
    assert len(changed) == 2
    customer = qbo.read("Customer", cust)
    prefix = customer["DisplayName"][:3]
    liked = qbo.query(f"select * from Customer where DisplayName like '{prefix}%'")["Customer"]
    assert customer["Id"] in {r["Id"] for r in liked}
    assert all(r["DisplayName"].lower().startswith(prefix.lower()) for r in liked)


def test_quotes_escape_and_errors(qbo: QBO) -> None:
    qbo.create("Customer", {"DisplayName": "O'Brien Consulting"})
    rows = qbo.query("select * from Customer where DisplayName = 'O\\'Brien Consulting'")["Customer"]
    assert rows[0]["DisplayName"] == "O'Brien Consulting"
    assert qbo.fault("GET", "/query", "4001", params={"query": "select * from Invoice where PrivateNote = 'x'"})
    assert qbo.fault("GET", "/query", "4001", params={"query": "select * from Invoice where Id > '3'"})
    assert qbo.fault("GET", "/query", "4000", params={
        "query": "select * from Invoice where TotalAmt > '1' or TotalAmt < '0'"})
    assert qbo.fault("GET", "/query", "4000", params={"query": "select DocNumber from Invoice"})
    assert qbo.fault("GET", "/query", "4000", params={"query": "select * from Nothing"})


def test_inactive_names_are_hidden_unless_active_is_filtered(qbo: QBO, customer: dict) -> None:
    qbo.ok("POST", "/customer", json={"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True,
                                      "Active": False})
    default = qbo.query("select * from Customer maxresults 1000")["Customer"]
    assert customer["Id"] not in {r["Id"] for r in default}
    both = qbo.query("select * from Customer where Active in (true, false) maxresults 1000")["Customer"]
    assert customer["Id"] in {r["Id"] for r in both}
    assert len(both) == len(default) + 1
    assert qbo.read("Customer", customer["Id"])["Active"] is False


def test_companyinfo_and_preferences(sb: QuickBooksSandbox, qbo: QBO, uk: QBO) -> None:
    info = qbo.ok("GET", f"/companyinfo/{qbo.realm}")["CompanyInfo"]
    assert info["Country"] == "US" and info["CompanyName"]
    assert qbo.query("select * from CompanyInfo")["CompanyInfo"][0]["CompanyName"] == info["CompanyName"]
    us = qbo.ok("GET", "/preferences")["Preferences"]
    assert us["CurrencyPrefs"] == {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}}
    assert us["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is True
    gb = uk.query("select * from Preferences")["Preferences"][0]
    assert gb["CurrencyPrefs"]["MultiCurrencyEnabled"] is True and gb["CurrencyPrefs"]["HomeCurrency"]["value"] == "GBP"
    assert gb["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is False
    assert gb["TaxPrefs"]["UsingSalesTax"] is True


def test_seed_data_is_deterministic(sb: QuickBooksSandbox) -> None:
    from scorolink.sandbox.quickbooks import QuickBooksSandboxConfig, RateLimit

    other = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=12, rate_limit=RateLimit.off()))
    try:
        assert other.realm_ids == sb.realm_ids
        for entity in ("Customer", "Invoice", "Item", "Bill"):
            mine = [{k: v for k, v in r.items() if k not in ("MetaData",) and not k.startswith("_")}
                    for r in sb.company(sb.realm_ids[1]).all(entity)]
            theirs = [{k: v for k, v in r.items() if k not in ("MetaData",) and not k.startswith("_")}
                      for r in other.company(sb.realm_ids[1]).all(entity)]
            assert mine == theirs
    finally:
        other.close()


def test_projects_are_customers_with_isproject(qbo: QBO) -> None:
    jobs = qbo.query("select * from Customer where Job = true")["Customer"]
    projects = [c for c in jobs if c.get("IsProject")]
    assert projects
    for p in projects:
        parent = qbo.read("Customer", p["ParentRef"]["value"])
        assert p["FullyQualifiedName"] == f"{parent['DisplayName']}:{p['DisplayName']}" and p["Level"] == 1
    # IsProject is read-only over REST: setting it on create is ignored
    made = qbo.create("Customer", {"DisplayName": "Not a project", "IsProject": True})
    assert made["IsProject"] is False
    assert qbo.fault("GET", "/query", "4001", params={"query": "select * from Customer where IsProject = true"})
    with_ref = qbo.query(f"select * from Invoice where ProjectRef = '{projects[0]['Id']}'")
    assert all(r["ProjectRef"]["value"] == projects[0]["Id"] for r in with_ref.get("Invoice", []))


def test_cdc_changes_and_tombstones(sb: QuickBooksSandbox, qbo: QBO, customer: dict, service_item: dict) -> None:
    now = datetime.fromtimestamp(sb.clock.now(), UTC)
    since = (now - timedelta(seconds=5)).isoformat()
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 10, "SalesItemLineDetail": {
            "ItemRef": {"value": service_item["Id"]}}}]})
    qbo.ok("POST", "/invoice", params={"operation": "delete"},
           json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]})
    body = qbo.ok("GET", "/cdc", params={"entities": "Customer,Invoice,Vendor", "changedSince": since})
    groups = body["CDCResponse"][0]["QueryResponse"]
    assert len(groups) == 3
    customers, invoices, vendors = groups
    assert [c["Id"] for c in customers["Customer"]] == [customer["Id"]]
    assert invoices["Invoice"] == [{"domain": "QBO", "status": "Deleted", "Id": invoice["Id"],
                                    "MetaData": invoices["Invoice"][0]["MetaData"]}]
    assert vendors == {}
    everything = qbo.ok("GET", "/cdc", params={"entities": "Customer",
                                               "changedSince": (now - timedelta(days=29)).isoformat()})
    changed = everything["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    total = qbo.query("select count(*) from Customer where Active in (true, false)")["totalCount"]
    assert 0 < len(changed) < total          # the oldest customers fall outside the window


def test_cdc_window_and_excluded_entities(sb: QuickBooksSandbox, qbo: QBO) -> None:
    old = (datetime.fromtimestamp(sb.clock.now(), UTC) - timedelta(days=31)).isoformat()
    err = qbo.fault("GET", "/cdc", "2010", params={"entities": "Invoice", "changedSince": old})
    assert "30 days" in err["Detail"]
    recent = (datetime.fromtimestamp(sb.clock.now(), UTC) - timedelta(days=1)).isoformat()
    assert "TaxCode" in qbo.fault("GET", "/cdc", "2010", params={"entities": "TaxCode",
                                                                 "changedSince": recent})["Detail"]
    assert qbo.fault("GET", "/cdc", "2020", params={"entities": "Invoice"})


def test_cdc_caps_the_answer(sb: QuickBooksSandbox, qbo: QBO) -> None:
    from scorolink.sandbox.quickbooks import QuickBooksSandboxConfig, RateLimit

    small = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=12, rate_limit=RateLimit.off(),
                                                      cdc_max_objects=7))
    try:
        client = QBO(small)
        since = (datetime.fromtimestamp(small.clock.now(), UTC) - timedelta(days=29)).isoformat()
        groups = client.ok("GET", "/cdc", params={"entities": "Invoice,Customer", "changedSince": since})[
            "CDCResponse"][0]["QueryResponse"]
        assert sum(len(g.get("Invoice", g.get("Customer", []))) for g in groups) == 7
    finally:
        small.close()


def test_minorversion_below_the_floor_is_ignored_or_refused(sb: QuickBooksSandbox, qbo: QBO) -> None:
    assert qbo.ok("GET", "/preferences", params={"minorversion": "4"})["Preferences"]
    assert qbo.fault("GET", "/preferences", "2010", params={"minorversion": "abc"})
    assert sb.stats()["minorversions"] == {"4": 1, "abc": 1}
    from scorolink.sandbox.quickbooks import QuickBooksSandboxConfig, RateLimit

    strict = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=2, rate_limit=RateLimit.off(),
                                                       minorversion_below_floor="refuse"))
    try:
        client = QBO(strict)
        assert "75" in client.fault("GET", "/preferences", "2010", params={"minorversion": "70"})["Detail"]
        assert client.ok("GET", "/preferences", params={"minorversion": "75"})
    finally:
        strict.close()
