"""Credentials in the state database: encrypted at rest, one per (Scoro account, integration, tenant), a
token file or a row of earlier versions claimed on first use (by the default account, or by a named one
for a tenant it names), and `scorolink state rotate-key` re-encrypting every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.clients.oauth import DatabaseTokenStore, TokenSet, TokenStore
from scorolink.errors import ConfigError
from scorolink.state.credentials import CredentialStore
from scorolink.state.store import StateStore

ACCESS = "access-token-literal-0123456789"
REFRESH = "refresh-token-literal-9876543210"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("SCOROLINK_SECRET_KEY", "SCOROLINK_NEW_SECRET_KEY", "SCOROLINK_STATE_URL", "SCOROLINK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_tokens_are_stored_encrypted_per_integration_and_tenant(workdir):
    url = f"sqlite:///{workdir / 'state.db'}"
    store = DatabaseTokenStore(CredentialStore(StateStore(url), workdir / "secret.key"), "xero", "tenant-1")
    assert store.load() is None
    store.save(TokenSet(access_token=ACCESS, refresh_token=REFRESH, expires_at=123.0, tenant_id="tenant-1"))
    other = DatabaseTokenStore(CredentialStore(StateStore(url), workdir / "secret.key"), "xero", "tenant-2")
    assert other.load() is None  # another tenant, another row
    again = DatabaseTokenStore(CredentialStore(StateStore(url), workdir / "secret.key"), "xero", "tenant-1").load()
    assert again is not None and (again.access_token, again.refresh_token) == (ACCESS, REFRESH)
    raw = (workdir / "state.db").read_bytes() + b"".join(p.read_bytes() for p in workdir.glob("state.db-*"))
    assert ACCESS.encode() not in raw and REFRESH.encode() not in raw
    assert (workdir / "secret.key").stat().st_mode & 0o077 == 0
    store.clear()
    assert store.load() is None


def test_a_token_file_of_earlier_versions_moves_into_the_state_database(workdir):
    legacy = workdir / ".scorolink" / "xero-tokens.enc"
    TokenStore(legacy).save(TokenSet(access_token=ACCESS, refresh_token=REFRESH, tenant_id="t"))
    credentials = CredentialStore(StateStore(f"sqlite:///{workdir / 'state.db'}"), legacy.parent / "secret.key")
    store = DatabaseTokenStore(credentials, "xero", "", legacy_file=legacy)
    moved = store.load()
    assert moved is not None and moved.refresh_token == REFRESH and moved.tenant_id == "t"
    assert not legacy.exists()
    assert credentials.keys() == [("default", "xero", "")]


def test_each_scoro_account_has_its_own_slot(workdir):
    credentials = CredentialStore(StateStore(f"sqlite:///{workdir / 'state.db'}"), workdir / "secret.key")
    default = DatabaseTokenStore(credentials, "xero", "")
    acme = DatabaseTokenStore(credentials, "xero", "", account="acme")
    default.save(TokenSet(access_token=ACCESS, refresh_token=REFRESH, tenant_id="t-1"))
    assert acme.load() is None  # no tenant named: once the default account's slot; now its own, empty
    acme.save(TokenSet(access_token="acme-access", refresh_token="acme-refresh", tenant_id="t-2"))
    assert default.load().refresh_token == REFRESH and acme.load().refresh_token == "acme-refresh"
    acme.clear()
    assert acme.load() is None and default.load().refresh_token == REFRESH
    assert credentials.keys() == [("default", "xero", "")]


def test_a_database_of_earlier_versions_keeps_its_tokens(workdir):
    """A state database at revision 0004 (credentials keyed by integration and tenant) upgrades: the default
    account claims the tenant-less row, a named account the row of the tenant its settings name, and a
    named account that named none (it shared the default's slot) claims nothing: it connects once."""
    import sqlalchemy as sa
    from alembic import command

    from scorolink.state.migrate import _config
    from scorolink.state.secrets import load_fernet_key

    url = f"sqlite:///{workdir / 'state.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0004")
    fernet = Fernet(load_fernet_key(workdir / "secret.key"))
    with engine.begin() as conn:
        for tenant, refresh in (("", REFRESH), ("t-2", "acme-refresh")):
            blob = fernet.encrypt(f'{{"access_token": "a", "refresh_token": "{refresh}"}}'.encode()).decode()
            conn.execute(sa.text("INSERT INTO credentials (integration, tenant, secret, updated_at) "
                                 "VALUES ('xero', :t, :s, '2026-01-01 00:00:00')"), {"t": tenant, "s": blob})
    engine.dispose()
    credentials = CredentialStore(StateStore(url), workdir / "secret.key")  # opening upgrades
    assert credentials.keys() == [("", "xero", ""), ("", "xero", "t-2")]
    shared = DatabaseTokenStore(credentials, "xero", "", account="beta", claims_legacy=False)
    assert shared.load() is None
    assert DatabaseTokenStore(credentials, "xero", "").load().refresh_token == REFRESH
    assert DatabaseTokenStore(credentials, "xero", "t-2", account="acme").load().refresh_token == "acme-refresh"
    assert credentials.keys() == [("acme", "xero", "t-2"), ("default", "xero", "")]
    assert shared.load() is None


