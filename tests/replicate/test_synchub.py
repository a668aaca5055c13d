"""`scorolink replicate --schema synchub` against the sandbox over HTTP, into SQLite and PostgreSQL.

The expectations come from parsing the seed's copy shipped with the tests
(`data/synchub-scoro-data-model.txt`): every table it documents, with every column and type, and
every foreign key its "Relates to" column names, must be in the mirror.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scorolink.connectors.base import WriteOp
from scorolink.errors import ConfigError
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import MirrorOptions
from tests.replicate.test_replicate import count, rows
from tests.replicate.test_timezone import http_connector, http_sandbox

SEED = Path(__file__).parent / "data" / "synchub-scoro-data-model.txt"

# The seed gives no table names: each block's name, in the seed's order, is the one its "Relates to"
# column uses for it (Invoice, VATCode …) or, for child tables, the parent its `<Parent>RemoteID`
# names plus what the rows are (the endpoint's lines, the custom field values).
TABLES = [
    ("Category", "Categories"), ("ClientProfile", "ClientProfiles"), ("Contact", "Contacts"),
    ("CustomField", "CustomFields"), ("FinanceAccount", "FinanceAccounts"), ("Invoice", "Invoices"),
    ("Order", "Orders"), ("Prepayment", "Prepayments"), ("Product", "Products"), ("Project", "Projects"),
    ("PurchaseOrder", "PurchaseOrders"), ("Quote", "Quotes"), ("User", "Users"), ("UserGroup", "UserGroups"),
    ("UserRole", "PermissionSets"), ("VATCode", "VATCodes"), ("ContactCustomField", None),
    ("CustomFieldModule", None), ("InvoiceLine", None), ("InvoiceCustomField", None), ("OrderLine", None),
    ("OrderCustomField", None), ("PrepaymentLine", None), ("ProjectPhase", None), ("ProjectCustomField", None),
    ("PurchaseOrderLine", None), ("PurchaseOrderCustomField", None), ("QuoteLine", None), ("QuoteCustomField", None),
]
OBJECTS = [obj for _, obj in TABLES if obj]

# SyncHub's types as each database declares them.
DECLARED = {
    "sqlite": {"string": "TEXT", "long": "INTEGER", "int": "INT", "decimal": "NUMERIC", "boolean": "BOOLEAN",
               "datetime": "DATETIME"},
    "postgresql": {"string": "text", "long": "bigint", "int": "integer", "decimal": "numeric", "boolean": "boolean",
                   "datetime": "timestamp with time zone"},
    "duckdb": {"string": "VARCHAR", "long": "BIGINT", "int": "INTEGER", "decimal": "DECIMAL(38,10)",
               "boolean": "BOOLEAN", "datetime": "TIMESTAMP WITH TIME ZONE"},
}


@dataclass(frozen=True)
class SeedColumn:
    name: str
    type: str
    relates: tuple[str, str] | None


def parse_seed() -> list[list[SeedColumn]]:
    """The seed's tables in order: the rows under each `Column Type Relates to Notes` header, up to
    the blank line; a `Notes` bullet line (`• 14 Feb 2024 …`) belongs to the row above."""
    tables: list[list[SeedColumn]] = []
    current: list[SeedColumn] | None = None
    row = re.compile(r"(\w+) (string|long|int|decimal|boolean|datetime) (?:(\w+) → (\w+)|-)(?: .*)?$")
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("Column Type Relates to Notes"):
            current = []
            tables.append(current)
        elif not line.strip():
            current = None
        elif current is not None and not line.lstrip().startswith("•"):
            m = row.match(line.strip())
            assert m, f"unreadable seed row {line!r}"
            name, typ, table, column = m.groups()
            current.append(SeedColumn(name, typ, (table, column) if table else None))
    return tables


def test_the_seed_documents_29_tables_of_22_endpoints():
    tables = parse_seed()
    assert len(tables) == len(TABLES) == 29
    assert SEED.read_text(encoding="utf-8").count("Documentation: https://api.scoro.com") == 22
    # Every table a "Relates to" names is one of the named tables.
    names = {n for n, _ in TABLES}
    assert {c.relates[0] for t in tables for c in t if c.relates} <= names
    # and every child table's <Parent>RemoteID names its parent.
    for (name, obj), cols in zip(TABLES, tables, strict=True):
        if obj is None:
            assert cols[1].name.endswith("RemoteID") and name.startswith(cols[1].relates[0]), name


def test_the_shipped_model_is_the_seed_table_for_table():
    from scorolink.replicate.synchub import model

    shipped = model()
    assert [(t.name, t.object if not t.path else None) for t in shipped] == [
        (name, obj if obj else None) for name, obj in TABLES]
    for table, documented in zip(shipped, parse_seed(), strict=True):
        assert [(c.name, c.type, c.relates) for c in table.columns] == \
            [(c.name, c.type, c.relates) for c in documented], table.name


def declared_columns(url: str, table: str) -> dict[str, str]:
    dest = open_destination(url)
    try:
        return dest.columns(table)
    finally:
        dest.close()


def foreign_keys(url: str, table: str) -> set[tuple[str, str, str]]:
    """(column, referenced table, referenced column) of each declared constraint, RemoteAccount aside."""
    if url.startswith("sqlite"):
        found = rows(url, f"SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{table}')")
        return {(col, target, ref) for target, col, ref in found if col != "RemoteAccount"}
    found = rows(url, "SELECT a.attname, c.confrelid::regclass::text, b.attname FROM pg_constraint c "
                      "CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, ref) "
                      "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col "
                      "JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.ref "
                      "WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)", (f'"{table}"',))
    return {(col, target.strip('"'), ref) for col, target, ref in found if col != "RemoteAccount"}


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'synchub.db'}"
    if request.param == "duckdb":
        return "duckdb", f"duckdb:///{tmp_path / 'synchub.duckdb'}"
    return "postgresql", request.getfixturevalue("postgres_url")


def synchub(**kw: Any) -> ReplicateOptions:
    return ReplicateOptions(objects=OBJECTS, workers=2, mirror=MirrorOptions(schema="synchub"), **kw)


def test_every_documented_table_column_type_and_foreign_key_is_in_the_mirror(backend):
    dialect, url = backend
    with http_sandbox(size=60) as (sb, base):
        connector = http_connector(sb, base)
        summary = replicate(connector, url, synchub())
        assert summary.failed == []
        invoices = list(connector.read("Invoices", include_deleted=True))
        connector.close()
    for (name, _), documented in zip(TABLES, parse_seed(), strict=True):
        have = declared_columns(url, name)
        assert have, f"table {name} missing"
        for col in documented:
            assert col.name in have, f"{name}.{col.name} missing"
            assert have[col.name] == DECLARED[dialect][col.type], (name, col.name, have[col.name], col.type)
        # in SyncHub's order (columns beyond SyncHub's may follow or sit between them)
        assert [c for c in have if c in {d.name for d in documented}] == [d.name for d in documented], name
        if dialect == "duckdb":  # DuckDB cannot have them (README); the columns are there
            continue
        fks = foreign_keys(url, name)
        for col in documented:
            if col.relates:
                assert (col.name, *col.relates) in fks, f"{name}.{col.name} → {col.relates} not declared"
    # The rows are there, under SyncHub's names, child rows linked to their record.
    assert count(url, "Invoice") == len(invoices)
    assert count(url, "InvoiceLine") == sum(len(i["Lines"] or []) for i in invoices)
    inv = next(i for i in invoices if i["Lines"])
    got = rows(url, 'SELECT "RemoteID", "ID", "ProductID", "VatCodeID" FROM "InvoiceLine" WHERE "InvoiceRemoteID" = ? '
               'ORDER BY "Position"', (str(inv["Id"]),))
    assert [tuple(r) for r in got] == [(f"{inv['Id']}|{line['Id']}", line["Id"], line["ProductId"], line["VatCodeId"])
                                       for line in inv["Lines"]]
    (head,) = rows(url, 'SELECT "ID", "VatCodeID", "CompanyID", "MirrorRemoteID" FROM "Invoice" WHERE "RemoteID" = ?',
                   (str(inv["Id"]),))
    assert tuple(head) == (inv["Id"], inv["VatCodeId"], inv["CompanyId"], 1)
    assert rows(url, 'SELECT DISTINCT "MirrorRemoteID" FROM "InvoiceLine"') == [(1,)]
    # Custom field values are rows, as SyncHub keeps them.
    custom = [(str(i["Id"]), k) for i in invoices for k, v in i.items() if k.startswith("fk_") and v is not None]
    assert count(url, "InvoiceCustomField") == len(custom) > 0


def test_incremental_reruns_and_deletes_under_the_synchub_schema(backend):
    _, url = backend
    with http_sandbox(size=60) as (sb, base):
        connector = http_connector(sb, base)
        assert replicate(connector, url, synchub()).failed == []
        unchanged = replicate(connector, url, synchub())
        assert {r.mode for r in unchanged.objects.values()} >= {"incremental"}
        assert sum(r.rows for r in unchanged.objects.values()) == 0, "an unchanged rerun writes nothing"
        live = [i for i in connector.read("Invoices") if i["Lines"]]
        edited, gone = live[0], live[1]
        [ok] = connector.write("Invoices", [WriteOp("update", {"Id": edited["Id"], "Description": "edited"})])
        assert ok.ok, ok.error
        [ok] = connector.write("Invoices", [WriteOp("delete", {"Id": gone["Id"]})])
        assert ok.ok, ok.error
        rerun = replicate(connector, url, synchub())
        connector.close()
    result = rerun.objects["Invoices"]
    assert result.mode == "incremental" and result.rows == 2
    assert rows(url, 'SELECT "Description", "IsDeleted" FROM "Invoice" WHERE "RemoteID" = ?',
                (str(edited["Id"]),)) == [("edited", False)]
    assert rows(url, 'SELECT "IsDeleted" FROM "Invoice" WHERE "RemoteID" = ?', (str(gone["Id"]),)) == [(True,)]
    flags = rows(url, 'SELECT DISTINCT "IsDeleted" FROM "InvoiceLine" WHERE "InvoiceRemoteID" = ?', (str(gone["Id"]),))
    assert flags == [(True,)], "a deleted record's lines are flagged with it"
    assert count(url, "InvoiceLine", 'WHERE "InvoiceRemoteID" = ?', (str(edited["Id"]),)) == len(edited["Lines"])


def test_a_delete_found_by_the_reconcile_flags_the_record_and_its_rows(backend, connector, sandbox):
    _, url = backend
    options = ReplicateOptions(objects=["Invoices"], mirror=MirrorOptions(schema="synchub"))
    replicate(connector, url, options)
    invoice = next(i for i in connector.read("Invoices") if i["Lines"])
    assert all(r.ok for r in connector.write("Invoices", [WriteOp("delete", {"Id": invoice["Id"]})]))
    sandbox.advance_clock(31 * 86400)  # purged: no incremental read reports it again
    summary = replicate(connector, url, replace(options, reconcile=True))
    assert summary.objects["Invoices"].deleted == 1
    rid = str(invoice["Id"])
    assert rows(url, 'SELECT "IsDeleted" FROM "Invoice" WHERE "RemoteID" = ?', (rid,)) == [(True,)]
    assert rows(url, 'SELECT DISTINCT "IsDeleted" FROM "InvoiceLine" WHERE "InvoiceRemoteID" = ?', (rid,)) == [(True,)]
    live = next(i for i in connector.read("Invoices") if i["Lines"])  # a live invoice's lines are left alone
    assert rows(url, 'SELECT DISTINCT "IsDeleted" FROM "InvoiceLine" WHERE "InvoiceRemoteID" = ?',
                (str(live["Id"]),)) == [(False,)]


def test_objects_synchub_does_not_document_get_the_closest_equivalent(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'all.db'}"
    summary = replicate(connector, url, ReplicateOptions(mirror=MirrorOptions(schema="synchub")))
    assert summary.failed == []
    # SyncHub's Contact holds people and companies: they are not mirrored twice.
    assert "Contacts" in summary.objects and not {"People", "Companies", "ProjectPhases"} & set(summary.objects)
    contacts = list(connector.read("Contacts", include_deleted=True))
    assert count(url, "Contact") == len(contacts)
    bill = declared_columns(url, "Bill")
    assert list(bill)[:6] == ["RemoteID", "WhenUpsertedIntoDataStore", "MirrorRemoteID", "IsDeleted", "WhenCreated",
                              "WhenModified"]
    assert {"ID", "VatCodeID", "CompanyID", "ModifiedDate"} <= set(bill) and "UpdatedDate" not in bill
    line = declared_columns(url, "BillLine")
    assert list(line)[:2] == ["RemoteID", "BillRemoteID"] and {"ProductID", "MirrorRemoteID", "IsDeleted"} <= set(line)
    assert ("ProductID", "Product", "ID") in foreign_keys(url, "BillLine")
    assert ("BillRemoteID", "Bill", "RemoteID") in foreign_keys(url, "BillLine")
    bills = list(connector.read("Bills", include_deleted=True))
    assert count(url, "BillLine") == sum(len(b["Lines"] or []) for b in bills)
    for table in ("TimeEntry", "Task", "TaskRelatedUser", "InvoiceLineDate"):
        assert declared_columns(url, table), table
    # every table, documented or not, has SyncHub's metadata columns in SyncHub's order, and no `…Id`
    # or UpdatedDate column (`…ID`, ModifiedDate)
    meta = ["RemoteID", "WhenUpsertedIntoDataStore", "MirrorRemoteID", "IsDeleted", "WhenCreated", "WhenModified"]
    tables = [t for (t,) in rows(url, "SELECT name FROM sqlite_master WHERE type = 'table'") if not t.startswith("_")]
    assert len(tables) > len(TABLES)
    for table in tables:
        have = list(declared_columns(url, table))
        assert [c for c in have if c in meta] == meta, table
        assert not [c for c in have if c.endswith("Id") or c == "UpdatedDate"], table
    # `scorolink erd --db` reads such a mirror, and without --db draws what --schema synchub makes.
    from scorolink.replicate.introspect import mirror_tables

    drawn = {t.name: t for t in mirror_tables(url)}
    assert {"Invoice", "InvoiceLine", "Bill", "BillLine", "Contact"} <= set(drawn)
    assert ("RemoteAccount", "VatCodeID") in [fk.columns for fk in drawn["Invoice"].foreign_keys]
    assert {t.name for t in mirror_tables(None, ["Invoices"], schema="synchub")} >= {"Invoice", "InvoiceLine"}
    # A second account in the same database gets the next MirrorRemoteID.
    replicate(connector, url, ReplicateOptions(objects=["VATCodes"], account="second",
                                               mirror=MirrorOptions(schema="synchub")))
    assert rows(url, 'SELECT DISTINCT "RemoteAccount", "MirrorRemoteID" FROM "VATCode" ORDER BY 2') == \
        [(str(connector.client.settings.company_account_id), 1), ("second", 2)]


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "duckdb"])
def test_two_accounts_starting_at_once_get_different_mirror_remote_ids(request, tmp_path, monkeypatch, db):
    """Both read the settings before either wrote its number (as two runs starting at the same moment
    do): the second one's claim of the same number fails, and it takes the next."""
    from scorolink.replicate import state, synchub

    url = {"sqlite": f"sqlite:///{tmp_path / 'm.db'}", "duckdb": f"duckdb:///{tmp_path / 'm.duckdb'}",
           "postgresql": request.getfixturevalue("postgres_url") if db == "postgresql" else ""}[db]
    dest = open_destination(url)
    try:
        with dest.transaction():
            state.ensure_tables(dest)
        assert synchub.mirror_remote_id(dest, "first") == 1
        real = state.read_settings
        stale = iter([{}])  # the second account's first read: before the first account's number was there
        monkeypatch.setattr(state, "read_settings", lambda d: next(stale, None) or real(d))
        assert synchub.mirror_remote_id(dest, "second") == 2
        assert synchub.mirror_remote_id(dest, "first") == 1 and synchub.mirror_remote_id(dest, "second") == 2
    finally:
        dest.close()


