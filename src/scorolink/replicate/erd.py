"""Entity-relationship diagrams of the mirror's tables: Mermaid, Graphviz DOT or SVG.

Mermaid and DOT are text for other tools to draw. The SVG is drawn here, in plain Python, so that
a user gets a picture without installing the graphviz binary (or anything else) on their machine.
Its layout is deterministic: each main table heads a group with its child tables indented below it,
and groups sit in layers, the tables they reference in the layers above.

`columns="keys"` keeps a 60-table mirror readable: only primary-key, unique-key, foreign-key and
relation-index columns are listed. `columns="all"` lists every column.
"""

from __future__ import annotations

import math
import re
from html import escape

from scorolink.replicate.schema import MODIFIED, Column, ForeignKey, Table, snake_case

ERD_FORMATS = ("mermaid", "dot", "svg")
COLUMN_MODES = ("keys", "all")

# Logical column types → one-word diagram types.
_TYPES = {"integer": "int", "decimal": "decimal", "string": "text", "boolean": "bool", "date": "date",
          "datetime": "datetime", "time": "time", "json": "json", "binary": "blob"}
_NOT_RELATION_INDEX = {MODIFIED, snake_case(MODIFIED)}  # the change-tracking index


def render_erd(tables: list[Table], fmt: str = "mermaid", *, columns: str = "keys") -> str:
    """The diagram of `tables` in `fmt` (one of ERD_FORMATS); one edge per foreign key."""
    if fmt not in ERD_FORMATS:
        raise ValueError(f"ERD format must be one of {', '.join(ERD_FORMATS)}, not {fmt!r}")
    if columns not in COLUMN_MODES:
        raise ValueError(f"columns must be one of {', '.join(COLUMN_MODES)}, not {columns!r}")
    render = {"mermaid": _mermaid, "dot": _dot, "svg": _svg}[fmt]
    return render(list(tables), columns == "all")


Row = tuple[Column, tuple[str, ...]]  # a shown column and its markers (PK, FK, UK, IX)


def _rows(table: Table, show_all: bool) -> list[Row]:
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    uk_cols = {c for uk in table.unique for c in uk}
    ix_cols = {c for ix in table.indexes for c in ix if c not in _NOT_RELATION_INDEX}
    rows: list[Row] = []
    for col in table.columns:
        tags = tuple(tag for tag, on in (("PK", col.name in table.primary_key), ("FK", col.name in fk_cols),
                                         ("UK", col.name in uk_cols and col.name not in table.primary_key),
                                         ("IX", col.name in ix_cols and col.name not in fk_cols)) if on)
        if show_all or tags:
            rows.append((col, tags))
    return rows


def _type(col: Column) -> str:
    return _TYPES.get(col.type) or _ident(col.type)


def _label(fk: ForeignKey) -> str:
    return ", ".join(fk.columns)


# -- Mermaid ------------------------------------------------------------------------------------------

def _ident(name: str) -> str:
    """A Mermaid identifier: letters, digits, underscore and hyphen, not starting with a digit."""
    out = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"


def _mermaid(tables: list[Table], show_all: bool) -> str:
    lines = ["erDiagram"]
    for t in tables:
        lines.append(f"    {_ident(t.name)} {{")
        for col, tags in _rows(t, show_all):
            keys = ", ".join(tag for tag in tags if tag != "IX")
            lines.append(f"        {_type(col)} {_ident(col.name)}" + (f" {keys}" if keys else ""))
        lines.append("    }")
    for t in tables:
        for fk in t.foreign_keys:
            label = _label(fk).replace('"', "'")
            lines.append(f'    {_ident(fk.table)} ||--o{{ {_ident(t.name)} : "{label}"')
    return "\n".join(lines) + "\n"


# -- Graphviz DOT -------------------------------------------------------------------------------------

def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def module_of(table: Table) -> str:
    """The Scoro area a table belongs to, for grouping a diagram: its object's first module segment
    (invoices, projects, contacts …); objects the catalog does not know group by their own name."""
    from scorolink.catalog.scoro import CATALOG

    spec = CATALOG.get(table.object)
    return (spec.module.split("/")[0] if spec is not None else table.object) or table.object


