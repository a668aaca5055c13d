"""One parameter model per operation (pydantic), shared by the CLI's options, job params (`--param`,
`[jobs.NAME]` in scorolink.toml) and, later, the dashboard. `tests/runtime/test_params.py` fails when a
CLI command's options and its model drift apart.

Each model says which CLI options have no job counterpart (`cli_only`: terminal output, one-off
switches), which job settings have no CLI option (`job_only`), and how CLI parameter names map to
fields (`cli_names`). Job params are validated here, so a bad one is refused when the job is added.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scorolink.errors import ConfigError


def _listed(value: Any) -> Any:
    """A comma-separated string becomes a list (`--param objects=A,B`)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class OperationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: ClassVar[str] = ""
    cli_only: ClassVar[frozenset[str]] = frozenset({"as_json"})
    job_only: ClassVar[frozenset[str]] = frozenset()
    cli_names: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(cls, params: dict[str, Any]) -> Any:
        """Validate job params; every problem becomes one ConfigError naming the setting and the fix."""
        unknown = sorted(set(params) - set(cls.model_fields))
        if unknown:
            raise ConfigError(f"Unknown {cls.operation} setting(s): {', '.join(unknown)}. Known: "
                              f"{', '.join(sorted(cls.model_fields))}.")
        try:
            return cls.model_validate(params)
        except ValidationError as exc:
            problems = []
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"]) or "params"
                allowed = (e.get("ctx") or {}).get("expected")
                problems.append(f"{field} must be one of {allowed}" if allowed else f"{field}: {e['msg']}")
            raise ConfigError(f"{cls.operation.capitalize()}: {'; '.join(problems)}.") from exc


class ReplicateParams(OperationParams):
    operation: ClassVar[str] = "replicate"
    job_only: ClassVar[frozenset[str]] = frozenset({"group"})
    cli_names: ClassVar[dict[str, str]] = {"schema": "table_schema"}

    to: str = "sqlite:///scoro.db"
    objects: list[str] | None = None
    full: bool = False
    nested: Literal["separate", "json"] = "separate"
    naming: Literal["pascal", "snake"] = "pascal"
    table_schema: Literal["skyvia", "synchub"] = "skyvia"  # --schema (`schema` is taken by pydantic)
    include_binary: bool = False
    foreign_keys: bool = False
    reconcile: bool = False
    reconcile_days: float = 25
    overlap: float = 3600
    workers: int = 4
    account: str | None = None
    per_parent: Literal["all", "changed"] = "changed"
    sweep_days: float = 7
    group: int | None = None  # objects per slice of a job (default: workers)

    _objects = field_validator("objects", mode="before")(_listed)

    def options(self) -> Any:
        from scorolink.replicate.engine import ReplicateOptions
        from scorolink.replicate.schema import MirrorOptions

        return ReplicateOptions(
            objects=self.objects or None, full=self.full, reconcile=self.reconcile,
            reconcile_days=self.reconcile_days, overlap_seconds=self.overlap, workers=self.workers,
            account=self.account, per_parent=self.per_parent, sweep_days=self.sweep_days,
            mirror=MirrorOptions(nested=self.nested, naming=self.naming, include_binary=self.include_binary,
                                 foreign_keys=self.foreign_keys, schema=self.table_schema))


