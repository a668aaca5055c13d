"""Scoro's side of every sync category, written once for any counterpart (Xero, QuickBooks, a
database): how Scoro's records read as the shared values of sync.categories and how shared values
become Scoro records, the lookups that turn Scoro ids into the codes shared values carry, the
Scoro bookmarks that limit what is pushed, and the adapters that read and write them.

Shared models (plain values; references as in sides.Refs; accounts and tax rates by their codes):
- tax_rates: code, name, percent;   accounts: code, name, sales, purchases, active;
- tracking: name, symbol;   contacts: see sync.scoro_contacts;
- products: code, name, description, sales_price, purchase_price, sales_account, tax_code;
- invoices, credit_notes and bills: number, contact, date, due_date, currency, status (draft |
  authorised), reference, lines [description, quantity, unit_price, discount, item_code,
  account_code, tax_code, tracking]; a credit note also `credits` (the invoice it credits);
- receipts: date, amount, reference, kind (invoices | bills), document;
- credit_applications: credit_note, invoices (the invoices a credit note's credit is applied to, sorted);
- projects: name, client.

A counterpart pairs these adapters with its own (integrations/<name>/) and never changes them; what
a Scoro mapping needs to know of the counterpart is passed in as a function (`counterpart_item`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError
from scorolink.sync.categories import SideAdapter, document_total, norm
from scorolink.sync.model import Refused, SideRecord, WriteOutcome, WriteRequest
from scorolink.sync.scoro_contacts import ScoroContacts
from scorolink.sync.sides import Mapping, Record, Refs, ScoroSide

# Scoro's object of each document kind.
DOCUMENT_OBJECTS = {"sales": "Invoices", "purchase": "Bills"}
DOCUMENT_COLUMNS = ["Id", "DocumentNumber", "CompanyId", "PersonId", "Date", "Deadline", "Currency", "IsSent",
                    "Status", "Description", "Lines", "ProjectId", "UpdatedDate", "IsDeleted"]
SALES_COLUMNS = [*DOCUMENT_COLUMNS, "Sum", "CreditedInvoices"]  # credit invoices travel as credit notes
# A Scoro bookmark (saved view) can limit what is pushed for these (Scoro's "advanced filtering").
BOOKMARKABLE = {"contacts": ("contacts", "companies", "people"), "invoices": ("invoices",), "bills": ("bills",),
                "credit_notes": ("invoices",)}


def dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


class Tables:
    """Lookup tables read on first use; a missing key re-reads its table once (the record may have
    been created since) — once per table, not per key, until a write to the table's object drops it:
    a run with many codes the other side lacks reads each table a bounded number of times."""

    def __init__(self, loaders: dict[str, Callable[[], dict[Any, Any]]]) -> None:
        self.loaders = loaders
        self._cache: dict[str, dict[Any, Any]] = {}
        self._missed: set[str] = set()  # tables re-read for a missing key since their last write

    def table(self, name: str) -> dict[Any, Any]:
        if name not in self._cache:
            self._cache[name] = self.loaders[name]()
        return self._cache[name]

    def get(self, name: str, key: Any) -> Any:
        found = self.table(name).get(key)
        if found is None and name not in self._missed:
            self._missed.add(name)
            self._cache.pop(name, None)
            found = self.table(name).get(key)
        return found

    def forget(self, *names: str) -> None:
        for name in names:
            self._cache.pop(name, None)
        self._missed -= set(names)


class ScoroCodes:
    """Scoro ids ↔ the codes shared values use (product Code, VATCode, finance AccountSymbol,
    accounting object Name)."""

    OBJECTS = {"Products": "Code", "VATCodes": "VATCode", "FinanceAccounts": "AccountSymbol",
               "AccountingObjects": "Name"}

    def __init__(self, connector: Any) -> None:
        self.connector = connector
        loaders: dict[str, Callable[[], dict[Any, Any]]] = {obj: self._loader(obj) for obj in self.OBJECTS}
        loaders["percents"] = lambda: {norm(r["VATCode"]): dec(r.get("Percent")) for r in self.connector.read(
            "VATCodes", columns=["VATCode", "Percent"]) if r.get("VATCode")}
        self.tables = Tables(loaders)

    def _loader(self, obj: str) -> Callable[[], dict[Any, Any]]:
        """Both directions from one listing: ("id", code) -> id and ("code", id) -> code."""
        code = self.OBJECTS[obj]

        def load() -> dict[Any, Any]:
            table: dict[Any, Any] = {}
            for r in self.connector.read(obj, columns=["Id", code]):
                if r.get(code):
                    table[("id", norm(r[code]))] = r["Id"]
                    table[("code", r["Id"])] = r[code]
            return table
        return load

    def find_id(self, obj: str, code: Any) -> int | None:
        return None if code in (None, "") else self.tables.get(obj, ("id", norm(code)))

    def id_of(self, obj: str, code: Any, what: str) -> int | None:
        found = self.find_id(obj, code)
        if found is None and code not in (None, ""):
            raise Refused(f"Scoro has no {what} {code!r}; sync {what}s first or create it in Scoro", "validation")
        return found

    def code_of(self, obj: str, record_id: Any) -> str | None:
        """The code as Scoro spells it (not the normalised key)."""
        return None if record_id in (None, "", 0) else self.tables.get(obj, ("code", record_id))

    def vat_percent(self, code: Any) -> Decimal | None:
        return None if code in (None, "") else self.tables.table("percents").get(norm(code))

    def forget(self, system: str, obj: str) -> None:
        if system == "scoro" and obj in self.OBJECTS:
            self.tables.forget(obj, *(["percents"] if obj == "VATCodes" else []))


# -- tax rates, accounts, tracking ----------------------------------------------------------------
def tax_rates(_codes: ScoroCodes) -> Mapping:
    return Mapping(
        to_shared=lambda r, _refs: {"code": r.get("VATCode"), "name": r.get("VATName"), "percent": dec(r.get("Percent"))},
        from_shared=lambda s, _refs, _cur: {"VATCode": s["code"], "VATName": s.get("name") or s["code"],
                                            "Percent": s.get("percent") or Decimal(0), "IsActive": True,
                                            "IsSales": True, "IsPurchases": True},
        deleted=lambda r: bool(r.get("IsDeleted")), find_by=("VATCode", "code"))


def accounts() -> Mapping:
    return Mapping(
        to_shared=lambda r, _refs: {"code": r.get("AccountSymbol"), "name": r.get("Name"),
                                    "sales": bool(r.get("IsSalesAccount")), "purchases": bool(r.get("IsPurchasesAccount")),
                                    "active": bool(r.get("IsActive"))},
        from_shared=lambda s, _refs, _cur: {"AccountSymbol": s["code"], "Name": s.get("name") or s["code"],
                                            "IsSalesAccount": bool(s.get("sales")),
                                            "IsPurchasesAccount": bool(s.get("purchases")),
                                            "IsActive": bool(s.get("active", True))},
        find_by=("AccountSymbol", "code"))


def missing_accounting_object(name: Any, then: str = "") -> Refused:
    """Scoro's API only lists accounting objects (financeObjects: list and view, no modify — scoro-api.md §3;
    Skyvia's DML table has no AccountingObjects), so a person adds the missing one in Scoro."""
    return Refused(f"Scoro has no accounting object {name!r} and its API cannot create one: add an accounting "
                   f"object named {name!r} in Scoro (Settings → Accounting objects){then}")


