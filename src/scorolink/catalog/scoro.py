"""The Scoro catalog: every object scorolink exposes, in the Skyvia connector's vocabulary.

Sources, in order of authority:
- the Skyvia Scoro connector document (object names, filter table, DML table, incremental and
  synchronization lists, nested objects table) — its tables are requirements and
  `tests/catalog` checks this module against them;
- `docs/scoro-modules.md` for each object's module path, key and read strategy;
- the API reference (`shared/reference/scoro-api.md` §4, §7.2) for wire keys, types and
  datetime families;
- the SyncHub data model for extra columns and foreign keys.

Each object is a few declarative lines built from small helpers and shared field groups.
`filters=` on `_obj` is written in the seed table's own shape: names separated by spaces,
a trailing `*` meaning the range operators (`= < <= > >=`), plain names meaning `=` only.
A relation's `field` may be dotted (`Lines.ProductId`): a field of a nested structure.
"""

from __future__ import annotations

from collections.abc import Iterable

from scorolink.catalog.model import (
    EQUALITY,
    RANGE_OPERATORS,
    Catalog,
    DatetimeStyle,
    Field,
    FieldType,
    Nested,
    ObjectSpec,
    Parent,
    Relation,
)

I = FieldType.INTEGER  # noqa: E741
DEC = FieldType.DECIMAL
S = FieldType.STRING
B = FieldType.BOOLEAN
DATE = FieldType.DATE
TIME = FieldType.TIME
J = FieldType.JSON
BIN = FieldType.BINARY

CRUD = ("insert", "update", "delete")
INSERT_DELETE = ("insert", "delete")
INSERT_UPDATE = ("insert", "update")
INSERT = ("insert",)

FieldGroup = Iterable["Field | FieldGroup"]


# -- field helpers --------------------------------------------------------------------------
def f(
    name: str,
    api_key: str,
    type: FieldType = S,
    *,
    ro: bool = False,
    detail: bool = False,
    desc: str = "",
) -> Field:
    """A plain field. `ro`: the API computes it or refuses it on modify; `detail`: view only."""
    if type is FieldType.DATETIME:
        raise ValueError(f"{name}: use iso() or sql() for datetime fields")
    return Field(name, api_key, type, read_only=ro, detail_only=detail, description=desc)


def _datetime(name: str, api_key: str, style: DatetimeStyle, ro: bool, detail: bool, desc: str) -> Field:
    return Field(name, api_key, FieldType.DATETIME, read_only=ro, detail_only=detail, datetime_style=style,
                 description=desc)


def iso(name: str, api_key: str, *, ro: bool = False, detail: bool = False, desc: str = "") -> Field:
    """A Datetime-ISO field (`2016-03-25T15:47:20+02:00`)."""
    return _datetime(name, api_key, DatetimeStyle.ISO, ro, detail, desc)


def sql(name: str, api_key: str, *, ro: bool = False, detail: bool = False, desc: str = "") -> Field:
    """A Datetime-SQL field (`2016-03-25 15:47:20`, site time zone)."""
    return _datetime(name, api_key, DatetimeStyle.SQL, ro, detail, desc)


def key(api_key: str, type: FieldType = I) -> Field:
    """The object's own id, canonical `Id`."""
    return f("Id", api_key, type, ro=True)


def _flatten(items: FieldGroup) -> tuple[Field, ...]:
    out: list[Field] = []
    for item in items:
        if isinstance(item, Field):
            out.append(item)
        else:
            out.extend(_flatten(item))
    return tuple(out)


def _parse_filters(spec: str) -> dict[str, tuple[str, ...]]:
    parsed: dict[str, tuple[str, ...]] = {}
    for token in spec.split():
        if token.endswith("*"):
            parsed[token[:-1]] = RANGE_OPERATORS
        else:
            parsed[token] = EQUALITY
    return parsed


def _obj(
    name: str,
    module: str,
    fields: FieldGroup,
    *,
    key: str = "Id",
    filters: str = "",
    ops: tuple[str, ...] = (),
    incremental: str | None = None,
    sync: bool = False,
    nested: tuple[Nested, ...] = (),
    relations: tuple[Relation, ...] = (),
    **options: object,
) -> ObjectSpec:
    """Build an ObjectSpec; `filters` names must be fields of the object (checked here)."""
    flat = _flatten(fields)
    wanted = _parse_filters(filters)
    names = {fl.name for fl in flat}
    missing = sorted(set(wanted) - names)
    if missing:
        raise KeyError(f"{name}: filters name unknown fields {missing}")
    flat = tuple(
        Field(
            fl.name,
            fl.api_key,
            fl.type,
            read_only=fl.read_only,
            filters=wanted.get(fl.name, ()),
            datetime_style=fl.datetime_style,
            detail_only=fl.detail_only,
            custom=fl.custom,
            description=fl.description,
        )
        for fl in flat
    )
    return ObjectSpec(
        name=name,
        module=module,
        key=key,
        fields=flat,
        operations=frozenset(("select", *ops)),
        incremental=incremental,
        sync=sync,
        nested=nested,
        relations=relations,
        **options,  # type: ignore[arg-type]
    )


def R(field: str, obj: str, target: str = "Id") -> Relation:  # noqa: N802
    return Relation(field, obj, target)


def values(name: str, api_key: str, *, detail: bool = False, ro: bool = False) -> Nested:
    """A list of scalars (the seed's `ValueType`)."""
    return Nested(name, api_key, "ValueType", kind="values", detail_only=detail, read_only=ro)


# -- shared groups: bookkeeping ----------------------------------------------------------------
def deleted(style_note: str = "") -> tuple[Field, ...]:
    """`is_deleted` + `deleted_date` (Datetime-ISO everywhere, reference §7.2)."""
    return (
        f("IsDeleted", "is_deleted", B, ro=True),
        iso("DeletedDate", "deleted_date", ro=True, desc=style_note),
    )


def stamps_iso(created: bool = True) -> tuple[Field, ...]:
    out: tuple[Field, ...] = (iso("UpdatedDate", "modified_date", ro=True),)
    if created:
        out += (iso("CreatedDate", "created_date", ro=True),)
    return out


def stamps_sql(created: bool = True) -> tuple[Field, ...]:
    out: tuple[Field, ...] = (sql("UpdatedDate", "modified_date", ro=True),)
    if created:
        out += (sql("CreatedDate", "created_date", ro=True),)
    return out


PERMISSIONS = f("Permissions", "permissions", J, ro=True, desc="user-token calls only")


# -- shared groups: addresses ------------------------------------------------------------------
ADDRESS_FIELDS = (
    f("Country", "country", desc="3-letter ISO 3166 code"),
    f("County", "county"),
    f("Municipality", "municipality"),
    f("City", "city"),
    f("Street", "street"),
    f("ZipCode", "zipcode"),
)


def company_address(zip_name: str = "ZipCode", country_name: bool = False) -> tuple[Field, ...]:
    """The document's `company_address` dict, flattened the way Skyvia names it (view only)."""
    out: tuple[Field, ...] = (
        f("CompanyAddressCountry", "company_address.country", ro=True, detail=True),
        f("CompanyAddressCounty", "company_address.county", ro=True, detail=True),
        f("CompanyAddressMunicipality", "company_address.municipality", ro=True, detail=True),
        f("CompanyAddressCity", "company_address.city", ro=True, detail=True),
        f("CompanyAddressStreet", "company_address.street", ro=True, detail=True),
        f(f"CompanyAddress{zip_name}", "company_address.zipcode", ro=True, detail=True),
        f(
            "CompanyAddressFullAddress",
            "company_address.full_address",
            ro=True,
            detail=True,
            desc="named by Skyvia's filter table; key inside company_address inferred",
        ),
    )
    if country_name:
        out += (
            f(
                "CompanyAddressCountryName",
                "company_address.country_name",
                ro=True,
                detail=True,
                desc="SyncHub AddressCountryName; key inside company_address inferred",
            ),
        )
    return out


