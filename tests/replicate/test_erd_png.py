"""A whole account's ERD checked the way a person would: each diagram rendered to PNG by Graphviz, its pixel
size readable at normal zoom, no table box on another and no relation line across a box it does not join.

Positions come from `dot -Tplain` of the same DOT text (the layout the PNG draws): nodes as centre and size,
edges as cubic Bézier control points, all in inches."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from itertools import combinations

import pytest

from scorolink.replicate.erd import render_erd_by_area
from scorolink.replicate.introspect import mirror_tables

# Readable at normal zoom: a per-area diagram fits a large screen, or two screens scrolled one way; the
# overview (one box per area) may be wider, as a map is, but no side goes past MAX_OVERVIEW_SIDE.
MAX_AREA_SIDE = 2500
MAX_OVERVIEW_SIDE = 3000
INSIDE = 0.04  # inches a line must reach into a box to count as crossing it (a border graze is not)

DOT = shutil.which("dot")
if DOT is None and os.environ.get("CI"):
    pytest.fail("Graphviz `dot` is missing under CI: `make test` installs it (python -m tests.services --ensure)",
                pytrace=False)
pytestmark = pytest.mark.skipif(DOT is None, reason="Graphviz `dot` not installed (apt-get install graphviz; "
                                "`make test` installs it)")


@dataclass
class Layout:
    boxes: dict[str, tuple[float, float, float, float]]  # name -> left, bottom, right, top
    edges: list[tuple[str, str, list[tuple[float, float]]]]  # tail, head, Bézier control points


def _dot(args: list[str], source: str) -> bytes:
    done = subprocess.run([str(DOT), *args], input=source.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _layout(plain: str) -> Layout:
    boxes: dict[str, tuple[float, float, float, float]] = {}
    edges: list[tuple[str, str, list[tuple[float, float]]]] = []
    for line in plain.splitlines():
        parts = line.split()
        if parts[:1] == ["node"]:
            x, y, w, h = map(float, parts[2:6])
            boxes[parts[1]] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        elif parts[:1] == ["edge"]:
            n = int(parts[3])
            coords = list(map(float, parts[4:4 + 2 * n]))
            edges.append((parts[1], parts[2], list(zip(coords[::2], coords[1::2], strict=True))))
    return Layout(boxes, edges)


def _curve(points: list[tuple[float, float]], steps: int = 24) -> list[tuple[float, float]]:
    """Points along a piecewise cubic Bézier (p0 p1 p2 p3 p4 p5 p6 …, as Graphviz writes splines)."""
    out = []
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i:i + 4]
        for k in range(steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
            out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return out


def _crossings(layout: Layout) -> list[str]:
    found = []
    for tail, head, points in layout.edges:
        samples = _curve(points)
        for name, (left, bottom, right, top) in layout.boxes.items():
            if name in (tail, head):
                continue
            if any(left + INSIDE < x < right - INSIDE and bottom + INSIDE < y < top - INSIDE for x, y in samples):
                found.append(f"{tail} -> {head} crosses {name}")
    return found


def _overlaps(layout: Layout) -> list[str]:
    return [f"{a} overlaps {b}" for (a, (al, ab, ar, at)), (b, (bl, bb, br, bt)) in
            combinations(layout.boxes.items(), 2) if not (ar <= bl or br <= al or at <= bb or bt <= ab)]


@pytest.fixture(scope="module")
def diagrams() -> dict[str, str]:
    tables = mirror_tables(None, None, nested="separate", naming="pascal")  # what `replicate` would create
    assert len(tables) >= 120 and sum(len(t.foreign_keys) for t in tables) >= 300  # a whole account
    return {name: text for name, text in render_erd_by_area(tables, "dot").items() if name.endswith(".dot")}


def test_every_diagram_renders_readable_without_overlap_or_lines_across_boxes(diagrams: dict[str, str]) -> None:
    assert "overview.dot" in diagrams and len(diagrams) >= 20
    problems: list[str] = []
    sizes: dict[str, tuple[int, int]] = {}
    for name, source in sorted(diagrams.items()):
        sizes[name] = width, height = _png_size(_dot(["-Tpng"], source))
        limit = MAX_OVERVIEW_SIDE if name == "overview.dot" else MAX_AREA_SIDE
        if max(width, height) > limit:
            problems.append(f"{name}: {width}×{height} px, over {limit} px a side")
        layout = _layout(_dot(["-Tplain"], source).decode())
        assert layout.boxes, name
        problems += [f"{name}: {p}" for p in _overlaps(layout) + _crossings(layout)]
    assert not problems, "\n".join(problems)
    assert min(min(s) for s in sizes.values()) > 100  # a picture, not an empty canvas


def test_overview_has_one_box_per_area_linking_its_diagram(diagrams: dict[str, str]) -> None:
    layout = _layout(_dot(["-Tplain"], diagrams["overview.dot"]).decode())
    areas = {name.removesuffix(".dot") for name in diagrams} - {"overview"}
    assert set(layout.boxes) == areas
    assert all(f'URL="{a}.dot"' in diagrams["overview.dot"] for a in areas)
    arrows = {(t, h) for t, h, _ in layout.edges}
    assert ("invoices", "scheduledInvoices") in arrows  # relations between areas, counted
    # areas that most others use are marked shared instead of drawing an arrow from each user
    assert "users\\n2 tables\\nused by 25 areas" in diagrams["overview.dot"]
    assert not any(h == "users" for _, h in arrows) and len(arrows) < 120