def tracking() -> Mapping:
    """Scoro's accounting objects. Scoro's public API only lists them, so a counterpart's tracking
    options (Xero) or classes (QuickBooks) are linked to the objects of the same name and each missing
    one is reported on its record, saying what to add in Scoro."""

    def create(s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        raise missing_accounting_object(s.get("name"), "; the next run links it")

    return Mapping(to_shared=lambda r, _refs: {"name": r.get("Name"), "symbol": r.get("ObjectSymbol")},
                   from_shared=create, deleted=lambda _r: False)


# -- products -----------------------------------------------------------------------------------
def products(codes: ScoroCodes) -> Mapping:
    def scoro_out(s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        record: Record = {"Code": s["code"], "Name": s.get("name") or s["code"], "Description": s.get("description") or "",
                          "Price": s.get("sales_price") or Decimal(0)}
        if s.get("purchase_price") is not None:
            record["BuyingPrice"] = s["purchase_price"]
        if s.get("sales_account"):
            record["SalesFinanceAccountId"] = codes.id_of("FinanceAccounts", s["sales_account"], "finance account")
        if s.get("tax_code"):
            record["DefaultVatCodeId"] = codes.id_of("VATCodes", s["tax_code"], "VAT code")
        return record

    return Mapping(
        to_shared=lambda r, _refs: {
            "code": r.get("Code"), "name": r.get("Name"), "description": r.get("Description") or None,
            "sales_price": dec(r.get("Price")), "purchase_price": dec(r.get("BuyingPrice")),
            "sales_account": codes.code_of("FinanceAccounts", r.get("SalesFinanceAccountId")),
            "tax_code": codes.code_of("VATCodes", r.get("DefaultVatCodeId"))},
        from_shared=scoro_out, find_by=("Code", "code"))


# -- documents: sales invoices and bills ----------------------------------------------------------
def accounting_object(codes: ScoroCodes, name: Any) -> int | None:
    found = codes.find_id("AccountingObjects", name)
    if found is None and name not in (None, ""):
        raise missing_accounting_object(name, "; the document waits until then (the next run links it and "
                                              "brings the document)")
    return found


def documents(kind: str, codes: ScoroCodes, counterpart_item: Callable[[Any], str | None],
              tracking_category: str | None = None) -> Mapping:
    """Scoro Invoices (kind sales) or Bills (kind purchase). An invoice not marked Sent is a draft, a
    sent one is approved; bills are always approved. `counterpart_item(code)` is the counterpart's id
    of an item code, so a line whose product Scoro lacks brings it along (even with products off)."""

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        shared = read(r, refs)
        shared["_total"] = document_total(shared["lines"], codes.vat_percent)  # compared after a write, not synced
        return shared

    def read(r: Record, refs: Refs) -> dict[str, Any]:
        contact = r.get("CompanyId") or r.get("PersonId")
        approved = bool(r.get("IsSent")) or kind == "purchase"
        return {
            "number": r.get("DocumentNumber"), "contact": refs.shared("contacts", "a", contact),
            "date": r.get("Date"), "due_date": r.get("Deadline"), "currency": r.get("Currency"),
            "status": "authorised" if approved else "draft", "reference": r.get("Description") or None,
            "lines": [{"description": line.get("Comment") or line.get("ProductName") or "",
                       "quantity": dec(line.get("Amount")), "unit_price": dec(line.get("Price")),
                       "discount": dec(line.get("Discount")) or None,
                       # codes from the ids (the names Scoro derives are not always filled in)
                       "item_code": codes.code_of("Products", line.get("ProductId")) or line.get("ProductCode") or None,
                       "account_code": codes.code_of("FinanceAccounts", line.get("FinanceAccountId"))
                       or line.get("FinanceAccountSymbol") or None,
                       "tax_code": codes.code_of("VATCodes", line.get("VatCodeId")) or line.get("VatCode") or None,
                       "tracking": codes.code_of("AccountingObjects", line.get("FinanceObjectId"))
                       if tracking_category else None}
                      for line in r.get("Lines") or []],
            # carried (not compared): the projects the document and each line name, for counterparts that
            # take them (QuickBooks: one per invoice, one per bill line)
            "_projects": sorted({str(p) for p in [r.get("ProjectId"), *(line.get("ProjectId") for line in
                                                                         r.get("Lines") or [])] if p}),
            "_line_projects": [str(line.get("ProjectId")) if line.get("ProjectId") else None
                               for line in r.get("Lines") or []],
        }

    def scoro_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        contact = refs.on("contacts", "a", s.get("contact"))
        projects = [refs.on("projects", "a", p, required=False) for p in s.get("_projects") or []]
        lines = []
        for line in s.get("lines") or []:
            code = line.get("item_code")
            product = codes.find_id("Products", code)
            if code and product is None:  # the item comes along from the counterpart, even with products off
                item = counterpart_item(code)
                if item is None:
                    raise Refused(f"line item {code!r} is neither a Scoro product nor an item of the other system")
                refs.need(f"needs product {code} in Scoro first", ("products", "b", str(item)))
            lines.append({
                "Comment": line.get("description") or "", "Amount": line.get("quantity") or Decimal(1),
                "Price": line.get("unit_price") or Decimal(0), "Discount": line.get("discount") or Decimal(0),
                "ProductId": product,
                "VatCodeId": codes.id_of("VATCodes", line.get("tax_code"), "VAT code"),
                "FinanceAccountId": codes.id_of("FinanceAccounts", line.get("account_code"), "finance account"),
                "FinanceObjectId": accounting_object(codes, line.get("tracking")),
            })
        record: Record = {"DocumentNumber": s.get("number"), "CompanyId": int(contact) if contact else None,
                          "Date": s.get("date"), "Deadline": s.get("due_date") or s.get("date"),
                          "Currency": s.get("currency"), "Description": s.get("reference") or "",
                          "IsSent": s.get("status") == "authorised",
                          "Lines": [{k: v for k, v in line.items() if v is not None} for line in lines]}
        if len(projects) == 1 and projects[0]:
            record["ProjectId"] = int(projects[0])
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(to_shared=scoro_in, from_shared=scoro_out, find_by=("DocumentNumber", "number"),
                   in_scope=lambda r: not r.get("CreditedInvoices"),  # those are the credit notes category's
                   gate=lambda r: "paid in Scoro: documents with payments are not changed" if str(
                       r.get("Status") or "").lower() == "paid" else None)


def credit_notes(codes: ScoroCodes, counterpart_item: Callable[[Any], str | None],
                 tracking_category: str | None = None) -> Mapping:
    """Scoro credit invoices (an invoice that credits another one, quantities negative) as shared
    credit notes: amounts positive, `credits` naming the credited invoice."""
    doc = documents("sales", codes, counterpart_item, tracking_category)

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        shared = doc.to_shared(r, refs)
        if (dec(r.get("Sum")) or 0) < 0:  # Scoro writes a credit invoice with negative quantities
            for line in shared["lines"]:
                line["quantity"] = -line["quantity"] if line.get("quantity") is not None else None
            shared["_total"] = -shared["_total"]
        credited = r.get("CreditedInvoices") or []
        shared["credits"] = refs.shared("invoices", "a", credited[0]) if credited else None
        return shared

    def scoro_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        """A credit invoice: negative quantities, crediting the invoice (when that invoice is synced)."""
        negated = {**s, "lines": [{**line, "quantity": -(dec(line.get("quantity")) or Decimal(1))}
                                  for line in s.get("lines") or []]}
        record = doc.from_shared(negated, refs, current)
        credited = refs.on("invoices", "a", s.get("credits"), required=False) if s.get("credits") else None
        if credited:
            record["CreditedInvoices"] = [int(credited)]
        return record

    return Mapping(to_shared=scoro_in, from_shared=scoro_out,
                   in_scope=lambda r: bool(r.get("CreditedInvoices")), find_by=("DocumentNumber", "number"),
                   # a first-sync match may also be a credit invoice written without the invoice it credits (that
                   # one not synced): negative, crediting nothing, yet the same credit note, never written again
                   candidate=lambda r: bool(r.get("CreditedInvoices")) or (dec(r.get("Sum")) or 0) < 0)


# -- credit applications: which invoice a credit note credits --------------------------------------
APPLICATION_COLUMNS = ["Id", "CreditedInvoices", "UpdatedDate", "IsDeleted"]  # list pages: no lines needed


def credit_applications() -> Mapping:
    """A Scoro credit invoice as the application of its credit to the invoices it credits: shared values
    `credit_note` (the credit invoice, as the credit_notes category links it) and `invoices` (sorted). Where
    the counterpart applies a credit with a record of its own (QuickBooks: one credit memo of a Payment), that
    record is this one's counterpart; in Scoro the application is the credit invoice's CreditedInvoices."""

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        return {"credit_note": refs.shared("credit_notes", "a", r.get("Id")),
                "invoices": sorted(str(refs.shared("invoices", "a", i)) for i in r.get("CreditedInvoices") or [])}

    def scoro_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        note = refs.on("credit_notes", "a", s.get("credit_note"))
        invoices = [refs.on("invoices", "a", i) for i in s.get("invoices") or []]
        if note is None or not invoices or None in invoices:
            raise Refused("a credit application needs both its credit note and the invoice it credits")
        other = refs.resolver.counterpart("credit_applications", "a", str(note)) if refs.resolver else None
        if current is None and other is not None:
            # one link per credit invoice: a credit note applied by a second record of the other system (a
            # second QuickBooks payment using the same credit memo) would take the first one's place
            raise Refused(f"Scoro credit invoice {note} already carries another application of its credit "
                          f"({other}): a credit note applied in several payments is carried with its first one; "
                          "apply it in one payment there, or set the credited invoices in Scoro", "validation")
        return {"Id": int(note), "CreditedInvoices": [int(str(i)) for i in invoices]}

    return Mapping(to_shared=scoro_in, from_shared=scoro_out, in_scope=lambda r: bool(r.get("CreditedInvoices")))


@dataclass
class ScoroCreditApplications(ScoroSide):
    """Applications are written onto the credit invoice that already exists in Scoro (its CreditedInvoices):
    "creating" one modifies that invoice, and its id is the credit invoice's."""

    def write_one(self, request: WriteRequest) -> WriteOutcome:
        record = dict(request.payload)
        if request.op == "delete":  # never planned (deletes are not propagated): nothing to undo in Scoro
            return WriteOutcome(request.ref, True)
        return self.send(request.ref, "update", record, known_id=record["Id"])

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        """A lost answer: the credit invoice already credits the invoice."""
        note = self.refs.on("credit_notes", "a", shared.get("credit_note"), required=False)
        found = self.fetch([note]) if note else []
        return found[0] if found and found[0].shared.get("invoices") == shared.get("invoices") else None


# -- projects -------------------------------------------------------------------------------------
def projects() -> Mapping:
    """Scoro projects by name and client (the counterpart's projects come in; Scoro's are matched to them)."""

    def scoro_out(s: dict[str, Any], refs: Refs, _current: Record | None) -> Record:
        client = refs.on("contacts", "a", s.get("client")) if s.get("client") else None
        record: Record = {"ProjectName": s.get("name") or "", "CompanyId": int(client) if client else None}
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(to_shared=lambda r, refs: {"name": r.get("ProjectName"),
                                              "client": refs.shared("contacts", "a", r.get("CompanyId"))},
                   from_shared=scoro_out, find_by=("ProjectName", "name"))


# -- receipts -------------------------------------------------------------------------------------
def receipts(scoro_connector: Any) -> Mapping:
    """Scoro receipt groups: a payment on an invoice or bill, referring to its document through the
    invoices or bills links."""

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        line = (r.get("Receipts") or [{}])[0]
        category = "bills" if str(r.get("SalesDocType") or "").lower() == "bills" else "invoices"
        return {"date": r.get("Date"), "amount": dec(r.get("Sum")), "reference": None, "kind": category,
                "document": refs.shared(category, "a", line.get("InvoiceId"))}

    def scoro_out(s: dict[str, Any], refs: Refs, _current: Record | None) -> Record:
        category = s.get("kind") or "invoices"
        document = refs.on(category, "a", s.get("document"))
        if document is None:
            raise Refused("a payment that is not on an invoice or bill is not a Scoro receipt")
        obj = DOCUMENT_OBJECTS["purchase" if category == "bills" else "sales"]
        found = list(scoro_connector.read(obj, [Condition("Id", "=", int(document))],
                                          columns=["Id", "CompanyId", "PersonId", "Currency"]))
        if not found:
            raise Refused(f"the {obj[:-1].lower()} {document} this payment is for is gone from Scoro")
        doc = found[0]
        return {"Date": s.get("date"), "Sum": s.get("amount"), "Currency": doc.get("Currency"),
                "ContactId": doc.get("CompanyId") or doc.get("PersonId"), "SalesDocType": category,
                "Receipts": [{"Date": s.get("date"), "InvoiceId": int(document), "Sum": s.get("amount"),
                              "SalesDocType": category}]}

    return Mapping(to_shared=scoro_in, from_shared=scoro_out)


# -- bookmarks ------------------------------------------------------------------------------------
# The filters of a bookmark Scoro's integration does not use (seed: "Users - ... 'All users' will be
# used"; "'Status' for invoices - ... 'All receipt statuses' will be used"), per category: (column, wire key).
NOT_USED = {"contacts": (("ManagerId", "manager_id"),), "invoices": (("OwnerId", "owner_id"), ("Status", "status")),
            "credit_notes": (("OwnerId", "owner_id"), ("Status", "status")), "bills": (("OwnerId", "owner_id"),)}
BOOKMARK_FILTERS = ("seed", "as_saved")  # how a bookmark is applied: as Scoro's integration does, or as saved


@dataclass
class Bookmark:
    """A Scoro bookmark limiting what a category pushes. Its definition cannot be read through the API
    (bookmarks/list gives id, name and module), so its user and status filters cannot simply be left
    out. With `as_saved` off (the seed's rule), the bookmark is read once per owner (or manager) and
    receipt status found among the records of the window, with that value sent beside the bookmark,
    which takes the place of the bookmark's own filter on the field; should Scoro narrow by both
    instead, this gives the bookmark as saved."""

    resolve: Callable[[], Any]  # the bookmark's id, looked up on first use
    not_used: tuple[tuple[str, str], ...] = ()
    as_saved: bool = False

    def read(self, connector: Any, obj: str, where: list[Condition], *, columns: list[str] | None,
             include_deleted: bool) -> Iterator[Record]:
        mark = self.resolve()
        if self.as_saved or not self.not_used:
            yield from connector.read(obj, where, columns=columns, include_deleted=include_deleted, bookmark=mark)
            return
        names = [column for column, _ in self.not_used]
        found = connector.read(obj, where, columns=["Id", *names], include_deleted=include_deleted)
        values = {tuple(r.get(n) for n in names) for r in found}
        seen: set[Any] = set()
        for combination in sorted(values, key=str):
            beside = {key: value for (_, key), value in zip(self.not_used, combination, strict=True)
                      if value not in (None, "")}
            for record in connector.read(obj, where, columns=columns, include_deleted=include_deleted,
                                         bookmark=mark, beside=beside):
                if record.get("Id") not in seen:
                    seen.add(record.get("Id"))
                    yield record


def bookmark_of(scoro: Any, category: str, value: str | None, table: str = "sync", *,
                as_saved: bool = False) -> Bookmark | None:
    """The bookmark, found by id or name among the bookmarks of the category's module (on first use)."""
    if not value:
        return None
    found: dict[str, Any] = {}

    def resolve() -> Any:
        if "id" not in found:
            modules = BOOKMARKABLE[category]
            marks = [b for b in scoro.read("Bookmarks") if str(b.get("Module") or "").lower() in modules]
            match = [b for b in marks if str(b.get("Id")) == value or norm(b.get("Name")) == norm(value)]
            if len(match) != 1:
                known = ", ".join(f"{b['Id']} {b['Name']!r}" for b in marks) or "none"
                raise ConfigError(f"[{table}.{category}] bookmark {value!r} is {'ambiguous' if match else 'unknown'}"
                                  f"; bookmarks of {'/'.join(modules)}: {known}.")
            found["id"] = match[0]["Id"]
        return found["id"]

    return Bookmark(resolve, NOT_USED.get(category, ()), as_saved)


# -- the adapters -----------------------------------------------------------------------------------
@dataclass
class ScoroCategories:
    """Scoro's adapter of every category, for one run. `counterpart_item` answers whether the
    counterpart has an item code (documents bring a missing product along from there)."""

    connector: Any  # ScoroConnector
    refs: Refs
    counterpart_item: Callable[[Any], str | None] = lambda _code: None
    tracking_category: str | None = None  # set when the counterpart's tracking options are synced
    bookmarks: dict[str, str] = field(default_factory=dict)  # category -> bookmark (id or name)
    bookmark_filters: str = "seed"  # seed: without their user and status filters, as Scoro's integration; as_saved
    config_table: str = "sync"  # where the settings above come from, named in errors (e.g. xero_sync)

    def __post_init__(self) -> None:
        self.codes = ScoroCodes(self.connector)
        self.refs.listeners.append(self.codes.forget)

    def sides(self) -> dict[str, SideAdapter]:
        scoro, refs, codes, item = self.connector, self.refs, self.codes, self.counterpart_item
        marks = {name: bookmark_of(scoro, name, self.bookmarks.get(name), self.config_table,
                                   as_saved=self.bookmark_filters == "as_saved") for name in BOOKMARKABLE}
        return {
            "tax_rates": ScoroSide(scoro, "VATCodes", tax_rates(codes), refs),
            "accounts": ScoroSide(scoro, "FinanceAccounts", accounts(), refs),
            "tracking": ScoroSide(scoro, "AccountingObjects", tracking(), refs, cursor=None),
            "contacts": ScoroContacts(scoro, bookmark=marks["contacts"]),
            "products": ScoroSide(scoro, "Products", products(codes), refs),
            "invoices": ScoroSide(scoro, "Invoices", documents("sales", codes, item, self.tracking_category), refs,
                                  columns=SALES_COLUMNS, bookmark=marks["invoices"]),
            "credit_notes": ScoroSide(scoro, "Invoices", credit_notes(codes, item, self.tracking_category), refs,
                                      columns=SALES_COLUMNS, bookmark=marks["credit_notes"]),
            "bills": ScoroSide(scoro, "Bills", documents("purchase", codes, item, self.tracking_category), refs,
                               columns=DOCUMENT_COLUMNS, bookmark=marks["bills"]),
            "credit_applications": ScoroCreditApplications(scoro, "Invoices", credit_applications(), refs,
                                                           columns=APPLICATION_COLUMNS,
                                                           bookmark=marks["credit_notes"]),
            "receipts": ScoroSide(scoro, "ReceiptGroups", receipts(scoro), refs),
            "projects": ScoroSide(scoro, "Projects", projects(), refs),
        }
