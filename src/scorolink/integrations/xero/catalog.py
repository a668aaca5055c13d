"""The Xero Accounting API catalog: objects, fields, keys and what each endpoint allows.

Pure data, written from the reference (accounting-apis.md PART A). Field names are Xero's own
(`ContactID`, `InvoiceNumber`, `UpdatedDateUTC`), so `Field.name == Field.api_key` throughout;
the canonical value types are those of `scorolink.catalog.model.FieldType` (Decimal money, `date`
for date-only values, aware UTC `datetime`).

What the endpoints allow (A3, A5, A6, A7):
- paged lists (`page`, `pageSize` up to 1000): Contacts, Invoices, CreditNotes, Payments; the
  others return everything in one reply;
- `If-Modified-Since` on Accounts, Contacts, Invoices, CreditNotes, Items, Payments, never on
  TaxRates, TrackingCategories, Currencies or Organisation;
- `PUT` creates only, `POST` on the collection upserts; Accounts, TaxRates and TrackingCategories
  take one element per request, the documents about 50;
- deletes differ per object: a DELETE route (Items, Accounts, TrackingCategories and options),
  archiving (Contacts), or a status (documents DELETED from DRAFT/SUBMITTED and VOIDED from
  AUTHORISED; payments DELETED; tax rates DELETED).
"""

from __future__ import annotations

from dataclasses import dataclass

from scorolink.catalog.model import Field, FieldType, Nested, Operation
from scorolink.errors import UnknownName

S, D, B, INT, DT, DTM, J, BIN = (FieldType.STRING, FieldType.DECIMAL, FieldType.BOOLEAN, FieldType.INTEGER,
                               FieldType.DATE, FieldType.DATETIME, FieldType.JSON, FieldType.BINARY)
WHERE_OPS = ("=", "!=", "<", "<=", ">", ">=")  # what the `where` expression language compares with
TEXT_OPS = WHERE_OPS + ("like",)  # like 'x%' -> StartsWith, '%x%' -> Contains, '%x' -> EndsWith


def f(name: str, ftype: FieldType = S, *, ro: bool = False, where: bool = True, description: str = "") -> Field:
    ops: tuple[str, ...] = ()
    if where and ftype not in (J, BIN):
        ops = TEXT_OPS if ftype is S else WHERE_OPS
    return Field(name, name, ftype, read_only=ro, filters=ops, description=description)


def obj(name: str, fields: tuple[Field, ...], *, key: str | None = None, nested: tuple[Nested, ...] = (),
        ro: bool = False) -> Nested:
    return Nested(name, name, name, kind="object", fields=fields, nested=nested, key=key, read_only=ro)


def objs(name: str, fields: tuple[Field, ...], *, key: str | None = None, nested: tuple[Nested, ...] = (),
         ro: bool = False) -> Nested:
    return Nested(name, name, name, kind="objects", fields=fields, nested=nested, key=key, read_only=ro)