# -- shared groups: document headers (reference §4.8, §4.9) -------------------------------------
def doc_core(
    *,
    stamps: tuple[Field, ...],
    zip_name: str = "ZipCode",
    country_name: bool = False,
    without: tuple[str, ...] = (),
) -> tuple[Field, ...]:
    """The invoice header core shared by invoices, quotes, orders, prepayments, purchase
    orders, scheduled invoices and bills. `without` drops canonical names a document lacks."""
    core = (
        key("id"),
        f("DocumentNumber", "no", desc="numeric string in real data"),
        f("Discount", "discount", DEC),
        f("Discount2", "discount2", DEC),
        f("Discount3", "discount3", DEC),
        f("Sum", "sum", DEC, desc="after discounts, without VAT"),
        f("VATSum", "vat_sum", DEC),
        f("Vat", "vat", DEC, desc="document VAT percent unless line-based VAT is on"),
        f("VatCodeId", "vat_code_id", I),
        f("VatCode", "vat_code", ro=True),
        f("CompanyId", "company_id", I),
        f("CompanyName", "company_name", ro=True),
        f("PersonId", "person_id", I),
        f("PersonName", "person_name", ro=True),
        f("CompanyAddressId", "company_address_id", I),
        *company_address(zip_name, country_name),
        f("InterestedPartyId", "interested_party_id", I),
        f("InterestedPartyAddressId", "interested_party_address_id", I),
        f("ProjectId", "project_id", I),
        f("ProjectName", "project_name", ro=True),
        f("Currency", "currency"),
        f("CurrencyRate", "currency_rate", DEC),
        f("OwnerId", "owner_id", I),
        f("OwnerEmail", "owner_email"),
        f("Date", "date", DATE),
        f("Deadline", "deadline", DATE),
        f("Status", "status"),
        f("Description", "description"),
        f("AccountId", "account_id", desc="business entity id (string)"),
        f("IsSent", "is_sent", B),
        *stamps,
        *deleted(),
    )
    unknown = set(without) - {fl.name for fl in core}
    if unknown:
        raise KeyError(f"doc_core(without=...) names unknown fields {sorted(unknown)}")
    return tuple(fl for fl in core if fl.name not in without)


DOC_RELATIONS = (
    R("VatCodeId", "VATCodes"),
    R("CompanyId", "Contacts"),
    R("PersonId", "Contacts"),
    R("ProjectId", "Projects"),
    R("OwnerId", "Users"),
)

ROLE_BASED = (
    f("IsRoleBased", "is_role_based", B),
    f("LocalPriceListId", "local_price_list_id", I),
)

# -- shared groups: document lines ---------------------------------------------------------------
LINE_CORE = (
    f("Id", "id", I, ro=True),
    f("ProductId", "product_id", I),
    f("ProductName", "product_name", ro=True),
    f("ProductCode", "product_code", ro=True),
    f("Comment", "comment"),
    f("Comment2", "comment2"),
    f("Price", "price", DEC),
    f("Amount", "amount", DEC),
    f("Amount2", "amount2", DEC),
    f("Discount", "discount", DEC),
    f("Sum", "sum", DEC, desc="line sum without VAT"),
    f("Vat", "vat", DEC),
    f("VatCodeId", "vat_code_id", I),
    f("VatCode", "vat_code", ro=True),
    f("Unit", "unit"),
    f("FinanceObjectId", "finance_object_id", I),
    f("FinanceObjectName", "finance_object_name", ro=True),
    f("FinanceObjectSymbol", "finance_object_symbol", ro=True),
    f("FinanceAccountId", "finance_account_id", I),
    f("FinanceAccountName", "finance_account_name", ro=True),
    f("FinanceAccountSymbol", "finance_account_symbol"),
    f("Cost", "cost", DEC),
    f("SupplierId", "supplier_id", I),
    f("SupplierName", "supplier_name", ro=True),
    f("DoerId", "doer_id", I),
    f("DoerEmail", "doer_email"),
    f("RoleId", "role_id", I),
    f("RoleName", "role_name", ro=True),
    f("IsInternal", "is_internal", B),
    f("ProjectId", "project_id", I),
    f("ProjectName", "project_name", ro=True),
    f("CustomFields", "custom_fields", J, detail=True, desc="line custom fields [{id, name, value, type}]"),
)

BILL_LINE = tuple(
    fl
    for fl in LINE_CORE
    if fl.name
    not in {
        "Amount2",
        "ProductName",
        "ProductCode",
        "Cost",
        "SupplierId",
        "SupplierName",
        "DoerId",
        "DoerEmail",
        "RoleId",
        "RoleName",
        "IsInternal",
        "ProjectName",
    }
)

EXPENSE_LINE = (
    f("Id", "id", I, ro=True),
    f("Description", "description"),
    f("AdditionalDescription", "additional_description"),
    f("Quantity", "quantity", DEC),
    f("AdditionalQuantity", "additional_quantity", DEC),
    f("Sum", "sum", DEC, desc="line sum without tax"),
    f("TaxPercentage", "tax_percentage", DEC),
    f("TaxCodeId", "tax_code_id", I),
    f("TaxCode", "tax_code", ro=True),
    f("AccountingObjectId", "accounting_object_id", I),
    f("AccountingObjectName", "accounting_object_name", ro=True),
    f("AccountingObjectSymbol", "accounting_object_symbol", ro=True),
    f("FinanceAccountId", "finance_account_id", I),
    f("FinanceAccountName", "finance_account_name", ro=True),
    f("FinanceAccountSymbol", "finance_account_symbol", ro=True),
    f("ProductId", "product_id", I),
    f("ProductName", "product_name", ro=True),
    f("ProductCode", "product_code", ro=True),
    f("Price", "price", DEC),
    f("Unit", "unit"),
    f("ProjectId", "project_id", I),
    f("ProjectName", "project_name", ro=True),
    f("CustomFields", "custom_fields", J, detail=True),
)

LINE_DATES = Nested("Dates", "dates", "KeyValueType", kind="mapping", detail_only=True)


def lines(type_name: str, fields: tuple[Field, ...] = LINE_CORE, *, dates: bool = False) -> Nested:
    """A document's `lines`: null on plain lists, filled on view / detailed list."""
    return Nested(
        "Lines",
        "lines",
        type_name,
        kind="objects",
        fields=fields,
        nested=(LINE_DATES,) if dates else (),
        key="Id",
        detail_only=True,
    )


LINE_RELATIONS = (
    R("Lines.ProductId", "Products"),
    R("Lines.VatCodeId", "VATCodes"),
    R("Lines.FinanceObjectId", "AccountingObjects"),
    R("Lines.FinanceAccountId", "FinanceAccounts"),
    R("Lines.SupplierId", "Contacts"),
    R("Lines.DoerId", "Users"),
    R("Lines.RoleId", "PermissionSets"),
    R("Lines.ProjectId", "Projects"),
)
BILL_LINE_RELATIONS = tuple(
    r for r in LINE_RELATIONS if r.field not in {"Lines.SupplierId", "Lines.DoerId", "Lines.RoleId"}
)


# -- shared groups: contacts (reference §4.1) --------------------------------------------------
PERSON_ONLY = ("LastName", "Birthday", "Position", "Sex")

CONTACT_FIELDS = (
    key("contact_id"),
    f("Name", "name", desc="company name, or first name of a person"),
    f("LastName", "lastname"),
    f("SearchName", "search_name", ro=True),
    f("ContactType", "contact_type", desc="person | company"),
    f("IdCode", "id_code"),
    f("BankAccount", "bankaccount"),
    f("Birthday", "birthday", DATE, desc="may have no year"),
    f("Position", "position"),
    f("Comments", "comments"),
    f("Sex", "sex", desc="F | M"),
    f("VATNumber", "vatno"),
    f("Timezone", "timezone"),
    f("ManagerId", "manager_id", I),
    f("ManagerEmail", "manager_email"),
    f("IsSupplier", "is_supplier", B),
    f("IsClient", "is_client", B),
    f("ClientProfileId", "client_profile_id", I),
    f("ReferenceNo", "reference_no"),
    f("CatId", "cat_id", I),
    f("CatName", "cat_name", ro=True),
    PERMISSIONS,
    f("ContactPicture", "contact_picture", ro=True, desc="profile image URL (SyncHub ContactPicture)"),
    f(
        "PictureContent",
        "contact_picture",
        BIN,
        ro=True,
        desc="the bytes behind ContactPicture's URL; one extra request per record, only when selected",
    ),
    *stamps_iso(),
    *deleted(),
)

MEANS_OF_CONTACT = (
    ("Mobile", "mobile"),
    ("Phone", "phone"),
    ("Email", "email"),
    ("EmailForInvoice", "email_for_invoice"),
    ("Website", "website"),
    ("Skype", "skype"),
    ("Fax", "fax"),
    ("Linkedin", "linkedin"),
    ("Twitter", "twitter"),
)


def contact_nested(*, person: bool) -> tuple[Nested, ...]:
    out: tuple[Nested, ...] = (
        # Skyvia's single `Address` beside `Addresses`. The reference documents only the
        # `addresses` list on contacts; `address` is Skyvia's name taken as the wire key.
        Nested(
            "Address",
            "address",
            "AddressType",
            kind="object",
            fields=ADDRESS_FIELDS,
        ),
        Nested("Addresses", "addresses", "AddressType", kind="objects", fields=ADDRESS_FIELDS),
        *(values(name, f"means_of_contact.{k}") for name, k in MEANS_OF_CONTACT),
        values("Tags", "tags"),
        values("ContactUsers", "contact_users"),
    )
    if person:
        out += (
            Nested(
                "RelatedCompanies",
                "related_companies",
                "RelatedCompaniesType",
                kind="objects",
                fields=(
                    f("RelatedCompanyId", "related_company_id", I),
                    f("RelatedCompanyName", "related_company_name", ro=True),
                ),
                key="RelatedCompanyId",
            ),
        )
    return out


