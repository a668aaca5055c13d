"""Opening a Scoro connection: the configured account, or the bundled sandbox when none is.

The sandbox fallback is what lets a person try every command on a fresh machine without a
Scoro account; the CLI says so on stderr each time it happens. The bundled sandbox keeps its state in
one SQLite file per workspace (`.scorolink/scoro-sandbox.db` under the current directory), so what one
command writes the next one reads; `scorolink sandbox reset` starts it afresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.http import Closing
from scorolink.clients.scoro import ScoroClient
from scorolink.config import ScoroSettings, load_scoro_settings
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts

SANDBOX_SEED_ENV = "SCOROLINK_SANDBOX_SEED"
SANDBOX_SIZE_ENV = "SCOROLINK_SANDBOX_SIZE"
SANDBOX_DATA_ENV = "SCOROLINK_SANDBOX_DATA"  # another SQLite file for the bundled sandbox, or "memory"
DEFAULT_SANDBOX_DATA = ".scorolink/scoro-sandbox.db"
IN_MEMORY = ("memory", ":memory:")


def sandbox_data_path() -> str | None:
    """The bundled sandbox's state file (None: in memory, forgotten when the command ends)."""
    path = os.environ.get(SANDBOX_DATA_ENV) or DEFAULT_SANDBOX_DATA
    return None if path.strip().lower() in IN_MEMORY else path


@dataclass
class ScoroSession(Closing):
    connector: ScoroConnector
    sandbox: Any | None = None  # the in-process ScoroSandbox when no account is configured

    @property
    def client(self) -> ScoroClient:
        return self.connector.client

    @property
    def label(self) -> str:
        s = self.client.settings
        where = "bundled sandbox" if self.sandbox is not None else s.url
        return f"{where} (company account {s.company_account_id})"

    def close(self) -> None:
        self.connector.close()


def sandbox_settings(sandbox: Any, base: ScoroSettings | None = None, base_url: str | None = None) -> ScoroSettings:
    """Settings that reach a sandbox site (in-process when no base_url is given)."""
    site = sandbox.default
    url = base_url or f"http://sandbox.local{site['base_path']}"
    settings = base or ScoroSettings()
    return replace(settings, base_url=url, subdomain=None, company_account_id=site["company_account_ids"][0],
                   api_key=site["api_key"], username=None, password=None)


def start_bundled_sandbox(seed: int | None = None, size: int | None = None) -> Any:
    """The workspace's bundled sandbox. Seed and size apply when its state file is first made."""
    from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox

    path = sandbox_data_path()
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return ScoroSandbox(SandboxConfig(seed=seed if seed is not None else int(os.environ.get(SANDBOX_SEED_ENV, 1)),
                                      size=size if size is not None else int(os.environ.get(SANDBOX_SIZE_ENV, 300)),
                                      data=path))


def open_scoro(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
               transport: httpx.BaseTransport | None = None) -> ScoroSession:
    settings = load_scoro_settings(flags, config_file)
    if not settings.configured:
        sandbox = start_bundled_sandbox()
        settings = sandbox_settings(sandbox, settings)
        client = ScoroClient(settings, transport=SyncASGITransport(sandbox.app))
        cfg = sandbox.config
        facts = SiteFacts.for_site(settings, salt=f"bundled sandbox {cfg.seed} {cfg.size} {cfg.data or ''}")
        return ScoroSession(ScoroConnector(client, facts=facts), sandbox)
    client = ScoroClient(settings.validate(), transport=transport)
    # What is learnt about a real site (time zone, capabilities, custom fields) is kept for later runs.
    return ScoroSession(ScoroConnector(client, facts=SiteFacts.for_site(settings)))
