"""An open connection to an OAuth2 counterpart (Xero, QuickBooks, the next one): its settings, its OAuth client
with tokens encrypted in the state database, and its wire client and connector, made on first use — or, when no
app is configured, a bundled sandbox of the system reached in-process, whose tokens are kept apart from a real
account's. Each integration's `session.py` names its classes and endpoints; the opening is this module's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.http import Closing

SettingsT = TypeVar("SettingsT")
OAuthT = TypeVar("OAuthT")
ClientT = TypeVar("ClientT")
ConnectorT = TypeVar("ConnectorT")


@dataclass
class OAuthSession(Closing, Generic[SettingsT, OAuthT, ClientT, ConnectorT]):
    """Settings, OAuth (tokens), the client and the connector of one counterpart account; closes them all."""

    settings: SettingsT
    oauth: OAuthT
    transport: httpx.BaseTransport | None = None
    sandbox: Any | None = None  # the bundled sandbox when no app is configured
    _client: ClientT | None = None
    _connector: ConnectorT | None = None

    system: ClassVar[str]  # as people name it ("Xero")
    integration: ClassVar[str]  # whose tokens these are in the state database ("xero")
    address_setting: ClassVar[str] = "api_url"  # the settings field that names the API's address
    # what each integration brings: its client and connector classes, and as static methods
    client_class: ClassVar[Any]  # (settings, oauth, transport=) -> the wire client
    connector_class: ClassVar[Any]  # (client) -> the connector
    start_sandbox: ClassVar[Any]  # () -> the workspace's bundled sandbox
    sandbox_settings: ClassVar[Any]  # (sandbox, base settings) -> settings reaching it
    # (settings, config file, integration, transport, account, claims_legacy) -> OAuth, tokens in the state db
    # kept per Scoro account (None: the default one); `claims_legacy`: whether that account may take over
    # tokens stored before accounts were told apart
    open_oauth: ClassVar[Any]

    # -- shared -------------------------------------------------------------------------------------
    @property
    def client(self) -> ClientT:
        if self._client is None:
            self._client = self.client_class(self.settings, self.oauth, transport=self.transport)
        return self._client

    @property
    def connector(self) -> ConnectorT:
        if self._connector is None:
            self._connector = self.connector_class(self.client)
        return self._connector

    @property
    def label(self) -> str:
        return f"bundled {self.system} sandbox" if self.sandbox is not None else getattr(self.settings,
                                                                                            self.address_setting)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[attr-defined]
        self.oauth.close()  # type: ignore[attr-defined]
        if self.sandbox is not None:
            self.sandbox.close()

    @classmethod
    def open(cls, settings: SettingsT, config_file: str | None = None, *,
             transport: httpx.BaseTransport | None = None, account: str | None = None,
             claims_legacy: bool = True) -> Self:
        """The configured app (its settings checked first), or the bundled sandbox when none is configured;
        `account`: the Scoro connection whose tokens these are."""
        if not settings.configured:  # type: ignore[attr-defined]
            sandbox = cls.start_sandbox()
            settings = cls.sandbox_settings(sandbox, settings)
            bridge = SyncASGITransport(sandbox.app)
            oauth = cls.open_oauth(settings, config_file, f"{cls.integration}-sandbox", bridge, account, claims_legacy)
            return cls(settings, oauth, bridge, sandbox)
        settings.validate()  # type: ignore[attr-defined]
        oauth = cls.open_oauth(settings, config_file, cls.integration, transport, account, claims_legacy)
        return cls(settings, oauth, transport)


def sandbox_data(data: str | None, default: Callable[[], str]) -> str:
    """A bundled sandbox's state file (`data`, else the workspace's), its folder made."""
    path = data or default()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def state_credentials(config_file: str | None, key_file: str | Path) -> Any:
    """The state database's encrypted credentials (the runtime's state database, the key from `key_file` or
    SCOROLINK_SECRET_KEY)."""
    from scorolink.state.credentials import CredentialStore
    from scorolink.state.store import StateStore, state_url

    return CredentialStore(StateStore(state_url(config_file)), key_file)
