"""ERD rendering: Mermaid grammar, DOT structure, SVG as XML, one edge per foreign key everywhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.replicate.erd import ERD_FORMATS, render_erd
from scorolink.replicate.schema import Column, ForeignKey, MirrorOptions, Table, build_tables

OBJECTS = ("Invoices", "Companies", "People", "Products", "Projects")
SVG = "{http://www.w3.org/2000/svg}"


def _tables(**options: object) -> list[Table]:
    specs = [CATALOG.get(n) for n in OBJECTS]
    assert all(s is not None for s in specs)
    return build_tables(specs, MirrorOptions(foreign_keys=True, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tables() -> list[Table]:
    return _tables()


def _fks(tables: list[Table]) -> list[tuple[str, ForeignKey]]:
    return [(t.name, fk) for t in tables for fk in t.foreign_keys]


# -- Mermaid: every line must match the grammar we emit ---------------------------------------------

IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
ENTITY = re.compile(rf"^    ({IDENT}) \{{$")
ATTRIBUTE = re.compile(rf"^        ({IDENT}) ({IDENT})(?: ((?:PK|FK|UK)(?:, (?:PK|FK|UK))*))?$")
RELATION = re.compile(rf'^    ({IDENT}) \|\|--o\{{ ({IDENT}) : "([^"]*)"$')
MERMAID_TYPES = {"int", "decimal", "text", "bool", "date", "datetime", "time", "json", "blob"}


def parse_mermaid(text: str) -> tuple[dict[str, list[tuple[str, str, str]]], list[tuple[str, str, str]]]:
    """Entities (name → [(type, attribute, keys)]) and relationships (parent, child, label)."""
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    entities: dict[str, list[tuple[str, str, str]]] = {}
    relations: list[tuple[str, str, str]] = []
    current: str | None = None
    for line in lines[1:]:
        if current is not None:
            if line == "    }":
                current = None
                continue
            m = ATTRIBUTE.match(line)
            assert m, f"not an attribute line: {line!r}"
            entities[current].append((m[1], m[2], m[3] or ""))
        elif m := ENTITY.match(line):
            assert m[1] not in entities, f"entity {m[1]} declared twice"
            current = m[1]
            entities[current] = []
        else:
            m = RELATION.match(line)
            assert m, f"not an erDiagram line: {line!r}"
            relations.append((m[1], m[2], m[3]))
    assert current is None, "unclosed entity block"
    return entities, relations


def test_formats() -> None:
    assert ERD_FORMATS == ("mermaid", "dot", "svg")


def test_mermaid_has_every_table_and_one_relationship_per_foreign_key(tables: list[Table]) -> None:
    entities, relations = parse_mermaid(render_erd(tables))
    assert list(entities) == [t.name for t in tables]
    expected = Counter((fk.table, child, ", ".join(fk.columns)) for child, fk in _fks(tables))
    assert len(relations) == len(_fks(tables)) > 20
    assert Counter(relations) == expected
    assert ("Companies", "Invoices", "RemoteAccount, CompanyId") in relations
    assert ("Invoices", "Invoices_Lines", "RemoteAccount, ParentRemoteID") in relations


def test_mermaid_attributes_are_keys_with_single_word_types(tables: list[Table]) -> None:
    entities, _ = parse_mermaid(render_erd(tables, "mermaid"))
    assert {typ for attrs in entities.values() for typ, _, _ in attrs} <= MERMAID_TYPES
    invoices = {name: keys for _, name, keys in entities["Invoices"]}
    assert invoices["RemoteAccount"] == "PK, FK" and invoices["RemoteID"] == "PK"
    assert invoices["CompanyId"] == "FK" and invoices["Id"] == "UK"
    assert "OwnerId" in invoices  # a relation index without a mirrored target
    assert "WhenModified" not in invoices and "Number" not in invoices
    for t in tables:  # child tables too: every key column is drawn
        names = {name for _, name, _ in entities[t.name]}
        assert set(t.primary_key) | {c for fk in t.foreign_keys for c in fk.columns} <= names
    lines = {name: keys for _, name, keys in entities["Invoices_Lines_Dates"]}
    assert lines == {"RemoteAccount": "PK, FK", "ParentRemoteID": "PK, FK", "LinesPosition": "PK, FK",
                     "Position": "PK"}


def test_mermaid_identifiers_are_sanitised() -> None:
    odd = Table("My table.x", "X", (Column("1st col", "integer"), Column("a/b", "mystery type")), ("1st col",))
    ref = Table("Other", "Y", (Column("Id", "string"), Column("a/b", "integer")), ("Id",),
                foreign_keys=(ForeignKey(("a/b",), "My table.x", ("1st col",)),))
    entities, relations = parse_mermaid(render_erd([odd, ref], "mermaid", columns="all"))
    assert list(entities) == ["My_table_x", "Other"]
    assert entities["My_table_x"] == [("int", "_1st_col", "PK"), ("mystery_type", "a_b", "")]
    assert entities["Other"] == [("text", "Id", "PK"), ("int", "a_b", "FK")]
    assert relations == [("My_table_x", "Other", "a/b")]


# -- DOT ------------------------------------------------------------------------------------------------

DOT_EDGE = re.compile(r'^  "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[(?:label|tooltip)="((?:[^"\\]|\\.)*)"'
                      r'(?:, minlen=\d)?\];$')
DOT_NODE = re.compile(r'^ +"((?:[^"\\]|\\.)*)" \[label=<<table .*</table>>\];$')  # inside its area's cluster


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_dot_has_a_node_per_table_and_an_edge_per_foreign_key(tables: list[Table]) -> None:
    dot = render_erd(tables, "dot")
    assert dot.startswith("digraph erd {") and dot.rstrip().endswith("}")
    assert _balanced(dot)
    lines = dot.splitlines()
    nodes = [m[1] for line in lines if (m := DOT_NODE.match(line))]
    edges = [(m[1], m[2], m[3]) for line in lines if (m := DOT_EDGE.match(line))]
    assert sorted(nodes) == sorted(t.name for t in tables)
    assert len(edges) == len(_fks(tables)) == dot.count(" -> ")
    assert Counter(edges) == Counter((child, fk.table, ", ".join(fk.columns)) for child, fk in _fks(tables))
    attributes = sum(len(attrs) for attrs in parse_mermaid(render_erd(tables))[0].values())
    assert dot.count("<tr>") == len(tables) + attributes  # a title row per table, a row per column


def test_dot_quotes_and_escapes_identifiers() -> None:
    a = Table('Q"x\\y', "X", (Column("A&B", "integer"),), ("A&B",))
    b = Table("<B>", "Y", (Column("Ref", "integer"),), (),
              foreign_keys=(ForeignKey(("Ref",), 'Q"x\\y', ("A&B",)),))
    dot = render_erd([a, b], "dot")
    assert '  "Q\\"x\\\\y" [label=<' in dot
    assert "<b>Q&quot;x\\y</b>" in dot and "PK A&amp;B : int" in dot and "<b>&lt;B&gt;</b>" in dot
    assert '  "<B>" -> "Q\\"x\\\\y" [label="Ref"];' in dot
    assert _balanced(dot)


# -- SVG ------------------------------------------------------------------------------------------------

def _svg_tables(root: ET.Element) -> dict[str, ET.Element]:
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "table"]
    return {g.findall(f"{SVG}text")[0].text or "": g for g in groups}


def _rect(g: ET.Element) -> tuple[float, float, float, float]:
    r = g.find(f"{SVG}rect")
    assert r is not None
    return tuple(float(r.get(k) or "nan") for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def test_svg_is_xml_with_a_box_per_table_and_a_line_per_foreign_key(tables: list[Table]) -> None:
    svg = render_erd(tables, "svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    boxes = _svg_tables(root)
    assert list(boxes) == [t.name for t in tables]
    for t in tables:
        texts = [e.text for e in boxes[t.name].iter(f"{SVG}text")]
        assert set(t.primary_key) <= set(texts)
    edges = [p for p in root.iter() if p.get("class") == "fk"]
    assert len(edges) == len(_fks(tables))
    titles = Counter((e.findtext(f"{SVG}title") or "").split(" (")[0] for e in edges)
    assert titles == Counter(child for child, _ in _fks(tables))
    assert svg == render_erd(tables, "svg")  # deterministic


def test_svg_boxes_do_not_overlap_and_fit_the_canvas(tables: list[Table]) -> None:
    root = ET.fromstring(render_erd(tables, "svg"))
    width, height = float(root.get("width") or 0), float(root.get("height") or 0)
    rects = {name: _rect(g) for name, g in _svg_tables(root).items()}
    for x, y, w, h in rects.values():
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in combinations(rects.items(), 2):
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"
    # referenced main tables sit above the tables that point at them
    assert rects["Companies"][1] < rects["Projects"][1] < rects["Invoices"][1]
    assert rects["Invoices"][1] < rects["Invoices_Lines"][1] < rects["Invoices_Lines_Dates"][1]


def test_svg_escapes_text_and_survives_cycles_and_missing_targets() -> None:
    cols = (Column("Id", "integer"), Column("Ref", "integer"))
    a = Table("A<&>", "A", cols, ("Id",), foreign_keys=(ForeignKey(("Ref",), "B", ("Id",)),
                                                       ForeignKey(("Ref",), "A<&>", ("Id",))))
    b = Table("B", "B", cols, ("Id",), foreign_keys=(ForeignKey(("Ref",), "A<&>", ("Id",)),
                                                     ForeignKey(("Ref",), "Elsewhere", ("Id",))))
    root = ET.fromstring(render_erd([a, b], "svg"))
    assert list(_svg_tables(root)) == ["A<&>", "B"]
    assert len([p for p in root.iter() if p.get("class") == "fk"]) == 3  # not the one to Elsewhere
    _, relations = parse_mermaid(render_erd([a, b]))
    assert len(relations) == 4


def test_svg_of_a_subset_draws_only_edges_between_drawn_tables(tables: list[Table]) -> None:
    subset = [t for t in tables if t.name.startswith("Invoices_")]
    root = ET.fromstring(render_erd(subset, "svg"))
    assert len(_svg_tables(root)) == len(subset)
    drawn = {t.name for t in subset}
    assert len([p for p in root.iter() if p.get("class") == "fk"]) == sum(
        fk.table in drawn for _, fk in _fks(subset)) == 1  # Invoices_Lines_Dates → Invoices_Lines


# -- Options --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ERD_FORMATS)
def test_all_columns_shows_more_than_keys(tables: list[Table], fmt: str) -> None:
    def attribute_lines(text: str) -> int:
        if fmt == "mermaid":
            return sum(len(attrs) for attrs in parse_mermaid(text)[0].values())
        if fmt == "dot":
            return text.count("<tr>") - len(tables)
        return sum(1 for e in ET.fromstring(text).iter(f"{SVG}text") if e.get("text-anchor") == "end")

    keys, everything = render_erd(tables, fmt), render_erd(tables, fmt, columns="all")
    assert attribute_lines(keys) < attribute_lines(everything) == sum(len(t.columns) for t in tables)
    assert "WhenModified" not in keys and "WhenModified" in everything


def test_snake_naming() -> None:
    tables = _tables(naming="snake")
    entities, relations = parse_mermaid(render_erd(tables))
    assert "invoices_lines" in entities and ("int", "company_id", "FK") in entities["invoices"]
    assert ("companies", "invoices", "remote_account, company_id") in relations
    assert len(relations) == len(_fks(tables))
    assert "when_modified" not in render_erd(tables, "dot")
    assert render_erd(tables, "dot").count(" -> ") == len(_fks(tables))
    root = ET.fromstring(render_erd(tables, "svg"))
    assert list(_svg_tables(root)) == [t.name for t in tables]


def test_without_foreign_keys_there_are_no_edges() -> None:
    tables = build_tables([CATALOG.get("Invoices")], MirrorOptions())  # type: ignore[list-item]
    assert parse_mermaid(render_erd(tables))[1] == []
    assert not [line for line in render_erd(tables, "dot").splitlines() if " -> " in line and "invis" not in line]
    assert not [p for p in ET.fromstring(render_erd(tables, "svg")).iter() if p.get("class") == "fk"]


def test_unknown_format_or_column_mode_is_refused(tables: list[Table]) -> None:
    with pytest.raises(ValueError, match="mermaid, dot, svg") as err:
        render_erd(tables, "png")
    assert "'png'" in str(err.value)
    with pytest.raises(ValueError, match="keys, all"):
        render_erd(tables, "svg", columns="some")