CONTACT_RELATIONS = (
    R("ClientProfileId", "ClientProfiles"),
    R("CatId", "Categories"),
    R("ManagerId", "Users"),
)

# -- shared groups: events (tasks and calendar, reference §4.3, §4.4) ----------------------------
EVENT_FIELDS = (
    key("event_id"),
    f("EventName", "event_name"),
    f("Description", "description"),
    f("IsPersonal", "is_personal", B),
    f("ProjectId", "project_id", I),
    f("ProjectPhaseId", "project_phase_id", I),
    f("ProjectName", "project_name", ro=True, desc="user-token calls only"),
    f("CompanyId", "company_id", I),
    f("CompanyName", "company_name", ro=True),
    f("PersonId", "person_id", I),
    f("PersonName", "person_name", ro=True, desc="user-token calls only"),
    f("InvoiceId", "invoice_id", I),
    f("OrderId", "order_id", I),
    f("QuoteId", "quote_id", I),
    f("PurchaseOrderId", "purchase_order_id", I),
    f("RentOrderId", "rent_order_id", I),
    f("BillId", "bill_id", I),
    f("DurationPlanned", "duration_planned", TIME),
    f("BillableHours", "billable_hours", TIME),
    f("DurationActual", "duration_actual", TIME, ro=True, desc="computed from time entries"),
    f("ActivityId", "activity_id", I),
    f("ActivityType", "activity_type"),
    f("OwnerId", "owner_id", I),
    f("OwnerEmail", "owner_email"),
    f("CreatedUser", "created_user", I, ro=True),
    f("ModifiedUser", "modified_user", I, ro=True),
    PERMISSIONS,
    *stamps_iso(),
    *deleted(),
)

EVENT_RELATIONS = (
    R("ProjectId", "Projects"),
    R("ProjectPhaseId", "ProjectPhases"),
    R("CompanyId", "Contacts"),
    R("PersonId", "Contacts"),
    R("InvoiceId", "Invoices"),
    R("OrderId", "Orders"),
    R("QuoteId", "Quotes"),
    R("PurchaseOrderId", "PurchaseOrders"),
    R("BillId", "Bills"),
    R("ActivityId", "Activities"),
    R("OwnerId", "Users"),
    R("CreatedUser", "Users"),
    R("ModifiedUser", "Users"),
)

# -- shared groups: time entries (reference §4.5) --------------------------------------------------
TIME_ENTRY_FIELDS = (
    key("time_entry_id"),
    f("Description", "description"),
    f("Title", "title", ro=True, desc="built from the description and activity"),
    f("UserId", "user_id", I, desc="required on create with an API key"),
    f("ActivityId", "activity_id", I),
    f("BillableTimeType", "billable_time_type", desc="billable | non_billable | custom"),
    f("InvoiceLineId", "invoice_line_id", I),
    f("EventId", "event_id", I, desc="the task or calendar event; required on create"),
    f("EventType", "event_type", desc="task | cal"),
    f("CalendarEventId", "calendar_event_id", I),
    f("TimeEntryType", "time_entry_type", desc="task | cal"),
    iso("StartDatetime", "start_datetime"),
    iso("EndDatetime", "end_datetime"),
    f("Duration", "duration", TIME),
    f("BillableDuration", "billable_duration", TIME),
    f("IsCompleted", "is_completed", B),
    f("IsConfirmed", "is_confirmed", B),
    f("IsBillable", "is_billable", B, desc="deprecated; use BillableTimeType"),
    iso("CompletedDatetime", "completed_datetime"),
    f("IsLocked", "is_locked", B),
    PERMISSIONS,
    iso("UpdatedDate", "modified_date", ro=True),
    f("TimeEntryDate", "time_entry_date", DATE),
    f("IsSubmitted", "is_submitted", B),
    iso("SubmittedDate", "submitted_date", ro=True),
    *deleted(),
)


# -- comments: one object per parent module ------------------------------------------------------
def comments(name: str, parent: str, parent_module: str, *, sync: bool = False) -> ObjectSpec:
    return _obj(
        name,
        "comments",
        (
            key("comment_id"),
            f("ObjectId", "object_id", I, desc="the commented record; required on create"),
            f("Module", "module", desc=f"always {parent_module!r} for this object"),
            f("ParentId", "parent_id", I, desc="0 = top level; set to reply"),
            f("Comment", "comment", desc="HTML"),
            f("UserId", "user_id", I, desc="required on create with an API key"),
            PERMISSIONS,
            iso("UpdatedDate", "modified_date", ro=True),
            *deleted(),
        ),
        filters="UpdatedDate*",
        ops=INSERT_DELETE,
        incremental="UpdatedDate",
        sync=sync,
        relations=(R("ObjectId", parent), R("UserId", "Users"), R("ParentId", name)),
        parent=Parent(object=parent, module=parent_module, field="ObjectId"),
        reader="per_parent",
        has_view=False,
        detailed_list=False,
        description=f"Comments on {parent}.",
    )


# ================================================================================================
# Objects
# ================================================================================================
# The object table is data: one declaration per object, kept compact on purpose.
# fmt: off
_ALL: list[ObjectSpec] = []
add = _ALL.append

add(_obj(
    "AccountingObjects", "financeObjects",
    (key("object_id"), f("ObjectSymbol", "object_symbol"), f("Name", "name"),
     f("ParentGroupName", "parent_group_name", ro=True)),
    filters="Id ObjectSymbol Name ParentGroupName",
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "Activities", "activities",
    (key("activity_id"), f("Name", "name"), f("ParentId", "parent_id", I),
     f("ParentName", "parent_name", ro=True), f("IsGroup", "is_group", B), f("IsActive", "is_active", B),
     f("ProductId", "product_id", I), iso("UpdatedDate", "modified_date", ro=True)),
    filters="Name ParentName IsGroup IsActive UpdatedDate*",
    incremental="UpdatedDate",
    relations=(R("ParentId", "Activities"), R("ProductId", "Products")),
    has_view=False, has_delete_flag=False, detailed_list=False,
))

add(comments("BillComments", "Bills", "bills"))

add(_obj(
    "Bills", "bills",
    (doc_core(stamps=stamps_sql()),
     f("IsChargeable", "is_chargeable", B),
     f("DateOfPayment", "dateofpayment", DATE),
     f("PaymentType", "payment_type"),
     f("RecognitionDate", "recognition_date", DATE),
     f("ReferenceNo", "reference_no"),
     f("PurchaseOrderId", "purchase_order_id", I)),
    filters="Id DocumentNumber IsChargeable DateOfPayment* PaymentType RecognitionDate* Discount Discount2 "
            "Discount3 VATSum Sum CompanyAddressCountry CompanyAddressCounty CompanyAddressMunicipality "
            "CompanyAddressCity CompanyAddressStreet CompanyAddressZipCode CompanyAddressFullAddress Currency "
            "Date* Deadline* Status Description AccountId IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("BillLinesType", BILL_LINE),),
    relations=(*DOC_RELATIONS, R("PurchaseOrderId", "PurchaseOrders"), *BILL_LINE_RELATIONS),
    custom_fields=True,
    description="Purchase invoices.",
))

add(_obj(
    "Bookings", "bookings",
    (key("id"), f("UserId", "user_id", I), f("ProjectId", "project_id", I), f("EventId", "event_id", I),
     f("StartDate", "start_date", DATE), f("EndDate", "end_date", DATE), f("Duration", "duration", TIME),
     f("Comment", "comment"), f("Status", "status"), *stamps_iso(), *deleted()),
    filters="Id",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    relations=(R("UserId", "Users"), R("ProjectId", "Projects"), R("EventId", "Tasks")),
    module_known=False,
    description="Resource bookings. Module path unconfirmed; override with [scoro.modules].",
))

add(_obj(
    "BusinessEntity", "companyAccount",
    (key("id", S), f("CompanyName", "company_name"), f("AlternativeName", "alternative_name"),
     f("Email", "email"), f("Website", "website"), f("Phone", "phone"), f("Fax", "fax"),
     f("RegNo", "reg_no"), f("VatNo", "vat_no"), f("SiteVersion", "site_version", ro=True),
     f("BaseCurrency", "base_currency"), f("Language", "language")),
    nested=(
        Nested("Address", "address", "AddressType", kind="objects", fields=ADDRESS_FIELDS),
        values("ActiveCurrencies", "active_currencies"),
    ),
    reader="company_account", has_view=False, has_delete_flag=False, detailed_list=False,
    description="The company accounts (business entities) the credentials can act on.",
))

