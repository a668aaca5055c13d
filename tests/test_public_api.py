"""The curated public surface, guarded the way httpx guards its own."""

import ast
from pathlib import Path

import scorolink


def test_exported_names_are_exactly_the_public_ones():
    public = sorted(name for name in dir(scorolink) if not name.startswith("_") and name[0].isupper() or
                    name in ("load_scoro_settings", "open_scoro", "parse_condition"))
    assert sorted(scorolink.__all__) == public


def test_sandbox_imports_nothing_from_the_rest_of_scorolink():
    """The sandbox is an independent reading of the wire reference, never of our client or catalog."""
    root = Path(scorolink.__file__).parent / "sandbox"
    offenders = []
    for path in root.rglob("*.py"):
        depth = len(path.relative_to(root.parent).parts) - 1  # package levels below scorolink/
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > depth:  # a relative import that climbs out of scorolink.sandbox
                    offenders.append(f"{path.name}: from {'.' * node.level}{node.module or ''}")
                names = [node.module or ""] if node.level == 0 else []
            offenders += [f"{path.name}: {n}" for n in names
                          if n.startswith("scorolink") and not n.startswith("scorolink.sandbox")]
    assert not offenders