def test_a_mirror_keeps_the_schema_it_was_made_with(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    replicate(connector, url, ReplicateOptions(objects=["VATCodes"]))
    with pytest.raises(ConfigError, match="--schema skyvia"):
        replicate(connector, url, ReplicateOptions(objects=["VATCodes"], mirror=MirrorOptions(schema="synchub")))


def test_values_wider_than_synchubs_types_are_converted():
    from scorolink.replicate.synchub import _coercion

    assert _coercion("string", "integer")("230001") == 230001
    assert _coercion("string", "integer")("INV-7") is None
    assert _coercion("boolean", "int")(True) == 1
    assert [_coercion("string", "boolean")(v) for v in ("1", "no", "", "a note")] == [True, False, False, None]
    assert _coercion("date", "datetime")(date(2024, 2, 29)) == datetime(2024, 2, 29, tzinfo=UTC)
    assert _coercion("integer", "decimal") is None and _coercion("decimal", "string") is None


def test_a_value_synchubs_type_cannot_hold_is_null_and_counted(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    invoice = next(iter(connector.read("Invoices")))
    assert all(r.ok for r in connector.write("Invoices", [WriteOp("update", {"Id": invoice["Id"],
                                                                             "DocumentNumber": "INV-7"})]))
    summary = replicate(connector, url, ReplicateOptions(objects=["Invoices"], mirror=MirrorOptions(schema="synchub")))
    assert summary.objects["Invoices"].cleaned == {"not an integer (NULL)": 1}
    assert rows(url, 'SELECT "No" FROM "Invoice" WHERE "RemoteID" = ?', (str(invoice["Id"]),)) == [(None,)]
    assert rows(url, 'SELECT count(*) FROM "Invoice" WHERE "No" IS NULL') == [(1,)]


def test_year_less_birthdays_fit_synchubs_datetime_column(connector, backend):
    from scorolink.replicate.rows import BAD_DATETIME, YEARLESS
    from tests.replicate.test_awkward_values import person

    _, url = backend
    leap, bad = person(connector, "Leap", "0000-02-29"), person(connector, "Bad", "0000-13-45")
    summary = replicate(connector, url, ReplicateOptions(objects=["Contacts"], mirror=MirrorOptions(schema="synchub")))
    assert summary.failed == [] and summary.objects["Contacts"].cleaned == {YEARLESS: 1, BAD_DATETIME: 1}
    got = dict(rows(url, 'SELECT "ID", "Birthday" FROM "Contact" WHERE "ID" IN (?, ?)', (leap, bad)))
    assert str(got[leap])[:19] in ("1604-02-29 00:00:00", "1604-02-29T00:00:00") and got[bad] is None


def test_replicate_schema_synchub_from_the_cli_and_its_erd(tmp_path):
    import json

    from tests.test_cli import run

    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = run("replicate", "--to", url, "--schema", "synchub", "--objects", "Invoices,Contacts,VATCodes", "--json")
    assert result.returncode == 0, result.stderr
    created = set(json.loads(result.stdout)["schema"]["created"])
    assert {"Invoice", "InvoiceLine", "InvoiceCustomField", "VATCode", "Contact", "ContactCustomField"} <= created
    mermaid = run("erd", "--db", url)
    assert mermaid.returncode == 0, mermaid.stderr
    assert "Invoice ||--o{ InvoiceLine" in mermaid.stdout and "VATCode ||--o{ Invoice " in mermaid.stdout
    again = run("replicate", "--to", url, "--objects", "VATCodes")  # the default schema on this mirror: refused
    assert again.returncode != 0 and "--schema synchub" in again.stderr


def test_a_new_custom_field_arrives_as_a_column_and_as_rows(connector, backend, monkeypatch):
    _, url = backend
    options = ReplicateOptions(objects=["Contacts"], mirror=MirrorOptions(schema="synchub"))
    real = connector.custom_fields()
    monkeypatch.setattr(connector, "_custom", {m: tuple(f for f in fs if f.name != "fk_money")
                                               for m, fs in real.items()})
    replicate(connector, url, options)
    assert count(url, "ContactCustomField", 'WHERE "ID" = ?', ("fk_money",)) == 0
    monkeypatch.setattr(connector, "_custom", real)
    summary = replicate(connector, url, options)
    assert "Contact.fk_money" in summary.schema.added and summary.objects["Contacts"].mode == "full"
    having = [c for c in connector.read("Contacts", include_deleted=True) if c.get("fk_money") is not None]
    assert count(url, "ContactCustomField", 'WHERE "ID" = ?', ("fk_money",)) == len(having) > 0
    (value,) = rows(url, 'SELECT "Value" FROM "ContactCustomField" WHERE "ContactRemoteID" = ? AND "ID" = ?',
                    (str(having[0]["Id"]), "fk_money"))[0]
    assert value == str(having[0]["fk_money"])
    assert replicate(connector, url, options).objects["Contacts"].rows == 0


def test_the_job_parameter_is_table_schema():
    from scorolink.runtime.params import ReplicateParams

    assert ReplicateParams.parse({"table_schema": "synchub"}).options().mirror.schema == "synchub"
    with pytest.raises(ConfigError, match="table_schema"):
        ReplicateParams.parse({"table_schema": "dlt"})


def test_the_cli_refuses_synchub_with_snake_names(tmp_path):
    from typer.testing import CliRunner

    from scorolink.cli import app

    result = CliRunner().invoke(app, ["replicate", "--to", f"sqlite:///{tmp_path / 'x.db'}", "--schema", "synchub",
                                      "--naming", "snake"])
    assert result.exit_code == 2 and "--naming" in result.output