FAN_COLUMNS = 3


def _dot(tables: list[Table], show_all: bool) -> str:
    """One cluster per Scoro area (an object's tables, and the objects sharing its module), so a whole
    account lays out as boxes of related tables; relations between areas run between the clusters."""
    lines = ["digraph erd {",
             '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.25, ranksep=0.6, newrank=true, '
             'compound=true, splines=true, concentrate=false];',
             '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8, color="#55555599"];']
    areas: dict[str, list[Table]] = {}
    for t in tables:
        areas.setdefault(module_of(t), []).append(t)
    for number, (area, members) in enumerate(areas.items()):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label={_quote(area)}; style="rounded"; color="#99aabb"; fontsize=12;')
        for t in members:
            head = "#dbe7f5" if t.kind == "main" else "#e6f0da"
            cells = [f'<tr><td bgcolor="{head}"><b>{escape(t.name)}</b></td></tr>']
            for col, tags in _rows(t, show_all):
                text = f"{' '.join(tags)} {col.name} : {_type(col)}".strip()
                cells.append(f'<tr><td align="left">{escape(text)}</td></tr>')
            table = ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3">' + "".join(cells)
                     + "</table>")
            lines.append(f"    {_quote(t.name)} [label=<{table}>];")
        lines.append("  }")
    present = {t.name for t in tables}
    outside = sorted({fk.table for t in tables for fk in t.foreign_keys} - present)
    for name in outside:  # tables of other areas that this one references: named, dashed, no columns
        lines.append(f'  {_quote(name)} [shape=box, style="dashed,rounded", color="#99aabb", fontsize=9];')
    fan_in: dict[str, int] = {}
    for t in tables:
        for fk in t.foreign_keys:
            # many tables pointing at one (a main table's child tables) would stack into one tall column:
            # spread them over FAN_COLUMNS columns, as Graphviz's `unflatten -l` does
            fan_in[fk.table] = fan_in.get(fk.table, -1) + 1
            columns = 1 + fan_in[fk.table] % FAN_COLUMNS if fk.table in present else 1
            spread = f", minlen={columns}" if columns > 1 else ""
            # a child table's link to its parent is its primary key: a tooltip, not a label on the picture
            text = "tooltip" if fk.table == t.parent and fk.table != t.name else "label"
            lines.append(f"  {_quote(t.name)} -> {_quote(fk.table)} [{text}={_quote(_label(fk))}{spread}];")
    # tables joined to no other table of the area would stack in one column too: chain them, invisibly,
    # FAN_COLUMNS to a row
    joined = {t.name for t in tables for fk in t.foreign_keys if fk.table in present and fk.table != t.name}
    joined |= {fk.table for t in tables for fk in t.foreign_keys if fk.table != t.name}
    alone = [t.name for t in tables if t.name not in joined]
    for i in range(1, len(alone)):
        if i % FAN_COLUMNS:
            lines.append(f"  {_quote(alone[i - 1])} -> {_quote(alone[i])} [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- SVG ----------------------------------------------------------------------------------------------

MARGIN, GAP_X, GAP_Y, GAP_COL, GAP_IN, RAIL, INDENT = 20, 60, 70, 30, 10, 16, 24
LINE_H, TITLE_H, PAD, CHAR_W, COL_H, MAX_ROW_W = 16, 22, 8, 7.3, 600, 1800
Box = tuple[float, float, float, float]  # x, y, width, height
Group = list[tuple[Table, int]]  # a main table and its child tables, each with its nesting level


def _groups(tables: list[Table]) -> list[Group]:
    """Each main table followed by its child tables, depth first, in input order."""
    present = {t.name for t in tables}
    kids: dict[str, list[Table]] = {}
    for t in tables:
        if t.parent in present and t.parent != t.name:
            kids.setdefault(t.parent, []).append(t)
    seen: set[str] = set()

    def walk(t: Table, level: int) -> Group:
        seen.add(t.name)
        out: Group = [(t, level)]
        for k in kids.get(t.name, []):
            if k.name not in seen:
                out += walk(k, level + 1)
        return out

    groups = [walk(t, 0) for t in tables if t.parent not in present and t.name not in seen]
    return groups + [walk(t, 0) for t in tables if t.name not in seen]  # parent cycles: never in practice


def _depths(deps: list[set[int]]) -> list[int]:
    """0 for a group that references no other group, else 1 + the depth of its deepest target."""
    depth: dict[int, int] = {}

    def visit(g: int, stack: tuple[int, ...]) -> int:
        if g in stack:  # a cycle: break it here
            return 0
        if g not in depth:
            depth[g] = 1 + max((visit(d, stack + (g,)) for d in sorted(deps[g])), default=-1)
        return depth[g]

    return [visit(g, ()) for g in range(len(deps))]


def _size(table: Table, rows: list[Row]) -> tuple[float, float]:
    tag_w = max((len(",".join(tags)) for _, tags in rows), default=0)
    body = max((tag_w + 1 + len(c.name) + 2 + len(_type(c)) for c, _ in rows), default=0)
    width = max(len(table.name) + 2, body) * CHAR_W + 2 * PAD
    return round(width), TITLE_H + LINE_H * len(rows) + PAD


def _place_group(group: Group, sizes: dict[str, tuple[float, float]]) -> tuple[dict[str, Box], float, float]:
    """Boxes relative to the group's corner: the main table on top, its child subtrees below it in
    columns about COL_H high, each child indented under its parent. Also the group's width, height."""
    main = group[0][0]
    mw, mh = sizes[main.name]
    cols: list[Group] = []
    heights: list[float] = []
    for t, level in group[1:]:
        if level == 1 and (not cols or heights[-1] >= COL_H):
            cols, heights = cols + [[]], heights + [0.0]
        cols[-1].append((t, level))
        heights[-1] += sizes[t.name][1] + GAP_IN
    boxes: dict[str, Box] = {main.name: (0.0, 0.0, mw, mh)}
    x = 0.0
    for col in cols:
        y = mh + RAIL
        for t, level in col:
            boxes[t.name] = (x + level * INDENT, y, *sizes[t.name])
            y += sizes[t.name][1] + GAP_IN
        x += max(level * INDENT + sizes[t.name][0] for t, level in col) + GAP_COL
    return boxes, max(mw, x - GAP_COL), mh + (RAIL + max(heights) - GAP_IN if cols else 0)


def _clip(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre toward a point leaves the box."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    t = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf, 1.0)
    return cx + t * dx, cy + t * dy


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg(tables: list[Table], show_all: bool) -> str:
    """Groups (a main table over its indented child tables) in layers, referenced groups on top.
    Parent links are drawn behind the boxes, relations (blue, see-through) over them."""
    rows = {t.name: _rows(t, show_all) for t in tables}
    sizes = {t.name: _size(t, rows[t.name]) for t in tables}
    groups = _groups(tables)
    group_of = {t.name: i for i, g in enumerate(groups) for t, _ in g}
    deps = [{group_of[fk.table] for t, _ in g for fk in t.foreign_keys if fk.table in group_of} - {i}
            for i, g in enumerate(groups)]
    depth = _depths(deps)
    boxes: dict[str, Box] = {}
    right: list[float] = [0.0] * len(groups)  # each group's right edge
    y = float(MARGIN)
    for layer in sorted(set(depth)):
        x, row_h = float(MARGIN), 0.0
        for i in (i for i in range(len(groups)) if depth[i] == layer):
            placed, w, h = _place_group(groups[i], sizes)
            if x > MARGIN and x + w > MAX_ROW_W:
                x, y, row_h = float(MARGIN), y + row_h + GAP_Y, 0.0
            boxes.update({name: (x + bx, y + by, bw, bh) for name, (bx, by, bw, bh) in placed.items()})
            right[i], x, row_h = x + w, x + w + GAP_X, max(row_h, h)
        y += row_h + GAP_Y
    width, height = max(right, default=0) + MARGIN, max(y - GAP_Y + MARGIN, 2 * MARGIN)
    links, relations = _svg_edges(tables, boxes, groups, group_of, right)
    marker = ('<marker id="{}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
              'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker>')
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="monospace" font-size="12">',
        f'<defs>{marker.format("link", "#555")}{marker.format("rel", "#36c")}</defs>',
        '<rect width="100%" height="100%" fill="#fff"/>',
        '<g class="links" stroke="#555" stroke-width="1.2" fill="none">', *links, "</g>",
        *(line for t in tables for line in _svg_box(t, boxes[t.name], rows[t.name])),
        '<g class="relations" stroke="#36c" stroke-opacity="0.6" stroke-width="1.2" fill="none">',
        *relations, "</g>", "</svg>", ""])