add(comments("CalendarComments", "CalendarEvents", "calendar"))

USER_OBJECT_FIELDS = (
    f("Id", "id", I, ro=True), f("UserName", "username", ro=True), f("FirstName", "firstname", ro=True),
    f("LastName", "lastname", ro=True), f("FullName", "full_name", ro=True), f("Email", "email", ro=True),
)

add(_obj(
    "CalendarEvents", "calendar",
    (EVENT_FIELDS,
     f("EventType", "event_type", desc="named by Skyvia's filter table"),
     f("Address", "address"),
     iso("StartDatetime", "start_datetime"),
     iso("EndDatetime", "end_datetime"),
     f("FullDayEvent", "full_day_event", B),
     f("Status", "status", desc="busy | free | tentative | outofoffice"),
     f("StatusName", "status_name", ro=True, detail=True),
     f("RelatedTaskId", "related_task_id", I),
     f("Guests", "guests", J, desc="[{contact_id, guest_email}]"),
     f("CallLink", "call_link"),
     f("RepeatId", "repeat_id", I, desc="parent of a recurring event"),
     f("ExternalData", "external_data", J)),
    filters="Id EventName EventType Address StartDatetime* EndDatetime* FullDayEvent Status IsPersonal "
            "ProjectName CompanyName DurationPlanned BillableHours DurationActual OwnerEmail IsDeleted "
            "CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        Nested("Users", "cal_user", "UserType", kind="objects", fields=USER_OBJECT_FIELDS,
               nested=(values("UserGroupsIds", "user_groups_ids"),), key="Id", detail_only=True),
        Nested("Resources", "resources", "ResourcesType", kind="objects",
               fields=(f("ResourceId", "resource_id", I), f("ResourceName", "resource_name", ro=True),
                       f("ResourceColor", "resource_color", ro=True)),
               key="ResourceId", detail_only=True),
    ),
    relations=(*EVENT_RELATIONS, R("RelatedTaskId", "Tasks"), R("RepeatId", "CalendarEvents"),
               R("Users.Id", "Users"), R("Resources.ResourceId", "EventResources")),
    custom_fields=True,
))

add(_obj(
    "Categories", "categories",
    (key("cat_id"), f("CatName", "cat_name"), f("Symbol", "symbol"), f("Description", "description"),
     iso("UpdatedDate", "modified_date", ro=True)),
    incremental="UpdatedDate",
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="Contact categories.",
))

add(_obj(
    "ClientProfiles", "clientProfiles",
    (key("id"), f("Name", "name"),
     f("Discount", "discount", desc="string on the wire"), f("Discount2", "discount2"),
     f("Discount3", "discount3"), f("VatCodeId", "vat_code_id", I), f("DeadlineDays", "deadline_days", I),
     f("Fine", "fine", desc="fine % per day, string"), f("Currency", "currency"),
     f("PaymentType", "payment_type"), f("LanguageId", "language_id"), f("PriceListId", "price_list_id", I),
     *stamps_iso()),
    filters="Id",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    relations=(R("VatCodeId", "VATCodes"), R("PriceListId", "PriceLists")),
    has_delete_flag=False, detailed_list=False,
))

COMPANY_FIELDS = tuple(fl for fl in CONTACT_FIELDS if fl.name not in PERSON_ONLY)

add(_obj(
    "Companies", "contacts", COMPANY_FIELDS,
    filters="Id Name SearchName BankAccount Comments VATNumber Timezone IsSupplier IsClient CatName IsDeleted "
            "CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=contact_nested(person=False),
    relations=CONTACT_RELATIONS,
    fixed_filter=(("contact_type", "company"),), fixed_values=(("contact_type", "company"),),
    custom_fields=True,
    description="Contacts of type company.",
))

add(comments("CompanyComments", "Companies", "contacts"))

add(_obj(
    "ContactRelations", "relations",
    (f("ObjectId", "object_id", I, desc="the contact whose relations these are"),
     f("Type", "type", desc="module of ObjectId; always 'contacts' here"),
     f("RelatedObjectId", "id", I, desc="related_objects[].id"),
     f("Relation", "relation", desc="related_objects[].relation: a relation type name"),
     f("Comment", "comment", desc="related_objects[].comment"),
     f("IsDefault", "is_default", B, desc="related_objects[].is_default")),
    key="ObjectId,RelatedObjectId",
    ops=INSERT,
    relations=(R("ObjectId", "Contacts"), R("Relation", "RelationTypes", "RelationName")),
    parent=Parent(object="Contacts", module="contacts", field="ObjectId"),
    reader="per_parent", insert_is_upsert=True,
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="One row per related object of a contact; insert is an upsert.",
))

add(_obj(
    "Contacts", "contacts", CONTACT_FIELDS,
    filters="Id Name LastName SearchName BankAccount Birthday* Position Comments VATNumber Sex Timezone "
            "IsSupplier IsClient CatName IsDeleted CreatedDate* UpdatedDate*",
    incremental="UpdatedDate",
    nested=contact_nested(person=True),
    relations=CONTACT_RELATIONS,
    custom_fields=True,
    description="All contacts, people and companies; read-only.",
))

add(_obj(
    "CustomFields", "customFields",
    (key("id", S), f("Name", "name"), f("Type", "type"), f("IsFilterable", "is_filterable", B)),
    nested=(values("Modules", "modules"),),
    has_view=False, has_delete_flag=False, detailed_list=False, skyvia=False,
    description="Custom field definitions; ids look like c_xxx.",
))

add(_obj(
    "CustomModules", "customModules",
    (key("id"), f("Title", "title"), f("Path", "path"), f("FullPath", "full_path"),
     f("ParentModuleId", "parent_module_id", I), f("PrimaryCustomFieldName", "primary_custom_field_name"),
     f("UsePermissions", "use_permissions", B), f("UseStatuses", "use_statuses", B),
     f("UseBoardView", "use_board_view", B), f("Status", "status"), f("StatusName", "status_name", ro=True),
     f("ModifiedUser", "modified_user", I, ro=True), f("CreatedUser", "created_user", I, ro=True),
     *stamps_iso()),
    relations=(R("ParentModuleId", "CustomModules"), R("ModifiedUser", "Users"), R("CreatedUser", "Users")),
    has_delete_flag=False, detailed_list=False, skyvia=False,
))

add(_obj(
    "Depot", "depot",
    (key("depot_id"), f("DepotName", "depot_name"), f("Comments", "comments")),
    filters="Id DepotName Comments",
    has_delete_flag=False, detailed_list=False,
    description="Warehouses.",
))

add(_obj(
    "EventResources", "eventsResources",
    (key("resource_id"), f("ResourceName", "resource_name"), f("ResourceColor", "resource_color"),
     iso("UpdatedDate", "modified_date", ro=True)),
    filters="Id ResourceName ResourceColor UpdatedDate*",
    incremental="UpdatedDate",
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "Expenses", "expenses",
    (key("id"), f("DocumentNumber", "no"), f("Date", "date", DATE), f("DueDate", "due_date", DATE),
     f("RecognitionDate", "recognition_date", DATE), f("OwnerId", "owner_id", I),
     f("OwnerName", "owner_name", ro=True), f("OwnerEmail", "owner_email"), f("Comment", "comment"),
     f("IsChargeable", "is_chargeable", B), f("IsReimbursable", "is_reimbursable", B),
     f("CompanyId", "company_id", I, desc="the issuer"), f("CompanyName", "company_name", ro=True),
     *company_address(), f("PersonId", "person_id", I), f("PersonName", "person_name", ro=True),
     f("ProjectId", "project_id", I), f("ProjectName", "project_name", ro=True),
     f("Status", "status", desc="paid | unpaid"), f("Sum", "sum", DEC), f("TaxSum", "tax_sum", DEC),
     f("TaxPercentage", "tax_percentage", DEC), f("TaxCodeId", "tax_code_id", I),
     f("TaxCode", "tax_code", ro=True), f("Currency", "currency"), f("CurrencyRate", "currency_rate", DEC),
     f("AccountId", "account_id"), *stamps_sql(), *deleted()),
    filters="Id Date* DocumentNumber IsChargeable IsReimbursable Status Sum CompanyAddressCountry "
            "CompanyAddressCounty CompanyAddressMunicipality CompanyAddressCity CompanyAddressStreet "
            "CompanyAddressZipCode CompanyAddressFullAddress Currency IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("ExpenseLinesType", EXPENSE_LINE),),
    relations=(R("OwnerId", "Users"), R("CompanyId", "Contacts"), R("PersonId", "Contacts"),
               R("ProjectId", "Projects"), R("TaxCodeId", "VATCodes"),
               R("Lines.ProductId", "Products"), R("Lines.TaxCodeId", "VATCodes"),
               R("Lines.AccountingObjectId", "AccountingObjects"),
               R("Lines.FinanceAccountId", "FinanceAccounts"), R("Lines.ProjectId", "Projects")),
    custom_fields=True,
    description="Expenses use tax_* where other documents use vat_*.",
))

