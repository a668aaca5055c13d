"""The module table: every API v2 module the sandbox serves, its key, actions and field formats.

Module paths and keys follow the reference (section 3) and docs/scoro-modules.md. Datetime fields are
ISO-with-offset unless listed in ``sql_dates`` (reference 7.2); ``deleted_date`` is always ISO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIST, VIEW, MODIFY, DELETE = "list", "view", "modify", "delete"
CRUD = frozenset({LIST, VIEW, MODIFY, DELETE})
LV = frozenset({LIST, VIEW})
LVM = frozenset({LIST, VIEW, MODIFY})
L = frozenset({LIST})

DOC_SQL_DATES = frozenset({"modified_date", "created_date"})
EVENT_REFS = {
    "project_id": "projects", "company_id": "contacts", "person_id": "contacts", "owner_id": "users",
    "activity_id": "activities", "project_phase_id": "projectPhases", "related_users": "users",
    "invoice_id": "invoices", "order_id": "orders", "quote_id": "quotes", "bill_id": "bills",
    "purchase_order_id": "purchaseOrders",
}
DOC_REFS = {
    "company_id": "contacts", "person_id": "contacts", "project_id": "projects", "owner_id": "users",
    "vat_code_id": "vatCodes", "interested_party_id": "contacts", "local_price_list_id": "localPriceLists",
}
LINE_REFS = {
    "product_id": "products", "vat_code_id": "vatCodes", "finance_account_id": "financeAccounts",
    "finance_object_id": "financeObjects", "doer_id": "users", "project_id": "projects", "supplier_id": "contacts",
}


@dataclass(frozen=True)
class Module:
    name: str
    key: str
    actions: frozenset[str]
    int_key: bool = True                       # False: string ids (statuses, customFields, ...), list only
    seq: str | None = None                     # id sequence; tasks and calendar share "events"
    sql_dates: frozenset[str] = frozenset()
    view_only: tuple[str, ...] = ()            # null on plain lists, filled on view and detailed lists
    has_lines: bool = False
    permissions: bool = False                  # rows carry a permissions object for user-token calls
    user_only: tuple[str, ...] = ()            # filled only for user-token calls (reference 2.3)
    basic: tuple[str, ...] = ()                # fields kept with basic_data
    required: tuple[str, ...] = ()             # required on create
    refs: dict[str, str] = field(default_factory=dict)  # field -> module the id must exist in
    readonly: tuple[str, ...] = ()             # silently ignored on modify
    string_status: bool = False                # statusCode as the string "200" on success (official examples)
    soft_delete: bool = True

    @property
    def sequence(self) -> str:
        return self.seq or self.name

    def dt_style(self, field_name: str) -> str:
        return "sql" if field_name in self.sql_dates and field_name != "deleted_date" else "iso"


def _doc(name: str, extra_actions: frozenset[str] = frozenset(), sql: frozenset[str] = DOC_SQL_DATES,
         view_only: tuple[str, ...] = ()) -> Module:
    return Module(
        name, "id", CRUD | extra_actions, sql_dates=sql, has_lines=True,
        view_only=("lines", "custom_fields", *view_only), basic=("id", "no", "company_name", "sum", "date"),
        refs=DOC_REFS, permissions=True,
    )


PDF = frozenset({"pdf"})
_MODULES = [
    Module("contacts", "contact_id", CRUD | {"getRelatedObjects"}, view_only=("custom_fields",), permissions=True,
           basic=("contact_id", "name", "lastname", "contact_type"), required=("name",),
           refs={"manager_id": "users", "client_profile_id": "clientProfiles", "cat_id": "categories",
                 "contact_users": "users"},
           readonly=("search_name", "contact_picture")),
    Module("projects", "project_id", CRUD | {"getRelatedObjects"}, sql_dates=DOC_SQL_DATES,
           view_only=("phases", "custom_fields", "status_name", "tags", "project_customer_portal_users"),
           permissions=True, user_only=("company_name",), basic=("project_id", "no", "project_name", "status"),
           required=("project_name",),
           refs={"company_id": "contacts", "manager_id": "users", "local_price_list_id": "localPriceLists",
                 "project_users": "users"},
           readonly=("budget_type_locked",)),
    Module("projectPhases", "id", L, basic=("id", "project_id", "title")),
    Module("tasks", "event_id", CRUD | {"setDone"}, seq="events", view_only=("time_entries", "custom_fields"),
           permissions=True, user_only=("project_name", "person_name"), basic=("event_id", "event_name", "is_completed"),
           required=("event_name",), refs={**EVENT_REFS, "parent_id": "tasks"},
           readonly=("duration_actual", "subtask_ids", "datetime_completed_locked")),
    Module("calendar", "event_id", CRUD | {"batchModify"}, seq="events", view_only=("resources", "custom_fields"),
           permissions=True, user_only=("project_name", "person_name"),
           basic=("event_id", "event_name", "start_datetime", "end_datetime"), required=("event_name",),
           refs={**EVENT_REFS, "related_task_id": "tasks", "cal_user": "users"}),
    Module("timeEntries", "time_entry_id", CRUD | {"setDone"}, permissions=True,
           basic=("time_entry_id", "event_id", "user_id", "duration"),
           refs={"user_id": "users", "activity_id": "activities"}, readonly=("title", "event_type", "time_entry_type")),
    Module("comments", "comment_id", frozenset({LIST, MODIFY, DELETE}), permissions=True, string_status=True,
           basic=("comment_id", "comment"), refs={"user_id": "users"}),
    Module("users", "id", LV | {"settings"}, string_status=True, basic=("id", "username", "full_name")),
    Module("userGroups", "group_id", LV, basic=("group_id", "group_name")),
    Module("userRoles", "role_id", LV, basic=("role_id", "role_name")),
    Module("roles", "id", LV, basic=("id", "name")),
    Module("usersLaborCost", "user_id", LVM, soft_delete=False, refs={"user_id": "users"}),
    Module("rolesPrices", "role_id", L, basic=("role_id", "price_list_id", "selling_price")),
    Module("localPriceLists", "id", LVM, basic=("id", "name"), refs={"price_list_id": "priceLists"}),
    Module("priceLists", "id", LVM, basic=("id", "name")),
    Module("products", "product_id", CRUD, view_only=("custom_fields",), basic=("product_id", "code", "name"),
           required=("name",),
           refs={"productgroup_id": "productGroups", "supplier_id": "contacts", "default_vat_code_id": "vatCodes"}),
    Module("productGroups", "id", LVM, basic=("id", "name")),
    _doc("invoices", PDF, view_only=("company_address", "prepayment_sum")),
    _doc("prepayments", PDF, view_only=("company_address",)),
    _doc("scheduledInvoices", view_only=("company_address",)),
    _doc("quotes", PDF, view_only=("company_address",)),
    _doc("orders", PDF, view_only=("company_address",)),
    _doc("purchaseOrders", PDF, sql=frozenset({"created_date"}), view_only=("company_address",)),
    _doc("bills", view_only=("company_address",)),
    _doc("expenses", sql=frozenset()),
    Module("receipts", "id", CRUD, sql_dates=DOC_SQL_DATES, view_only=("custom_fields",),
           basic=("id", "date", "sum", "currency"),
           refs={"contact_id": "contacts", "receipt_account_id": "receiptAccounts"}),
    Module("receiptAccounts", "id", L, basic=("id", "name")),
    Module("financeAccounts", "id", CRUD, basic=("id", "account_symbol", "name"), refs={"parent_id": "financeAccounts"}),
    Module("financeObjects", "object_id", LV, basic=("object_id", "object_symbol", "name")),
    Module("vatCodes", "vat_code_id", CRUD, basic=("vat_code_id", "vat_code", "percent")),
    Module("clientProfiles", "id", CRUD, basic=("id", "name"), refs={"vat_code_id": "vatCodes", "price_list_id": "priceLists"}),
    Module("categories", "cat_id", L, basic=("cat_id", "cat_name")),
    Module("activities", "activity_id", CRUD, basic=("activity_id", "name"), refs={"parent_id": "activities"}),
    Module("statuses", "status_id", L, int_key=False, basic=("status_id", "status_name", "module")),
    Module("tags", "tag_id", L, basic=("tag_id", "tag_name")),
    Module("customFields", "id", L, int_key=False, basic=("id", "name", "type")),
    Module("customModules", "id", LV, basic=("id", "title")),
    Module("bookmarks", "id", L, basic=("id", "name")),
    Module("addresses", "id", L),
    Module("depot", "depot_id", LV, basic=("depot_id", "depot_name")),
    Module("eventsResources", "resource_id", LV, basic=("resource_id", "resource_name")),
    Module("files", "file_id", CRUD | {"download", "addRelation", "removeRelation"}, view_only=("relations",),
           permissions=True, basic=("file_id", "file_name", "file_size"), refs={"uploaded_by": "users"}),
    Module("relations", "object_id", frozenset({LIST, MODIFY, DELETE}), soft_delete=False),
    Module("relationTypes", "relation_name", L, int_key=False),
    Module("triggers", "id", CRUD, basic=("id", "name", "module", "status"), refs={"user_id": "users"}),
    Module("webhooks", "id", frozenset({LIST, "subscribe", "unsubscribe"}), basic=("id", "module", "url")),
    Module("notifications", "id", frozenset({LIST, MODIFY, DELETE}), basic=("id", "module", "status"),
           refs={"user_id": "users"}),
    Module("pdfTemplates", "id", L, basic=("id", "name", "type")),
    Module("sendLog", "id", L, basic=("id", "datetime", "subject")),
    Module("search", "id", L),
    Module("companyAccount", "id", L),
    Module("userAuth", "token", frozenset({MODIFY})),
    Module("bookings", "id", CRUD, basic=("id", "user_id", "start_date", "end_date"),
           refs={"user_id": "users", "project_id": "projects"}),
    Module("timeOffs", "id", CRUD, basic=("id", "type")),
    Module("revenueForecastPeriods", "id", LV, basic=("id", "project_id", "sum"), refs={"project_id": "projects"}),
]
MODULES: dict[str, Module] = {m.name: m for m in _MODULES}

# Modules whose rows are not stored in the row table (answered from site config or computed).
VIRTUAL = frozenset({"search", "companyAccount", "userAuth", "addresses"})
PDF_MODULES = frozenset(m.name for m in _MODULES if "pdf" in m.actions)
COMMENT_MODULES = ("bills", "calendar", "contacts", "invoices", "orders", "prepayments", "projects", "quotes", "tasks")
EVENT_MODULES = ("tasks", "calendar")


def boolean_field(name: str) -> bool:
    """Fields Scoro answers as 0/1 integers."""
    return name.startswith(("is_", "use_", "no_", "has_", "mark_", "auto_")) or name in {
        "full_day_event", "checked", "calculate_line_dates", "stripDescription",
    }