def _svg_edges(tables: list[Table], boxes: dict[str, Box], groups: list[Group], group_of: dict[str, int],
               right: list[float]) -> tuple[list[str], list[str]]:
    """One path per drawable foreign key: (links within a group, relations between groups)."""
    pks = {t.name: t.primary_key for t in tables}
    links: list[str] = []
    relations: list[str] = []
    brackets = [0] * len(groups)
    for t in tables:
        x, y, w, h = src = boxes[t.name]
        g = group_of[t.name]
        for fk in t.foreign_keys:
            if fk.table not in boxes:
                continue
            px, py, pw, ph = dst = boxes[fk.table]
            tip = escape(f"{t.name} ({_label(fk)}) → {fk.table} ({', '.join(fk.ref_columns)})")
            into = links
            if fk.table == t.parent and fk.ref_columns == pks[fk.table]:  # along the column, up to the parent
                rail = py + ph + (RAIL if groups[g][0][0].name == fk.table else GAP_IN) / 2
                d = (f"M{_n(x)},{_n(y + TITLE_H / 2)} H{_n(x - INDENT / 2)} V{_n(rail)} "
                     f"H{_n(px + INDENT / 2)} V{_n(py + ph)}")
            elif fk.table == t.name:  # self-reference: a loop on the right
                d = f"M{_n(x + w)},{_n(y + 6)} h24 v{TITLE_H} h-24"
            elif group_of[fk.table] == g:  # within the group: a bracket on its right
                brackets[g] += 1
                bx = right[g] + 6 * brackets[g]
                d = f"M{_n(x + w)},{_n(y + TITLE_H / 2)} H{_n(bx)} V{_n(py + TITLE_H / 2)} H{_n(px + pw)}"
            else:  # between groups: a straight line, border to border
                x1, y1 = _clip(src, (px + pw / 2, py + ph / 2))
                x2, y2 = _clip(dst, (x + w / 2, y + h / 2))
                d, into = f"M{_n(x1)},{_n(y1)} L{_n(x2)},{_n(y2)}", relations
            end = "link" if into is links else "rel"
            into.append(f'<path class="fk" d="{d}" marker-end="url(#{end})"><title>{tip}</title></path>')
    return links, relations