add(_obj(
    "Files", "files",
    (key("file_id"), f("Hash", "hash", ro=True, desc="set by Scoro from the content"), f("FileName", "file_name"),
     f("FileLocation", "file_location", ro=True, desc="set by Scoro on upload"),
     f("FileSize", "file_size", ro=True, desc="string on the wire; set by Scoro on upload"),
     f("UploadedBy", "uploaded_by", I),
     f("CategoryId", "category_id", I), f("Repository", "repository", desc="local | ftp"),
     f("FileType", "file_type"), f("IsPrivate", "is_private", B), f("IsPublic", "is_public", B),
     f("Relations", "relations", J, ro=True, detail=True, desc="{type: [ids]}"),
     PERMISSIONS,
     iso("CreatedDate", "created_date", ro=True, desc="named by Skyvia; datetime family unconfirmed"),
     iso("DateTimeAccessed", "datetime_accessed", ro=True, desc="named by Skyvia; datetime family unconfirmed"),
     f("Content", "content", BIN, desc="files/download/{id}; uploaded in base64 chunks of 5,000,000 bytes"),
     *deleted()),
    filters="Id FileName Hash FileLocation Repository FileType IsPrivate IsPublic IsDeleted CreatedDate* "
            "DateTimeAccessed*",
    ops=INSERT_DELETE, incremental="CreatedDate",
    relations=(R("UploadedBy", "Users"),),
    description="Only new files are detected incrementally: there is no modified date.",
))

add(_obj(
    "FinanceAccounts", "financeAccounts",
    (key("id"), f("AccountSymbol", "account_symbol"), f("Name", "name"), f("ParentId", "parent_id", I),
     f("ParentName", "parent_name", ro=True), f("IsActive", "is_active", B),
     f("IsSalesAccount", "is_sales_account", B), f("IsPurchasesAccount", "is_purchases_account", B),
     *stamps_iso()),
    filters="Id AccountSymbol Name ParentName IsActive IsSalesAccount IsPurchasesAccount CreatedDate* "
            "UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    relations=(R("ParentId", "FinanceAccounts"),),
    has_delete_flag=False, detailed_list=False,
))

add(comments("InvoiceComments", "Invoices", "invoices"))

add(_obj(
    "Invoices", "invoices",
    (doc_core(stamps=stamps_sql(), country_name=True),
     f("PaymentType", "payment_type", desc="banktransfer | cash | cardpayment | credit | barter"),
     f("Fine", "fine", desc="fine % per day, string"),
     f("PrepaymentSum", "prepayment_sum", DEC, ro=True, detail=True),
     f("RealEstateId", "real_estate_id", I), f("ReferenceNo", "reference_no"),
     f("PaidSum", "paid_sum", DEC, ro=True), f("PaymentFee", "payment_fee", DEC),
     f("ReceivableSum", "receivable_sum", DEC, ro=True),
     f("GenerationType", "generation_type", ro=True, desc="manual | automated"),
     f("ScheduledInvoiceId", "scheduled_invoice_id", I),
     f("AccountingPeriodFrom", "accounting_period_from", DATE),
     f("AccountingPeriodTo", "accounting_period_to", DATE),
     f("PayNowLink", "pay_now_link", ro=True),
     f("ShipmentDate", "shipment_date", DATE, desc="SyncHub column"),
     ROLE_BASED),
    filters="Id PaymentType Fine PrepaymentSum Currency PaymentFee IsRoleBased DocumentNumber Discount "
            "Discount2 Discount3 Sum VATSum Date* Deadline* Status Description AccountId IsSent IsDeleted "
            "CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        values("QuoteId", "quote_id"),
        values("OrderId", "order_id"),
        values("PrepaymentId", "prepayment_id"),
        values("CreditedInvoices", "credited_invoices"),
        lines("InvoiceLinesType",
              (*LINE_CORE, f("DepotAmounts", "depot_amounts", J, desc="[{depot_id, amount, serial_no}]")),
              dates=True),
    ),
    relations=(*DOC_RELATIONS, R("ScheduledInvoiceId", "ScheduledInvoices"),
               R("LocalPriceListId", "LocalPriceLists"), R("QuoteId", "Quotes"), R("OrderId", "Orders"),
               R("PrepaymentId", "Prepayments"), R("CreditedInvoices", "Invoices"), *LINE_RELATIONS),
    custom_fields=True,
))

add(_obj(
    "LaborCost", "usersLaborCost",
    (f("UserId", "user_id", I), f("Date", "date", DATE, desc="labor_cost[].date"),
     f("HourCost", "hour_cost", DEC, desc="labor_cost[].hour_cost")),
    key="UserId,Date",
    filters="UserId Date HourCost",
    ops=INSERT,
    relations=(R("UserId", "Users"),),
    reader="labor_cost", insert_is_upsert=True,
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="One row per user and date of the user's labor_cost list; insert is an upsert.",
))

add(comments("OrderComments", "Orders", "orders"))

add(_obj(
    "Orders", "orders",
    (doc_core(stamps=stamps_sql(), zip_name="Zipcode"),
     f("QuoteId", "quote_id", I), f("ShipmentDate", "shipment_date", DATE), ROLE_BASED),
    filters="Id ShipmentDate* IsRoleBased DocumentNumber Discount Discount2 Discount3 VATSum Sum "
            "CompanyAddressCountry CompanyAddressCounty CompanyAddressMunicipality CompanyAddressCity "
            "CompanyAddressStreet CompanyAddressZipcode CompanyAddressFullAddress Currency Date* Deadline* "
            "Status Description AccountId IsSent IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("OrderLinesType", dates=True),),
    relations=(*DOC_RELATIONS, R("QuoteId", "Quotes"), R("LocalPriceListId", "LocalPriceLists"),
               *LINE_RELATIONS),
    custom_fields=True,
))

add(_obj(
    "PDFTemplates", "pdfTemplates",
    (key("id"), f("Name", "name"), f("Type", "type"), f("Status", "status")),
    filters="Name Type Status",
    has_view=False, has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "People", "contacts", CONTACT_FIELDS,
    filters="Id Name LastName SearchName BankAccount Birthday* Position Comments Sex Timezone IsSupplier "
            "IsClient CatName CreatedDate* UpdatedDate* IsDeleted",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=contact_nested(person=True),
    relations=(*CONTACT_RELATIONS, R("RelatedCompanies.RelatedCompanyId", "Companies")),
    fixed_filter=(("contact_type", "person"),), fixed_values=(("contact_type", "person"),),
    custom_fields=True,
    description="Contacts of type person.",
))

add(comments("PeopleComments", "People", "contacts"))

add(_obj(
    "PermissionSets", "userRoles",
    (key("role_id"), f("RoleName", "role_name"),
     f("RoleUsers", "role_users", J, desc="user ids")),
    filters="Id",
    has_delete_flag=False, detailed_list=False,
    description="User roles (permission sets); users' RoleId points here.",
))

add(comments("PrepaymentComments", "Prepayments", "prepayments"))

add(_obj(
    "Prepayments", "prepayments",
    (doc_core(stamps=stamps_sql(), country_name=True),
     f("Fine", "fine", desc="fine % per day, string"), f("QuoteId", "quote_id", I),
     f("OrderId", "order_id", I), f("PrepaymentPercent", "prepayment_percent", DEC),
     f("ShipmentDate", "shipment_date", DATE, desc="SyncHub column"), ROLE_BASED),
    filters="Id Fine PrepaymentPercent IsRoleBased DocumentNumber Discount Discount2 Discount3 Sum VATSum "
            "Currency Date* Deadline* Status Description AccountId IsSent IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("PrepaymentLinesType"),),
    relations=(*DOC_RELATIONS, R("QuoteId", "Quotes"), R("OrderId", "Orders"),
               R("LocalPriceListId", "LocalPriceLists"), *LINE_RELATIONS),
    custom_fields=True,
))

add(_obj(
    "PriceLists", "priceLists",
    (key("id"), f("Name", "name"), f("Currency", "currency"), f("AccountId", "account_id")),
    filters="Id Name Currency AccountId",
    ops=INSERT_UPDATE,
    has_delete_flag=False, detailed_list=False,
    description="Field set from Skyvia's filter table; the wire shape is not documented.",
))

