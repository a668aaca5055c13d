"""Custom field definitions. Ids are those of the Skyvia connector's "Filtering Specifics" table, with
types read from their names."""

from __future__ import annotations

import random

_EVERYWHERE = ("contacts", "calendar", "invoices", "orders", "projects", "scheduledInvoices", "tasks")
_PEOPLE = [  # (id, type) of the People custom fields
    ("fk_text", "text"), ("fk_checkable_textbox", "text"), ("fk_checkbox", "checkbox"),
    ("fk_dropdownList", "dropdown"), ("fk_duration", "duration"), ("fk_number_total", "number"),
    ("fk_number_avr", "number"), ("fk_duration_total", "duration"), ("fk_duration_avg", "duration"),
    ("fk_duration_all", "duration"), ("fk_text_html", "html"), ("fk_number_all", "number"),
    ("fk_number_range", "number"), ("fk_number_range_2", "number"), ("fk_money", "money"),
    ("fk_numbering", "numbering"), ("fk_numbering_startVal", "numbering"), ("fk_imageId", "image"),
    ("fk_relation_comp", "relation"), ("fk_relation_cont", "relation"), ("fk_image1Id", "image"),
    ("fk_newNumbering", "numbering"),
]
_DEFS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("fk_testCap", "Test capital", "text", _EVERYWHERE),
    ("fk_textComp", "Company note", "text", ("contacts",)),
    ("fk_date", "Follow-up date", "date", ("calendar", "contacts")),
    ("fk_dateTime", "Follow-up time", "datetime", ("calendar", "contacts")),
    ("fk_inv_only", "Invoice reference", "text", ("invoices", "scheduledInvoices")),
    ("fk_bill", "Bill reference", "text", ("bills",)),
    ("fk_Expe", "Expense code", "text", ("expenses",)),
    ("fk_order", "Order reference", "text", ("orders",)),
    ("fk_prep", "Prepayment reference", "text", ("prepayments",)),
    ("fk_prod", "Product note", "text", ("products",)),
    ("fk_proj", "Project code", "text", ("projects",)),
    ("fk_purch_ord", "Purchase order reference", "text", ("purchaseOrders",)),
    ("fk_quote", "Quote reference", "text", ("quotes",)),
    ("fk_task", "Task code", "text", ("tasks",)),
    *[(cid, cid[3:].replace("_", " ").capitalize(), ctype, ("contacts",)) for cid, ctype in _PEOPLE],
]
# fk_number_total is also on tasks (Skyvia's Tasks filter list).
CUSTOM_FIELDS: list[dict] = [
    {"id": cid, "name": name, "type": ctype, "is_filterable": 1,
     "modules": list(mods) + (["tasks"] if cid == "fk_number_total" else [])}
    for cid, name, ctype, mods in _DEFS
]
BY_ID = {d["id"]: d for d in CUSTOM_FIELDS}


def for_module(module: str) -> list[dict]:
    return [d for d in CUSTOM_FIELDS if module in d["modules"]]


MODULES_WITH_CF = frozenset(m for d in CUSTOM_FIELDS for m in d["modules"])


def sample_value(ctype: str, rng: random.Random, rid: int, day: str, iso: str) -> object:
    """A plausible stored value of one custom field type."""
    match ctype:
        case "checkbox":
            return rng.randint(0, 1)
        case "dropdown":
            return rng.choice(["Option A", "Option B", "Option C"])
        case "date":
            return day
        case "datetime":
            return iso
        case "duration":
            return f"{rng.randint(0, 40):02d}:{rng.choice([0, 15, 30, 45]):02d}:00"
        case "number":
            return rng.randint(0, 500)
        case "money":
            return round(rng.uniform(10, 5000), 2)
        case "numbering":
            return f"{rid:05d}"
        case "image":
            return f"image_{rid}.png"
        case "relation":
            return rng.randint(1, 20)
        case "html":
            return f"<p>Note <b>{rid}</b></p>"
        case _:
            return rng.choice(["Alpha", "Beta", "Gamma", "Delta"]) + f" {rid % 7}"


def render(module: str, values: dict) -> list[dict]:
    """The custom_fields array of a view: every definition of the module, with its value or null."""
    return [{"id": d["id"], "name": d["name"], "value": values.get(d["id"]), "type": d["type"]}
            for d in for_module(module)]