def _svg_box(table: Table, box: Box, rows: list[Row]) -> list[str]:
    x, y, w, h = box
    head = "#dbe7f5" if table.kind == "main" else "#e6f0da"
    out = [f'<g class="table" id="{escape("t-" + table.name)}">',
           f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="#fff" stroke="#345"/>',
           f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{TITLE_H}" fill="{head}" stroke="#345"/>',
           f'<text x="{_n(x + w / 2)}" y="{_n(y + 15)}" text-anchor="middle" font-weight="bold">'
           f"{escape(table.name)}</text>"]
    tag_w = max((len(",".join(tags)) for _, tags in rows), default=0)
    name_x = x + PAD + ((tag_w + 1) * CHAR_W if tag_w else 0)
    for i, (col, tags) in enumerate(rows):
        ty = y + TITLE_H + LINE_H * (i + 1) - 3
        weight = ' font-weight="bold"' if "PK" in tags else ""
        if tags:
            out.append(f'<text x="{_n(x + PAD)}" y="{_n(ty)}" fill="#a33">{",".join(tags)}</text>')
        out.append(f'<text x="{_n(name_x)}" y="{_n(ty)}"{weight}>{escape(col.name)}</text>')
        out.append(f'<text x="{_n(x + w - PAD)}" y="{_n(ty)}" text-anchor="end" fill="#777">'
                   f"{escape(_type(col))}</text>")
    return out + ["</g>"]


