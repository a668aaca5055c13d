"""`scorolink replicate` and `scorolink erd` as a person runs them, and the table shapes behind them."""

from __future__ import annotations

import json

from scorolink.catalog.scoro import CATALOG
from scorolink.replicate.schema import MirrorOptions, build_tables, snake_case
from tests.test_cli import run


def test_replicate_json_summary_and_erd_of_the_mirror(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = run("replicate", "--to", url, "--objects", "Invoices,Companies,Products", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary["objects"]) == {"Invoices", "Companies", "Products"}
    for stats in summary["objects"].values():
        assert {"rows", "requests", "seconds"} <= set(stats) and stats["rows"] > 0
    assert summary["requests"] >= sum(s["requests"] for s in summary["objects"].values())
    mermaid = run("erd", "--db", url)
    assert mermaid.returncode == 0, mermaid.stderr
    assert "erDiagram" in mermaid.stdout and 'Invoices ||--o{ Invoices_Lines' in mermaid.stdout
    assert "Companies ||--o{ Invoices" in mermaid.stdout  # a catalog relation, drawn without FK constraints
    svg = tmp_path / "erd.svg"
    assert run("erd", "--db", url, "--format", "svg", "--out", str(svg)).returncode == 0
    assert svg.read_text().startswith("<svg") or "<svg" in svg.read_text()[:200]


def test_replicate_shows_progress_and_a_table_without_json(tmp_path):
    result = run("replicate", "--to", f"sqlite:///{tmp_path / 'm.db'}", "--objects", "Products")
    assert result.returncode == 0, result.stderr
    assert "Replicated 1 objects" in result.stdout and "Products" in result.stdout


def test_replicate_bad_destination_exits_2_with_the_fix(tmp_path):
    result = run("replicate", "--to", "mysql://localhost/x", "--objects", "Products")
    assert result.returncode == 2
    assert "sqlite:///" in result.stderr and "Traceback" not in result.stderr
    unknown = run("replicate", "--to", f"sqlite:///{tmp_path / 'm.db'}", "--objects", "Invoice")
    assert unknown.returncode == 2 and "Did you mean Invoices" in unknown.stderr


def test_replicate_help_says_contacts_is_skipped():
    result = run("replicate", "--help")
    assert "Contacts" in result.stdout and "People and Companies" in " ".join(result.stdout.split())


def test_erd_without_a_mirror_draws_what_replicate_would_create():
    result = run("erd", "--objects", "Invoices,Products", "--format", "dot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph") and '"Invoices_Lines" -> "Products"' in result.stdout


def test_snake_case_is_mechanical():
    assert snake_case("WhenUpsertedIntoDataStore") == "when_upserted_into_data_store"
    assert snake_case("RemoteID") == "remote_id"
    assert snake_case("VATCodes") == "vat_codes"
    assert snake_case("Invoices_Lines") == "invoices_lines"
    assert snake_case("PDFTemplates") == "pdf_templates"
    assert snake_case("fk_money") == "fk_money"


def test_every_nested_field_of_the_seed_becomes_a_child_table():
    specs = list(CATALOG)
    tables = {t.name: t for t in build_tables(specs, MirrorOptions(foreign_keys=True))}
    for spec in specs:
        for nested in spec.nested:
            child = tables[f"{spec.name}_{nested.field}"]
            assert child.primary_key == ("RemoteAccount", "ParentRemoteID", "Position")
            assert child.foreign_keys[0].table == spec.name
            for deeper in nested.nested:
                grandchild = tables[f"{spec.name}_{nested.field}_{deeper.field}"]
                assert grandchild.primary_key == ("RemoteAccount", "ParentRemoteID", f"{nested.field}Position",
                                                  "Position")
                assert grandchild.foreign_keys[0].ref_columns == ("RemoteAccount", "ParentRemoteID", "Position")
    assert tables["Invoices_Lines"].column("Id") is not None  # the line's own id
    assert {c.name for c in tables["Invoices_Lines_Dates"].columns} >= {"Key", "Value"}
    # Relations to the Contacts union land on Companies / People when Contacts is not mirrored.
    without = build_tables([s for s in specs if s.name != "Contacts"], MirrorOptions(foreign_keys=True))
    fks = {(fk.columns[1], fk.table) for t in without if t.name == "Invoices" for fk in t.foreign_keys}
    assert ("CompanyId", "Companies") in fks and ("PersonId", "People") in fks


def test_every_main_table_has_the_synchub_metadata_columns():
    for t in build_tables(list(CATALOG)):
        if t.kind == "main":
            assert t.column_names[:6] == ("RemoteAccount", "RemoteID", "WhenUpsertedIntoDataStore", "WhenCreated",
                                          "WhenModified", "IsDeleted")
            assert t.primary_key == ("RemoteAccount", "RemoteID")


def test_replicate_per_parent_changed_from_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    args = ("replicate", "--to", url, "--objects", "TaskComments,ContactRelations", "--per-parent", "changed", "--json")
    first = json.loads(run(*args).stdout)["objects"]
    second = json.loads(run(*args, "--overlap", "0").stdout)["objects"]
    # the sandbox answers comments/list by module: one list, no parents
    assert (first["TaskComments"]["parents"], second["TaskComments"]["parents"]) == ("module", "module")
    assert second["TaskComments"]["requests"] == 1 and second["TaskComments"]["rows"] == 0
    relations = (first["ContactRelations"]["parents"], second["ContactRelations"]["parents"],
                 second["ContactRelations"]["requests"], second["ContactRelations"]["rows"])
    assert relations == ("all", "changed", 1, 0)
    bad = run("replicate", "--to", url, "--per-parent", "some")
    assert bad.returncode == 2 and "--per-parent" in bad.stderr and "all or changed" in bad.stderr