add(_obj(
    "ProductGroups", "productGroups",
    (key("id"), f("ParentGroupId", "parent_group_id", I, desc="0 = root"), f("Name", "name"),
     f("Comments", "comments"), f("PcsPerPackage", "pcs_per_package", I), f("AccountName", "account_name")),
    filters="Id Name Comments PcsPerPackage AccountName",
    ops=INSERT_UPDATE,
    relations=(R("ParentGroupId", "ProductGroups"),),
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "Products", "products",
    (key("product_id"), f("Code", "code"), f("Name", "name", desc="localized"),
     f("Price", "price", DEC), f("BuyingPrice", "buying_price", DEC), f("PriceList", "price_list", I),
     f("Description", "description"), f("Description2", "description2"), f("Unit", "unit"),
     f("Amount", "amount", DEC), f("Amount2", "amount2", DEC), f("Tag", "tag"), f("Url", "url"),
     f("DefaultType", "default_type", desc="inhouse | outsourced"), f("UseSupplier", "use_supplier", B),
     f("SupplierId", "supplier_id", I), f("DefaultDoerId", "default_doer_id", I),
     f("DefaultRoleId", "default_role_id", I), f("ProductgroupId", "productgroup_id", I),
     f("IsActive", "is_active", B), f("IsService", "is_service", B), f("NoDiscounts", "no_discounts", B),
     f("DefaultVatCodeId", "default_vat_code_id", I), f("DefaultSalesTaxId", "default_sales_tax_id", I),
     f("DefaultPurchasesTaxId", "default_purchases_tax_id", I),
     f("AccountingObjectId", "accounting_object_id", I),
     f("DepotsTotalAmount", "depots_total_amount", DEC, ro=True),
     f("DepotAmounts", "depot_amounts", J, desc="{depot_id: amount}"),
     f("AccountId", "account_id"), f("ProductAccounts", "product_accounts", J),
     f("SalesFinanceAccountId", "sales_finance_account_id", I),
     f("PurchasesFinanceAccountId", "purchases_finance_account_id", I),
     *stamps_iso(), *deleted()),
    filters="Id Code Name Price BuyingPrice Description Description2 Unit Amount Amount2 Tag Url DefaultType "
            "UseSupplier IsActive IsService NoDiscounts IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(values("Pictures", "pictures"), values("OrderId", "order_id")),
    relations=(R("SupplierId", "Contacts"), R("DefaultDoerId", "Users"), R("DefaultRoleId", "PermissionSets"),
               R("ProductgroupId", "ProductGroups"), R("DefaultVatCodeId", "VATCodes"),
               R("DefaultSalesTaxId", "VATCodes"), R("DefaultPurchasesTaxId", "VATCodes"),
               R("AccountingObjectId", "AccountingObjects"), R("SalesFinanceAccountId", "FinanceAccounts"),
               R("PurchasesFinanceAccountId", "FinanceAccounts")),
    custom_fields=True,
))

add(comments("ProjectComments", "Projects", "projects"))

PHASE_FIELDS = (
    f("Id", "id", I, ro=True),
    f("Type", "type", desc="phase | milestone"),
    f("Title", "title"),
    f("StartDate", "start_date", DATE),
    f("EndDate", "end_date", DATE),
    f("Ordering", "ordering", I),
    f("QuoteLineId", "quote_line_id", I),
)

add(_obj(
    "ProjectPhases", "projectPhases",
    (*PHASE_FIELDS, f("ProjectId", "project_id", I)),
    filters="Type Title StartDate* EndDate* Ordering",
    relations=(R("ProjectId", "Projects"),),
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="Read here; written through Projects (Phases).",
))

add(_obj(
    "Projects", "projects",
    (key("project_id"), f("DocumentNumber", "no", desc="numeric string in real data"),
     f("ProjectName", "project_name"), f("Description", "description", desc="HTML"),
     f("CompanyId", "company_id", I), f("CompanyName", "company_name", ro=True, desc="user-token calls only"),
     f("IsPersonal", "is_personal", B), f("IsPrivate", "is_private", B), f("Color", "color"),
     f("Status", "status"), f("StatusName", "status_name", ro=True, detail=True),
     f("ManagerId", "manager_id", I), f("ManagerEmail", "manager_email"),
     f("Date", "date", DATE), f("Deadline", "deadline", DATE), f("Duration", "duration", TIME),
     f("AccountId", "account_id"), f("BudgetType", "budget_type", desc="quote | simple | advanced; set on create"),
     f("ProjectType", "project_type", desc="regular | retainer | internal; set on create"),
     f("RetainerId", "retainer_id", I), ROLE_BASED, PERMISSIONS,
     f("ProjectCustomerPortalUsers", "project_customer_portal_users", J, ro=True, detail=True),
     f("StripDescription", "stripDescription", B, detail=True, desc="deprecated view parameter (SyncHub column)"),
     sql("UpdatedDate", "modified_date", ro=True),
     sql("CreatedDate", "created_date", ro=True, desc="SyncHub column; family as modified_date"),
     *deleted()),
    filters="Id DocumentNumber ProjectName IsPersonal IsPrivate Color Status StatusName Date* Deadline* "
            "Duration AccountId BudgetType IsDeleted UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        Nested("Phases", "phases", "PhasesType", kind="objects", fields=PHASE_FIELDS, key="Id",
               detail_only=True),
        values("Tags", "tags", detail=True),
        Nested("ProjectUsers", "project_users", "ProjectUsersType", kind="objects",
               fields=(f("UserId", "user_id", I),), key="UserId", detail_only=True),
        Nested("ProjectAccounts", "project_accounts", "ValueType", kind="values"),
    ),
    relations=(R("CompanyId", "Contacts"), R("ManagerId", "Users"), R("LocalPriceListId", "LocalPriceLists"),
               R("ProjectUsers.UserId", "Users"), R("ProjectAccounts", "BusinessEntity")),
    custom_fields=True,
))

add(_obj(
    "PurchaseOrders", "purchaseOrders",
    (doc_core(stamps=stamps_iso(), country_name=True, without=("Deadline",)),
     f("QuoteId", "quote_id", I), f("OrderId", "order_id", I), f("RealEstateId", "real_estate_id", I),
     f("DeliveryAddressId", "delivery_address_id", I), f("DeliveryDate", "delivery_date", DATE),
     iso("ConfirmedDate", "confirmed_date")),
    filters="Id DeliveryDate* ConfirmedDate* DocumentNumber Discount Discount2 Discount3 Sum VATSum Currency "
            "Date* Status Description AccountId IsSent IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("PurchaseOrderLinesType", (*LINE_CORE, f("IsSettled", "is_settled", B))),),
    relations=(*DOC_RELATIONS, R("QuoteId", "Quotes"), R("OrderId", "Orders"), *LINE_RELATIONS),
    custom_fields=True,
))

add(comments("QuoteComments", "Quotes", "quotes"))

add(_obj(
    "Quotes", "quotes",
    (doc_core(stamps=stamps_iso(), country_name=True),
     iso("ConfirmedDate", "confirmed_date"), f("EstimatedClosingDate", "estimated_closing_date", DATE),
     f("ShipmentDate", "shipment_date", DATE), f("StatusName", "status_name", ro=True),
     f("EstimatedDuration", "estimated_duration", I, desc="months"), ROLE_BASED),
    filters="Id ConfirmedDate* EstimatedClosingDate* VATSum Sum Currency ShipmentDate* EstimatedDuration "
            "DocumentNumber Discount Discount2 Discount3 Date* Deadline* Status Description AccountId IsSent "
            "IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("QuoteLinesType", (*LINE_CORE, f("IsConfirmed", "is_confirmed", B)), dates=True),),
    relations=(*DOC_RELATIONS, R("LocalPriceListId", "LocalPriceLists"), *LINE_RELATIONS),
    custom_fields=True,
))

add(_obj(
    "ReceiptAccounts", "receiptAccounts",
    (key("id"), f("Name", "name"), f("Type", "type")),
    filters="Name Type",
    has_view=False, has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "ReceiptGroups", "receipts",
    (key("id"), f("Date", "date", DATE), f("ContactId", "contact_id", I), f("Sum", "sum", DEC),
     f("Currency", "currency", desc="site default if empty"),
     f("SalesDocType", "sales_doc_type", desc="invoices | bills | expenses"),
     f("ReceiptAccountId", "receipt_account_id", I),
     sql("UpdatedDate", "modified_date", ro=True), *deleted()),
    filters="Date* Sum Currency SalesDocType IsDeleted UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        Nested("Receipts", "receipts", "ReceiptsType", kind="objects",
               fields=(f("ReceiptId", "receipt_id", I, ro=True), f("Date", "date", DATE),
                       f("InvoiceId", "invoice_id", I), f("InvoiceNo", "invoice_no", ro=True),
                       f("PrepaymentId", "prepayment_id", I), f("Sum", "sum", DEC),
                       f("SalesDocType", "sales_doc_type"), f("ContactId", "contact_id", I),
                       f("ContactName", "contact_name", ro=True)),
               key="ReceiptId"),
    ),
    relations=(R("ContactId", "Contacts"), R("ReceiptAccountId", "ReceiptAccounts"),
               R("Receipts.InvoiceId", "Invoices"), R("Receipts.PrepaymentId", "Prepayments"),
               R("Receipts.ContactId", "Contacts")),
    has_view=False, custom_fields=True,
    description="Payments: a receipt group with its receipt lines.",
))