@dataclass(frozen=True, slots=True)
class XeroObject:
    """One Xero object and what its endpoints allow."""

    name: str  # canonical object name, also the URL path and the envelope key: Invoices
    key: str  # the object's id field: InvoiceID
    fields: tuple[Field, ...]
    nested: tuple[Nested, ...] = ()
    operations: frozenset[Operation] = frozenset({"select"})
    paged: bool = False  # page / pageSize / pagination
    modified_since: bool = False  # honours If-Modified-Since
    where: bool = True  # accepts `where` and `order`
    include_archived: bool = False  # archived records only with includeArchived=true
    ids_param: bool = False  # `IDs=` (comma-separated, about 52 per URL)
    batch_size: int = 50  # elements per write request (A7)
    bare_create: bool = False  # PUT sends one bare object instead of {"X":[...]}
    bare_update: bool = False  # POST /X/{id} sends one bare object (tracking categories and options)
    update_by_id: bool = False  # updates go to POST /X/{id}, one per request, instead of POST /X
    # How a delete is done: "route" (DELETE /X/{id}), "archive" (POST the status below),
    # "status" (POST Status=DELETED), "document" (DELETED from DRAFT/SUBMITTED, VOIDED from AUTHORISED).
    delete: str | None = None
    archive_field: str = "Status"
    archive_value: str = "ARCHIVED"
    # Objects that live under a parent record: /{parent}/{parent id}/{name}
    parent: str | None = None  # TrackingCategories for TrackingOptions
    parent_key: str | None = None  # TrackingCategoryID
    single: bool = False  # the reply holds one record (Organisation)
    envelope: str | None = None  # reply collection key when it differs from the name
    attachments: bool = False  # /X/{id}/Attachments exists
    cursor: str | None = None  # the incremental cursor field (UpdatedDateUTC)
    description: str = ""

    @property
    def path(self) -> str:
        return self.name

    @property
    def collection(self) -> str:
        return self.envelope or self.name

    @property
    def key_fields(self) -> tuple[str, ...]:
        return (self.key,)

    @property
    def read_only(self) -> bool:
        return self.operations == frozenset({"select"})

    @property
    def writable_fields(self) -> tuple[Field, ...]:
        return tuple(x for x in self.fields if not x.read_only)

    def allows(self, operation: Operation) -> bool:
        return operation in self.operations

    def field_named(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((x for x in self.fields if x.name.lower() == lowered), None)

    def nested_named(self, name: str) -> Nested | None:
        lowered = name.lower()
        return next((n for n in self.nested if n.field.lower() == lowered), None)


# -- shared nested structures --------------------------------------------------------------
TRACKING = objs("Tracking", (f("TrackingCategoryID"), f("TrackingOptionID"), f("Name"), f("Option")))
LINE_ITEMS = objs("LineItems", (
    f("LineItemID"), f("Description"), f("Quantity", D), f("UnitAmount", D), f("ItemCode"), f("AccountCode"),
    f("AccountID"), f("TaxType"), f("TaxAmount", D), f("LineAmount", D), f("DiscountRate", D),
    f("DiscountAmount", D),
), key="LineItemID", nested=(TRACKING,))
CONTACT_REF = obj("Contact", (f("ContactID"), f("Name"), f("ContactNumber"), f("EmailAddress")), key="ContactID")
ADDRESSES = objs("Addresses", (
    f("AddressType"), f("AddressLine1"), f("AddressLine2"), f("AddressLine3"), f("AddressLine4"), f("City"),
    f("Region"), f("PostalCode"), f("Country"), f("AttentionTo"),
))
PHONES = objs("Phones", (f("PhoneType"), f("PhoneNumber"), f("PhoneAreaCode"), f("PhoneCountryCode")))
CONTACT_PERSONS = objs("ContactPersons", (f("FirstName"), f("LastName"), f("EmailAddress"),
                                          f("IncludeInEmails", B)))
PAYMENT_REFS = objs("Payments", (f("PaymentID"), f("Date", DT), f("Amount", D), f("Reference")),
                    key="PaymentID", ro=True)
ALLOCATIONS = objs("Allocations", (
    f("AllocationID", ro=True), f("Amount", D), f("Date", DT), f("IsDeleted", B, ro=True),
), key="AllocationID", nested=(obj("Invoice", (f("InvoiceID"), f("InvoiceNumber")), key="InvoiceID"),))
DOCUMENT_TOTALS = (
    f("SubTotal", D, ro=True), f("TotalTax", D, ro=True), f("Total", D, ro=True),
)
WRITE = frozenset({"select", "insert", "update", "delete"})

CONTACTS = XeroObject(
    "Contacts", "ContactID",
    (
        f("ContactID", ro=True), f("ContactNumber"), f("AccountNumber"), f("ContactStatus"), f("Name"),
        f("FirstName"), f("LastName"), f("CompanyNumber"), f("EmailAddress"), f("BankAccountDetails"),
        f("TaxNumber"), f("AccountsReceivableTaxType"), f("AccountsPayableTaxType"), f("DefaultCurrency"),
        f("SalesDefaultAccountCode"), f("PurchasesDefaultAccountCode"), f("Website", ro=True),
        f("IsCustomer", B, ro=True, description="derived from AR documents; does not bump UpdatedDateUTC"),
        f("IsSupplier", B, ro=True, description="derived from AP documents; does not bump UpdatedDateUTC"),
        f("PaymentTerms", J), f("HasAttachments", B, ro=True), f("UpdatedDateUTC", DTM, ro=True),
    ),
    nested=(ADDRESSES, PHONES, CONTACT_PERSONS),
    operations=WRITE, paged=True, modified_since=True, include_archived=True, ids_param=True,
    delete="archive", archive_field="ContactStatus", attachments=True, cursor="UpdatedDateUTC",
    description="Customers and suppliers. Name is unique among active contacts; no DELETE, archive instead.",
)

ITEMS = XeroObject(
    "Items", "ItemID",
    (
        f("ItemID", ro=True), f("Code"), f("Name"), f("Description"), f("PurchaseDescription"), f("IsSold", B),
        f("IsPurchased", B), f("IsTrackedAsInventory", B), f("InventoryAssetAccountCode"),
        f("QuantityOnHand", D, ro=True), f("TotalCostPool", D, ro=True), f("UpdatedDateUTC", DTM, ro=True),
    ),
    nested=(
        obj("SalesDetails", (f("UnitPrice", D), f("AccountCode"), f("TaxType"))),
        obj("PurchaseDetails", (f("UnitPrice", D), f("AccountCode"), f("COGSAccountCode"), f("TaxType"))),
    ),
    operations=WRITE, modified_since=True, ids_param=True, delete="route", cursor="UpdatedDateUTC",
    description="Products and services. Code is unique (max 30). Not paged; DELETE answers 204.",
)

_DOCUMENT_COMMON = (
    f("Reference"), f("Date", DT), f("DueDate", DT), f("Status"), f("LineAmountTypes"), f("CurrencyCode"),
    f("CurrencyRate", D), *DOCUMENT_TOTALS, f("FullyPaidOnDate", DT, ro=True), f("SentToContact", B),
    f("BrandingThemeID"), f("HasAttachments", B, ro=True), f("UpdatedDateUTC", DTM, ro=True),
)

INVOICES = XeroObject(
    "Invoices", "InvoiceID",
    (
        f("InvoiceID", ro=True), f("Type", description="ACCREC = sales invoice, ACCPAY = bill"),
        f("InvoiceNumber"), *_DOCUMENT_COMMON, f("TotalDiscount", D, ro=True), f("AmountDue", D, ro=True),
        f("AmountPaid", D, ro=True), f("AmountCredited", D, ro=True), f("Url"),
        f("ExpectedPaymentDate", DT), f("PlannedPaymentDate", DT),
    ),
    nested=(CONTACT_REF, LINE_ITEMS, PAYMENT_REFS,
            objs("CreditNotes", (f("CreditNoteID"), f("CreditNoteNumber"), f("AppliedAmount", D)),
                 key="CreditNoteID", ro=True)),
    operations=WRITE | {"void"}, paged=True, modified_since=True, ids_param=True, delete="document",
    attachments=True, cursor="UpdatedDateUTC",
    description="Sales invoices (Type ACCREC) and bills (ACCPAY). Deleted from DRAFT/SUBMITTED, voided from "
                "AUTHORISED without payments.",
)

CREDIT_NOTES = XeroObject(
    "CreditNotes", "CreditNoteID",
    (
        f("CreditNoteID", ro=True), f("Type", description="ACCRECCREDIT (sales) or ACCPAYCREDIT (purchases)"),
        f("CreditNoteNumber"), *_DOCUMENT_COMMON, f("RemainingCredit", D, ro=True),
    ),
    nested=(CONTACT_REF, LINE_ITEMS, ALLOCATIONS, PAYMENT_REFS),
    operations=WRITE | {"void"}, paged=True, modified_since=True, ids_param=True, delete="document",
    attachments=True, cursor="UpdatedDateUTC",
    description="Credit notes; allocate to invoices with the Allocations object.",
)

ALLOCATIONS_OBJECT = XeroObject(
    "Allocations", "AllocationID",
    (
        f("AllocationID", ro=True), f("CreditNoteID"), f("Amount", D), f("Date", DT), f("IsDeleted", B, ro=True),
    ),
    nested=(obj("Invoice", (f("InvoiceID"), f("InvoiceNumber")), key="InvoiceID"),),
    operations=frozenset({"select", "insert", "delete"}), where=False, delete="route",
    parent="CreditNotes", parent_key="CreditNoteID",
    description="Credit-note allocations: PUT /CreditNotes/{id}/Allocations, DELETE …/Allocations/{id}.",
)

PAYMENTS = XeroObject(
    "Payments", "PaymentID",
    (
        f("PaymentID", ro=True), f("Date", DT), f("Amount", D), f("BankAmount", D), f("CurrencyRate", D),
        f("Reference"), f("IsReconciled", B), f("Status"), f("PaymentType", ro=True),
        f("BatchPaymentID", ro=True), f("UpdatedDateUTC", DTM, ro=True),
    ),
    nested=(
        obj("Invoice", (f("InvoiceID"), f("InvoiceNumber"), f("Type")), key="InvoiceID"),
        obj("CreditNote", (f("CreditNoteID"), f("CreditNoteNumber")), key="CreditNoteID"),
        obj("Account", (f("AccountID"), f("Code")), key="AccountID"),
    ),
    operations=frozenset({"select", "insert", "delete"}), paged=True, modified_since=True, ids_param=True,
    delete="status", cursor="UpdatedDateUTC",
    description="Payments against invoices and credit notes; cannot be edited, only deleted (Status DELETED).",
)

ACCOUNTS = XeroObject(
    "Accounts", "AccountID",
    (
        f("AccountID", ro=True), f("Code"), f("Name"), f("Type"), f("Status"), f("Description"),
        f("Class", ro=True), f("TaxType"), f("CurrencyCode"), f("BankAccountNumber"), f("BankAccountType"),
        f("EnablePaymentsToAccount", B), f("ShowInExpenseClaims", B), f("SystemAccount", ro=True),
        f("ReportingCode"), f("ReportingCodeName", ro=True), f("HasAttachments", B, ro=True),
        f("UpdatedDateUTC", DTM, ro=True),
    ),
    operations=WRITE, modified_since=True, ids_param=True, batch_size=1, bare_create=True, update_by_id=True,
    delete="route", attachments=True, cursor="UpdatedDateUTC",
    description="Chart of accounts. One per write; archive with Status ARCHIVED, DELETE when unused.",
)

TAX_RATES = XeroObject(
    "TaxRates", "TaxType",
    (
        f("TaxType"), f("Name"), f("Status"), f("ReportTaxType"), f("CanApplyToAssets", B),
        f("CanApplyToEquity", B), f("CanApplyToExpenses", B), f("CanApplyToLiabilities", B),
        f("CanApplyToRevenue", B), f("DisplayTaxRate", D, ro=True), f("EffectiveRate", D, ro=True),
    ),
    nested=(objs("TaxComponents", (f("Name"), f("Rate", D), f("IsCompound", B), f("IsNonRecoverable", B))),),
    operations=WRITE, batch_size=1, delete="status",
    description="Tax rates keyed by TaxType; new ones get TAX001…; no If-Modified-Since.",
)

TRACKING_CATEGORIES = XeroObject(
    "TrackingCategories", "TrackingCategoryID",
    (f("TrackingCategoryID", ro=True), f("Name"), f("Status")),
    nested=(objs("Options", (f("TrackingOptionID", ro=True), f("Name"), f("Status")), key="TrackingOptionID"),),
    operations=WRITE, include_archived=True, batch_size=1, bare_create=True, bare_update=True, update_by_id=True,
    delete="route",
    description="At most 2 active per organisation; options via TrackingOptions.",
)

TRACKING_OPTIONS = XeroObject(
    "TrackingOptions", "TrackingOptionID",
    (f("TrackingOptionID", ro=True), f("TrackingCategoryID"), f("Name"), f("Status")),
    operations=WRITE, where=False, batch_size=1, bare_create=True, bare_update=True, update_by_id=True,
    delete="route", parent="TrackingCategories", parent_key="TrackingCategoryID", envelope="Options",
    description="Options of a tracking category: PUT/POST/DELETE /TrackingCategories/{id}/Options[/{id}].",
)

CURRENCIES = XeroObject(
    "Currencies", "Code", (f("Code"), f("Description")),
    operations=frozenset({"select", "insert"}), batch_size=1, bare_create=True,
    description="Currencies of the organisation; PUT adds one.",
)

ORGANISATION = XeroObject(
    "Organisation", "OrganisationID",
    (
        f("OrganisationID", ro=True), f("Name", ro=True), f("LegalName", ro=True), f("BaseCurrency", ro=True),
        f("CountryCode", ro=True), f("Version", ro=True), f("OrganisationType", ro=True), f("PaysTax", B, ro=True),
        f("IsDemoCompany", B, ro=True), f("SalesTaxBasis", ro=True), f("DefaultSalesTax", ro=True),
        f("DefaultPurchasesTax", ro=True), f("FinancialYearEndDay", INT, ro=True),
        f("FinancialYearEndMonth", INT, ro=True), f("PeriodLockDate", DT, ro=True),
        f("EndOfYearLockDate", DT, ro=True), f("Timezone", ro=True), f("ShortCode", ro=True),
        f("Class", ro=True), f("Edition", ro=True), f("CreatedDateUTC", DTM, ro=True),
    ),
    where=False, single=True, envelope="Organisations",
    description="The connected organisation (one record).",
)

ATTACHMENTS = XeroObject(
    "Attachments", "AttachmentID",
    (
        f("AttachmentID", ro=True), f("ParentObject", where=False), f("ParentID", where=False), f("FileName"),
        f("Url", ro=True), f("MimeType"), f("ContentLength", INT, ro=True), f("IncludeOnline", B),
        f("Content", BIN),
    ),
    operations=frozenset({"select", "insert", "update"}), where=False, batch_size=1,
    description="Files on Invoices, CreditNotes, Contacts and Accounts; PUT adds, POST replaces by FileName; "
                "no DELETE; at most 10 per document. Read with ParentObject and ParentID conditions.",
)

OBJECTS: tuple[XeroObject, ...] = (
    CONTACTS, ITEMS, INVOICES, CREDIT_NOTES, ALLOCATIONS_OBJECT, PAYMENTS, ACCOUNTS, TAX_RATES,
    TRACKING_CATEGORIES, TRACKING_OPTIONS, CURRENCIES, ORGANISATION, ATTACHMENTS,
)
ATTACHMENT_PARENTS = tuple(o.name for o in OBJECTS if o.attachments)
INVOICE_TYPES = {"ACCREC": "sales invoice", "ACCPAY": "bill"}
CREDIT_NOTE_TYPES = {"ACCRECCREDIT": "sales credit note", "ACCPAYCREDIT": "purchase credit note"}
# Document status -> the status a delete moves it to (A5); other statuses cannot be removed.
DOCUMENT_DELETE = {"DRAFT": "DELETED", "SUBMITTED": "DELETED", "AUTHORISED": "VOIDED"}


class XeroCatalog:
    system = "xero"

    def __init__(self, objects: tuple[XeroObject, ...] = OBJECTS) -> None:
        self.objects = objects
        self._index = {o.name.lower(): o for o in objects}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def get(self, name: str) -> XeroObject | None:
        return self._index.get(name.lower())

    def require(self, name: str) -> XeroObject:
        spec = self.get(name)
        if spec is None:
            raise UnknownName("Xero object", name, self.names())
        return spec

    def names(self) -> list[str]:
        return [o.name for o in self.objects]


CATALOG = XeroCatalog()
