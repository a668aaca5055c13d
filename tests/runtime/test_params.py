"""One parameter model per operation (runtime/params.py): a CLI command's options and its model may not
drift apart, and job params are checked by the same model (import's nested child files included)."""

from __future__ import annotations

import pytest
import typer.main

from scorolink.commands import query, replicate, transfer
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks import commands as quickbooks_commands
from scorolink.integrations.xero import sync_commands as xero_sync
from scorolink.runtime.jobs import add_job, get_job
from scorolink.runtime.operations import check_params
from scorolink.runtime.params import (
    MODELS,
    ExportParams,
    ImportParams,
    OperationParams,
    QueryParams,
    QuickBooksSyncParams,
    ReplicateParams,
    XeroSyncParams,
)
from scorolink.runtime.store import StateStore

COMMANDS = [(replicate.app, "replicate", ReplicateParams), (transfer.app, "export", ExportParams),
            (transfer.app, "import", ImportParams), (query.app, "query", QueryParams),
            (xero_sync.app, "sync", XeroSyncParams), (quickbooks_commands.quickbooks_app, "sync", QuickBooksSyncParams)]


def cli_options(app: typer.Typer, name: str) -> set[str]:
    command = typer.main.get_command(app)
    sub = getattr(command, "commands", {name: command})[name]
    return {p.name for p in sub.params if p.name}


@pytest.mark.parametrize("app, name, model", COMMANDS, ids=[c[1] for c in COMMANDS])
def test_the_cli_and_the_model_name_the_same_settings(app, name, model: type[OperationParams]):
    cli = {model.cli_names.get(o, o) for o in cli_options(app, name)} - model.cli_only
    fields = set(model.model_fields) - model.job_only
    assert cli - fields == set(), f"`{name}` options missing from {model.__name__}"
    assert fields - cli == set(), f"{model.__name__} fields with no `{name}` option"


def test_the_check_catches_a_drift():
    forgot = set(ReplicateParams.model_fields) - {"sweep_days"}  # a model that forgot an option ...
    cli = {ReplicateParams.cli_names.get(o, o) for o in cli_options(replicate.app, "replicate")} - ReplicateParams.cli_only
    assert cli - forgot == {"sweep_days"}  # ... is seen


def test_every_job_operation_has_its_model():
    assert set(MODELS) >= {"replicate", "export", "import", "xero_sync", "quickbooks_sync"}


def test_job_params_go_through_the_model(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, tzinfo=UTC)
    add_job(store, "lines", operation="import", connection="default", schedule="manual", now=now,
            params={"object": "Invoices", "file": "invoices.csv", "nested": "Lines=lines.csv", "mode": "upsert"})
    assert get_job(store, "lines")["params"]["nested"] == "Lines=lines.csv"
    assert ImportParams.parse(get_job(store, "lines")["params"]).nested == {"Lines": "lines.csv"}
    with pytest.raises(ConfigError, match="nested"):
        check_params("import", {"object": "Invoices", "file": "i.csv", "nested": "Lines"})
    with pytest.raises(ConfigError, match="mode must be one of"):
        check_params("import", {"object": "Invoices", "file": "i.csv", "mode": "merge"})
    with pytest.raises(ConfigError, match="Unknown export setting"):
        check_params("export", {"object": "Invoices", "to": "i.csv", "colour": "blue"})
    assert ReplicateParams.parse({"objects": "Projects, Tasks", "full": "true"}).options().objects == [
        "Projects", "Tasks"]
    assert XeroSyncParams.parse({"categories": "contacts"}).categories == ["contacts"]