add(_obj(
    "RelationTypes", "relationTypes",
    (f("RelationName", "relation_name"), f("RelationSideOne", "relation_side_one"),
     f("RelationSideTwo", "relation_side_two"), f("RelationObjectType", "relation_object_type")),
    key="RelationName",
    filters="RelationName RelationSideOne RelationSideTwo RelationObjectType",
    has_view=False, has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "RevenueForecastPeriods", "revenueForecastPeriods",
    (key("id"), f("ProjectId", "project_id", I), f("StartDate", "start_date", DATE),
     f("EndDate", "end_date", DATE), f("Sum", "sum", DEC), f("Currency", "currency"),
     iso("UpdatedDate", "modified_date", ro=True)),
    filters="Id",
    relations=(R("ProjectId", "Projects"),),
    has_delete_flag=False, detailed_list=False, module_known=False,
    description="Module path unconfirmed; override with [scoro.modules].",
))

add(_obj(
    "Roles", "roles",
    (key("id"), f("Name", "name"), f("IsActive", "is_active", B), iso("UpdatedDate", "modified_date", ro=True)),
    filters="Id IsActive Name",
    incremental="UpdatedDate",
    nested=(
        Nested("PriceLists", "price_lists", "PriceListsType", kind="objects",
               fields=(f("PriceListId", "price_list_id", I), f("PriceListName", "price_list_name", ro=True),
                       f("SellingPrice", "selling_price", DEC), f("Currency", "currency")),
               key="PriceListId"),
        values("Users", "users"),
    ),
    relations=(R("PriceLists.PriceListId", "PriceLists"), R("Users", "Users")),
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "RolesWithPrices", "rolesPrices",
    (f("RoleId", "role_id", I), f("PriceListId", "price_list_id", I), f("RoleName", "role_name", ro=True),
     f("PricelistName", "pricelist_name", ro=True), f("SellingPrice", "selling_price", DEC),
     f("Currency", "currency")),
    key="RoleId,PriceListId",
    filters="RoleName PricelistName SellingPrice Currency",
    relations=(R("RoleId", "Roles"), R("PriceListId", "PriceLists")),
    has_view=False, has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "ScheduledInvoices", "scheduledInvoices",
    (doc_core(stamps=stamps_sql(), without=("DocumentNumber", "Date", "Deadline")),
     f("PaymentType", "payment_type"), f("Fine", "fine", desc="fine % per day, string"),
     f("QuoteId", "quote_id", I), f("OrderId", "order_id", I), f("RealEstateId", "real_estate_id", I),
     f("DeadlineDays", "deadline_days", I), f("GenerateType", "generate_type"),
     f("CalculateLineDates", "calculate_line_dates", B),
     f("NextGenerationDate", "next_generation_date", DATE),
     f("LastGenerationDate", "last_generation_date", DATE),
     f("MarkPaidFromPrepayment", "mark_paid_from_prepayment", B), f("AutoSend", "auto_send", B),
     f("Lang", "lang"), f("Message", "message"), f("MailFromName", "mail_from_name"),
     f("MailFrom", "mail_from"), f("Cc", "cc"), f("Bcc", "bcc"), f("UseSignature", "use_signature", B),
     f("DefaultTemplateId", "default_template_id", I), ROLE_BASED),
    filters="Id Fine DeadlineDays GenerateType CalculateLineDates LastGenerationDate MarkPaidFromPrepayment "
            "AutoSend Lang MailFromName MailFrom Cc Bcc UseSignature IsRoleBased Discount Discount2 Discount3 "
            "Sum VATSum Currency Status Description AccountId IsSent IsDeleted CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(lines("ScheduledInvoiceLinesType", dates=True),),
    relations=(*DOC_RELATIONS, R("QuoteId", "Quotes"), R("OrderId", "Orders"),
               R("DefaultTemplateId", "PDFTemplates"), R("LocalPriceListId", "LocalPriceLists"),
               *LINE_RELATIONS),
    custom_fields=True,
))

add(_obj(
    "SentEmails", "sendLog",
    (key("id"), iso("Datetime", "datetime", desc="datetime family unconfirmed"),
     f("SenderId", "sender_id", I), f("SentFrom", "sent_from"),
     f("SentTo", "sent_to", J, desc="list of addresses; '=' matches one of them"),
     f("ContactId", "contact_id", J, desc="list of contact ids"), f("Type", "type"),
     f("DocId", "doc_id", I), f("ProjectId", "project_id", I), f("Subject", "subject"),
     f("Message", "message"), f("SendType", "send_type"), f("IsSent", "is_sent", B),
     f("IsDraft", "is_draft", B)),
    filters="Datetime* SentFrom SentTo Type Subject SendType IsSent IsDraft",
    relations=(R("SenderId", "Users"), R("ProjectId", "Projects")),
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="Log of sent e-mails and documents.",
))

add(_obj(
    "Statuses", "statuses",
    (f("StatusId", "status_id", S), f("StatusName", "status_name"), f("Color", "color"),
     f("Module", "module"), f("IsDefault", "is_default", B), iso("UpdatedDate", "modified_date", ro=True)),
    key="StatusId",
    filters="StatusId StatusName Color Module UpdatedDate*",
    incremental="UpdatedDate", sync=True,
    has_view=False, has_delete_flag=False, detailed_list=False,
    description="Status definitions per module.",
))

add(_obj(
    "Tags", "tags",
    (key("tag_id"), f("TagName", "tag_name"), f("ParentId", "parent_id", I),
     f("ParentName", "parent_name", ro=True)),
    relations=(R("ParentId", "Tags"),),
    has_view=False, has_delete_flag=False, detailed_list=False, skyvia=False,
))

add(comments("TaskComments", "Tasks", "tasks", sync=True))

add(_obj(
    "Tasks", "tasks",
    (EVENT_FIELDS,
     f("IsCompleted", "is_completed", B), iso("DateTimeCompleted", "datetime_completed"),
     f("AssignedTo", "assigned_to", I, desc="deprecated; use RelatedUsers"),
     iso("StartDatetime", "start_datetime"), iso("DateTimeDue", "datetime_due"),
     f("Status", "status", desc="open set: task_status1..N"), f("StatusName", "status_name", ro=True),
     f("Sortorder", "sortorder", I), f("QuoteLineId", "quote_line_id", I),
     f("PriorityId", "priority_id", I, desc="1 high, 2 normal, 3 low"), f("EteId", "ete_id", I),
     f("ParentId", "parent_id", I, desc="subtasks; immutable"),
     f("SubtaskIds", "subtask_ids", J, ro=True),
     f("BillableTimeType", "billable_time_type", desc="billable | non_billable | custom")),
    filters="Id EventName IsCompleted DateTimeCompleted* DurationActual DateTimeDue* Status StatusName "
            "Sortorder ActivityType IsPersonal ProjectName DurationPlanned BillableHours OwnerEmail IsDeleted "
            "CreatedDate* UpdatedDate*",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        values("RelatedUsers", "related_users"),
        values("RelatedUsersEmails", "related_users_emails"),
        Nested("TimeEntries", "time_entries", "TimeEntriesType", kind="objects", fields=TIME_ENTRY_FIELDS,
               key="Id", detail_only=True, read_only=True),
    ),
    relations=(*EVENT_RELATIONS, R("AssignedTo", "Users"), R("ParentId", "Tasks"), R("RelatedUsers", "Users"),
               R("TimeEntries.Id", "TimeEntries")),
    custom_fields=True,
))

add(_obj(
    "TimeEntries", "timeEntries", TIME_ENTRY_FIELDS,
    filters="Id Description EventType StartDatetime* EndDatetime* Duration BillableDuration IsCompleted "
            "IsConfirmed IsBillable CompletedDatetime* IsLocked TimeEntryDate* IsSubmitted IsDeleted",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    relations=(R("UserId", "Users"), R("EventId", "Tasks"), R("ActivityId", "Activities"),
               R("CalendarEventId", "CalendarEvents")),
))

add(_obj(
    "TimeOffs", "timeOffs",
    (key("id"), f("Type", "type"), f("Comment", "comment"), *stamps_iso(), *deleted()),
    filters="Id Type",
    ops=CRUD, incremental="UpdatedDate", sync=True,
    nested=(
        Nested("UsersDates", "users_dates", "UsersDatesType", kind="objects",
               fields=(f("UserId", "user_id", I),),
               nested=(Nested("Dates", "dates", "DatesType", kind="objects",
                              fields=(f("Date", "date", DATE), f("Duration", "duration", TIME)),
                              key="Date"),),
               key="UserId"),
    ),
    relations=(R("UsersDates.UserId", "Users"),),
    module_known=False,
    description="Module path unconfirmed; override with [scoro.modules].",
))

