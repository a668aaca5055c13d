"""The tables of a mirror as they are, for the ERD: catalog relations over the real columns."""

from __future__ import annotations

from dataclasses import replace

from scorolink.catalog.scoro import CATALOG
from scorolink.errors import ConfigError, UnknownName
from scorolink.replicate import state
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import build_mirror_tables, default_objects
from scorolink.replicate.schema import Column, MirrorOptions, Namer, Table


def mirror_tables(url: str | None, objects: list[str] | None = None, *, nested: str = "separate",
                  naming: str = "pascal", schema: str = "skyvia") -> list[Table]:
    """Tables of the mirror at `url` (relations drawn whether or not constraints were declared),
    or, without a URL, the tables `replicate` would create."""
    names = []
    for name in objects or default_objects(CATALOG, schema):
        spec = CATALOG.get(name)
        if spec is None:
            raise UnknownName("object", name, CATALOG.names())
        names.append(spec.name)
    if url is None:
        return build_mirror_tables([CATALOG.get(n) for n in names],  # type: ignore[misc]
                                   MirrorOptions(nested=nested, naming=naming, foreign_keys=True, schema=schema))
    dest = open_destination(url)
    try:
        present = dest.tables()
        if state.SETTINGS not in present:
            raise ConfigError(f"{url} is not a scorolink mirror (no {state.SETTINGS} table); run "
                              "`scorolink replicate --to URL` first.")
        settings = state.read_settings(dest)
        options = MirrorOptions(nested=settings.get("nested", nested), naming=settings.get("naming", naming),
                                foreign_keys=True, schema=settings.get("schema", "skyvia"))
        namer = Namer(options.naming)
        if options.schema == "skyvia":
            mirrored = [CATALOG.get(n) for n in names if namer(n) in present]
        else:  # SyncHub's table names are not the objects': what is not there is left out below
            mirrored = [CATALOG.get(n) for n in (objects or default_objects(CATALOG, options.schema))]
        tables = []
        for t in build_mirror_tables(mirrored, options):  # type: ignore[arg-type]
            if t.name not in present:
                continue
            actual = dest.columns(t.name)
            known = {c.name for c in t.columns}
            extra = tuple(Column(c, dest.logical_type(typ)) for c, typ in actual.items() if c not in known)
            tables.append(replace(t, columns=tuple(c for c in t.columns if c.name in actual) + extra))
        names_left = {t.name for t in tables}
        return [replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if fk.table in names_left)) for t in tables]
    finally:
        dest.close()