# -- several diagrams with an index ---------------------------------------------------------------------

SUFFIX = {"mermaid": "mmd", "dot": "dot", "svg": "svg"}


def render_erd_by_area(tables: list[Table], fmt: str = "svg", *, columns: str = "keys") -> dict[str, str]:
    """A whole account as one diagram per Scoro area (see module_of) plus `index.html`: file name -> text.
    Each area's diagram stays small enough to read at normal zoom; the index links them and lists the
    relations that cross from one area to another, which no single diagram draws."""
    areas: dict[str, list[Table]] = {}
    for t in tables:
        areas.setdefault(module_of(t), []).append(t)
    area_of = {t.name: module_of(t) for t in tables}
    files = {f"{area}.{SUFFIX[fmt]}": render_erd(members, fmt, columns=columns) for area, members in areas.items()}
    items = []
    for area, members in areas.items():
        crossing = sorted({f"{t.name}.{_label(fk)} → {fk.table}"
                           f" (<a href=\"{escape(area_of[fk.table])}.{SUFFIX[fmt]}\">{escape(area_of[fk.table])}</a>)"
                           for t in members for fk in t.foreign_keys
                           if fk.table in area_of and area_of[fk.table] != area})
        names = ", ".join(escape(t.name) for t in members)
        rel = "".join(f"<li>{c}</li>" for c in crossing)
        items.append(f'<li><a href="{escape(area)}.{SUFFIX[fmt]}"><b>{escape(area)}</b></a>: {names}'
                     + (f"<ul>{rel}</ul>" if rel else "") + "</li>")
    files["overview.dot"] = _overview(areas, area_of, SUFFIX[fmt])
    files["index.html"] = ("<!doctype html>\n<meta charset=\"utf-8\">\n<title>Mirror ERD by area</title>\n"
                           f"<h1>{len(tables)} tables in {len(areas)} areas</h1>\n"
                           "<p>One diagram per area; the relations that cross areas are listed under each. "
                           "<code>overview.dot</code> draws the whole account as one node per area and "
                           "the number of relations between areas "
                           "(<code>dot -Tsvg overview.dot -o overview.svg</code>).</p>\n"
                           f"<ul>\n{chr(10).join(items)}\n</ul>\n")
    return files


HUB_AREAS = 10  # an area referenced by this many others is shown as shared, without its incoming arrows


def _overview(areas: dict[str, list[Table]], area_of: dict[str, str], suffix: str) -> str:
    """The whole account at normal zoom, as Graphviz DOT: one node per area (its table count), one edge
    per pair of areas that relations join, labelled with how many; each node links to the area's diagram.
    Areas nearly everything refers to (users, projects, contacts …) would pull arrows from all over the
    picture: they are drawn as shared areas, saying how many areas use them, without those arrows."""
    counts: dict[tuple[str, str], int] = {}
    for area, members in areas.items():
        for t in members:
            for fk in t.foreign_keys:
                if fk.table in area_of and area_of[fk.table] != area:
                    pair = (area, area_of[fk.table])
                    counts[pair] = counts.get(pair, 0) + 1
    users: dict[str, int] = {}
    for _, dst in counts:
        users[dst] = users.get(dst, 0) + 1
    lines = ["digraph overview {",
             '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.05, ranksep=0.6, splines=true];',
             '  node [shape=box, style="rounded,filled", fillcolor="#dbe7f5", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#55555599"];']
    for area, members in areas.items():
        text = f"{area}\n{len(members)} table{'s' if len(members) > 1 else ''}"
        shared = users.get(area, 0) >= HUB_AREAS
        if shared:
            text += f"\nused by {users[area]} areas"
        extra = ', fillcolor="#f5ecd0"' if shared else ""
        lines.append(f"  {_quote(area)} [label={_quote(text)}, URL={_quote(area + '.' + suffix)}{extra}];")
    for (src, dst), n in sorted(counts.items()):
        if users[dst] < HUB_AREAS:
            lines.append(f"  {_quote(src)} -> {_quote(dst)} [label=\"{n}\", penwidth={min(1 + n / 4, 4):.1f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