add(_obj(
    "TriggersAndActions", "triggers",
    (key("id"), f("Module", "module"), f("Name", "name"), f("Status", "status", desc="active | inactive | suspended"),
     f("IsShared", "is_shared", B), f("BookmarkId", "bookmark_id", I), f("UserId", "user_id", I),
     f("FilterData", "filter_data", J)),
    filters="Id Module Name Status IsShared",
    nested=(
        Nested("Activities", "activities", "ActivitiesType", kind="objects",
               fields=(f("Module", "module", desc="create | modify | delete"),)),
        Nested("Actions", "actions", "ActionsType", kind="objects",
               fields=(f("Id", "id", I, ro=True), f("TriggerId", "trigger_id", I), f("Type", "type"),
                       f("ActionData", "action_data", J)),
               key="Id"),
    ),
    relations=(R("UserId", "Users"), R("BookmarkId", "Bookmarks")),
    has_delete_flag=False, detailed_list=False,
    description="Read-only here, as in Skyvia.",
))

add(_obj(
    "UserGroups", "userGroups",
    (key("group_id"), f("GroupName", "group_name"), f("Comment", "comment"), f("IsHidden", "is_hidden", B)),
    filters="Id GroupName Comment IsHidden",
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "Users", "users",
    (key("id"), f("UserName", "username"), f("FirstName", "firstname"), f("LastName", "lastname"),
     f("FullName", "full_name"), f("Initials", "initials"), f("Email", "email"),
     f("IsActive", "is_active", B, desc="deprecated; use Status"),
     f("Status", "status", desc="active | inactive | pending | awaiting"), f("Birthday", "birthday", DATE),
     f("Category", "category", desc="user | admin | cupo"), f("Position", "position"),
     f("UserPicture", "user_picture", desc="URL"), f("RoleId", "role_id", I), f("CountryId", "country_id"),
     f("Gsm", "gsm"), f("TimeZone", "timezone"),
     f("Availability", "availability", J, desc="weekday -> seconds"),
     f("Comment", "comment", desc="SyncHub column"),
     f("IsHidden", "is_hidden", B, desc="SyncHub 'Hidden'; key inferred"),
     iso("UpdatedDate", "modified_date", ro=True),
     iso("CreatedDate", "created_date", ro=True, desc="SyncHub column")),
    filters="Id UserName FirstName LastName FullName Initials Email Status Birthday* Category Position "
            "CountryId Gsm TimeZone UpdatedDate*",
    incremental="UpdatedDate",
    nested=(values("UserGroupsIds", "user_groups_ids"),),
    relations=(R("RoleId", "PermissionSets"), R("UserGroupsIds", "UserGroups")),
    has_delete_flag=False,
    description="Read-only in the API.",
))

add(_obj(
    "VATCodes", "vatCodes",
    (key("vat_code_id"), f("VATCode", "vat_code"), f("Percent", "percent", DEC), f("VATName", "vat_name"),
     f("IsSales", "is_sales", B), f("IsPurchases", "is_purchases", B), f("IsActive", "is_active", B),
     f("IsNotApplicable", "is_not_applicable", B)),
    filters="Id VATCode Percent VATName IsSales IsPurchases IsActive IsNotApplicable",
    ops=CRUD,
    has_delete_flag=False, detailed_list=False,
))

add(_obj(
    "Webhooks", "webhooks",
    (key("id"), f("Module", "module"), f("Fields", "fields", J), f("Action", "action"),
     f("Status", "status", B), f("RelationType", "relation_type"), f("Owners", "owners", J),
     f("Actors", "actors", J), f("BookmarkId", "bookmark_id", I), f("Url", "url")),
    relations=(R("BookmarkId", "Bookmarks"),),
    has_view=False, has_delete_flag=False, detailed_list=False, skyvia=False,
    description="Subscriptions; created with webhooks/subscribe, removed with webhooks/unsubscribe/{id}.",
))

add(_obj(
    "LocalPriceLists", "localPriceLists",
    (key("id"), f("PriceListId", "price_list_id", I), f("Name", "name"), f("Currency", "currency"),
     f("ModifiedUser", "modified_user", I, ro=True), f("CreatedUser", "created_user", I, ro=True),
     *stamps_iso()),
    nested=(
        Nested("RolePrices", "role_prices", "RolePricesType", kind="objects",
               fields=(f("RoleId", "role_id", I), f("SellingPrice", "selling_price", DEC)), key="RoleId"),
    ),
    relations=(R("PriceListId", "PriceLists"), R("RolePrices.RoleId", "Roles"), R("ModifiedUser", "Users"),
               R("CreatedUser", "Users")),
    has_delete_flag=False, detailed_list=False, skyvia=False,
))

add(_obj(
    "Notifications", "notifications",
    (key("id"), f("StructureId", "structure_id", I), f("StructureId2", "structure_id2", I),
     f("RemindType", "remind_type", desc="scoro | email"), f("Module", "module"), f("UserId", "user_id", I),
     f("NotifierId", "notifier_id", I),
     iso("DateAdded", "date_added", ro=True, desc="datetime family unconfirmed"),
     f("Status", "status", desc="unread | read"),
     iso("DateRead", "date_read", ro=True, desc="datetime family unconfirmed"),
     f("Action", "action", desc="add | edit | delete"),
     f("NotificationActionText", "notification_action_text", ro=True),
     f("NotificationTitleText", "notification_title_text", ro=True),
     f("Checked", "checked", B, desc="modify only")),
    relations=(R("UserId", "Users"), R("NotifierId", "Users")),
    has_view=False, has_delete_flag=False, detailed_list=False, skyvia=False,
))

add(_obj(
    "Bookmarks", "bookmarks",
    (key("id"), f("Name", "name", desc="field names unconfirmed"), f("Module", "module")),
    has_view=False, has_delete_flag=False, detailed_list=False, skyvia=False,
    description="Saved list views; field set unconfirmed.",
))

# fmt: on

CATALOG = Catalog(system="scoro", objects=tuple(_ALL))


# ================================================================================================
# The custom fields the seed's filter table names (per-account; documented capabilities only)
# ================================================================================================
def _guess_type(field_id: str) -> FieldType:
    name = field_id.lower()
    if name == "fk_datetime":
        return FieldType.DATETIME
    if name == "fk_date":
        return DATE
    if name == "fk_checkbox":
        return B
    if name.startswith("fk_number_") or name == "fk_money":
        return DEC
    if name.startswith("fk_duration"):
        return TIME
    if name.startswith("fk_relation_"):
        return I
    return S


def _custom(spec: str) -> tuple[Field, ...]:
    out: list[Field] = []
    for field_id, ops in _parse_filters(spec).items():
        type_ = _guess_type(field_id)
        out.append(
            Field(
                field_id,
                field_id,
                type_,
                filters=ops,
                datetime_style=DatetimeStyle.ISO if type_ is FieldType.DATETIME else None,
                detail_only=True,
                custom=True,
                description="custom field named by Skyvia's filter table; type guessed from the id",
            )
        )
    return tuple(out)


SEED_CUSTOM_FIELDS: dict[str, tuple[Field, ...]] = {
    "Bills": _custom("fk_bill"),
    "CalendarEvents": _custom("fk_testCap fk_date fk_dateTime*"),
    "Companies": _custom("fk_testCap fk_textComp"),
    "Expenses": _custom("fk_Expe"),
    "Invoices": _custom("fk_testCap fk_inv_only"),
    "Orders": _custom("fk_testCap fk_order"),
    "People": _custom(
        "fk_testCap fk_text fk_checkable_textbox fk_checkbox fk_dropdownList fk_date fk_duration fk_dateTime* "
        "fk_number_total fk_number_avr fk_duration_total fk_duration_avg fk_duration_all fk_text_html "
        "fk_number_all fk_number_range fk_number_range_2 fk_money fk_numbering fk_numbering_startVal "
        "fk_imageId fk_relation_comp fk_relation_cont fk_image1Id fk_newNumbering"
    ),
    "Prepayments": _custom("fk_prep"),
    "Products": _custom("fk_prod"),
    "Projects": _custom("fk_testCap fk_proj"),
    "PurchaseOrders": _custom("fk_purch_ord"),
    "Quotes": _custom("fk_quote"),
    "ScheduledInvoices": _custom("fk_testCap fk_inv_only"),
    "Tasks": _custom("fk_testCap fk_number_total fk_task"),
}

__all__ = ["CATALOG", "SEED_CUSTOM_FIELDS"]