class ExportParams(OperationParams):
    operation: ClassVar[str] = "export"
    cli_names: ClassVar[dict[str, str]] = {"obj": "object", "out": "to"}

    csv_escape: bool | None = None  # None: SCOROLINK_CSV_ESCAPE (default on); see output.CsvWriter

    object: str
    to: str
    where: list[str] = []
    columns: list[str] | None = None
    nested: Literal["json", "flatten"] = "json"
    include_deleted: bool = False
    limit: int | None = None

    _columns = field_validator("columns", mode="before")(_listed)

    @field_validator("where", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ImportParams(OperationParams):
    operation: ClassVar[str] = "import"
    cli_only: ClassVar[frozenset[str]] = frozenset({"as_json", "restart"})  # a scheduled restart resends all
    cli_names: ClassVar[dict[str, str]] = {"obj": "object", "mapping": "map"}

    csv_escape: bool | None = None  # None: SCOROLINK_CSV_ESCAPE (default on); see output.CsvWriter

    object: str
    file: str | None = None
    mode: Literal["insert", "update", "upsert", "delete"] = "insert"
    key: str | None = None
    map: str | None = None
    nested: dict[str, str] = {}  # FIELD -> child CSV (`--nested Lines=lines.csv`)
    from_sql: str | None = None
    table: str | None = None
    dry_run: bool = False
    errors: str | None = None
    results: str | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    empty: Literal["skip", "null"] = "skip"
    skip_unknown_columns: bool = False
    journal_dir: str | None = None
    workers: int = 4

    @field_validator("nested", mode="before")
    @classmethod
    def _field_files(cls, value: Any) -> Any:
        """FIELD=FILE items (a list, or one comma-separated string) or a table {FIELD = FILE}."""
        if isinstance(value, dict) or value is None:
            return value or {}
        out: dict[str, str] = {}
        for item in _listed(value):
            name, sep, path = str(item).partition("=")
            if not sep or not name.strip() or not path.strip():
                raise ValueError(f"{item!r}: write FIELD=FILE, e.g. Lines=invoice_lines.csv")
            out[name.strip()] = path.strip()
        return out


class QueryParams(OperationParams):
    operation: ClassVar[str] = "query"
    cli_only: ClassVar[frozenset[str]] = frozenset({"install_completion", "show_completion", "as_json"})
    cli_names: ClassVar[dict[str, str]] = {"fmt": "format"}

    csv_escape: bool | None = None  # None: SCOROLINK_CSV_ESCAPE (default on); see output.CsvWriter

    sql: str
    format: Literal["table", "csv", "json"] = "table"
    explain: bool = False
    yes: bool = False
    no_cache: bool = False
    cache_ttl: float = 300
    replica: str | None = None
    lookup_limit: int = 50


class XeroSyncParams(OperationParams):
    operation: ClassVar[str] = "xero_sync"
    cli_only: ClassVar[frozenset[str]] = frozenset({"as_json", "connection"})  # a job names its connection itself
    job_only: ClassVar[frozenset[str]] = frozenset({"config", "wait"})
    cli_names: ClassVar[dict[str, str]] = {"category": "categories", "obj": "record"}

    categories: list[str] = []
    record: str | None = None  # one Scoro or Xero record id to sync alone
    dry_run: bool = False
    allow_different_tax_rates: bool = False  # or [xero_sync] allow_different_tax_rates: a tax map across rates
    state: str | None = None
    config: str | None = None  # the scorolink.toml whose [xero_sync] table applies
    wait: float = 120  # a job's seconds to wait for another run of the same pair's sync before pausing

    _categories = field_validator("categories", mode="before")(_listed)


class QuickBooksSyncParams(OperationParams):
    operation: ClassVar[str] = "quickbooks_sync"
    cli_only: ClassVar[frozenset[str]] = frozenset({"as_json", "connection"})  # a job names its connection itself
    job_only: ClassVar[frozenset[str]] = frozenset({"config", "wait"})
    cli_names: ClassVar[dict[str, str]] = {"category": "categories", "obj": "record"}

    categories: list[str] = []
    background: bool = False  # the background items only (tax rates, accounts, classes)
    record: str | None = None  # one record, as `scorolink quickbooks sync --object` takes it
    dry_run: bool = False
    state: str | None = None
    config: str | None = None  # the scorolink.toml whose [quickbooks_sync] table applies
    wait: float = 120  # a job's seconds to wait for another run of the same pair's sync before pausing

    _categories = field_validator("categories", mode="before")(_listed)


MODELS: dict[str, type[OperationParams]] = {m.operation: m for m in (
    ReplicateParams, ExportParams, ImportParams, QueryParams, XeroSyncParams, QuickBooksSyncParams)}