def test_rotate_key_re_encrypts_every_credential(workdir, monkeypatch):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setenv("SCOROLINK_SECRET_KEY", old.decode())
    url = f"sqlite:///{workdir / 'state.db'}"
    CredentialStore(StateStore(url)).put("xero", "a", {"access_token": ACCESS})
    CredentialStore(StateStore(url)).put("quickbooks", "b", {"access_token": REFRESH})
    (workdir / "new.key").write_bytes(new)
    result = CliRunner().invoke(app, ["state", "rotate-key", "--state", url, "--new-key-file", "new.key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 credential(s)" in result.output and "SCOROLINK_SECRET_KEY" in result.output
    with pytest.raises(ConfigError, match="rotate-key"):
        CredentialStore(StateStore(url)).get("xero", "a")  # the old key no longer opens them
    monkeypatch.setenv("SCOROLINK_SECRET_KEY", new.decode())
    assert CredentialStore(StateStore(url)).get("xero", "a") == {"access_token": ACCESS}
    assert CredentialStore(StateStore(url)).get("quickbooks", "b") == {"access_token": REFRESH}


def test_rotate_key_with_a_key_file_rewrites_it(workdir):
    url = f"sqlite:///{workdir / 'state.db'}"
    credentials = CredentialStore(StateStore(url), workdir / ".scorolink" / "secret.key")
    credentials.put("xero", "", {"refresh_token": REFRESH})
    new = Fernet.generate_key()
    result = CliRunner(env={"SCOROLINK_NEW_SECRET_KEY": new.decode()}).invoke(
        app, ["state", "rotate-key", "--state", url])
    assert result.exit_code == 0, result.output
    assert (workdir / ".scorolink" / "secret.key").read_bytes() == new
    assert (workdir / ".scorolink" / "secret.key").stat().st_mode & 0o077 == 0
    assert CredentialStore(StateStore(url), workdir / ".scorolink" / "secret.key").get("xero", "") == {
        "refresh_token": REFRESH}
    with sqlite3.connect(workdir / "state.db") as db:
        (blob,) = db.execute("SELECT secret FROM credentials").fetchone()
    assert REFRESH not in blob


def test_rotate_key_without_a_new_key_says_how_to_make_one(workdir):
    result = CliRunner().invoke(app, ["state", "rotate-key"])
    assert result.exit_code != 0 and "--new-key-file" in str(result.exception)


def test_quickbooks_realms_are_each_accounts_own(workdir):
    """Without a realm named, an account uses the one company it connected — its own, not another
    account's; a realm stored before accounts were told apart is the default account's to claim."""
    from scorolink.integrations.quickbooks.oauth import RealmTokenStore
    from scorolink.state.credentials import LEGACY_ACCOUNT

    credentials = CredentialStore(StateStore(f"sqlite:///{workdir / 'state.db'}"), workdir / "secret.key")
    credentials.put("quickbooks", "realm-old", {"access_token": "a", "refresh_token": REFRESH}, LEGACY_ACCOUNT)
    acme = RealmTokenStore(credentials, account="acme", claims_legacy=False)
    assert acme.load() is None and acme.realms() == []
    acme.save(TokenSet(access_token="acme-access", refresh_token="acme-refresh", tenant_id="realm-acme"))
    assert RealmTokenStore(credentials, account="acme", claims_legacy=False).load().refresh_token == "acme-refresh"
    default = RealmTokenStore(credentials)
    assert default.realms() == ["realm-old"] and default.load().refresh_token == REFRESH
    assert credentials.keys() == [("acme", "quickbooks", "realm-acme"), ("default", "quickbooks", "realm-old")]
