"""The key that encrypts secrets at rest (OAuth tokens in the state database, token files): Fernet,
from SCOROLINK_SECRET_KEY or, when that is unset, a key file created with 0600 permissions on first use."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scorolink.errors import ConfigError

SECRET_KEY_ENV = "SCOROLINK_SECRET_KEY"
DEFAULT_KEY_FILE = ".scorolink/secret.key"


def check_fernet_key(key: bytes, source: str) -> bytes:
    from cryptography.fernet import Fernet

    try:
        Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{source} is not a Fernet key (32 url-safe base64-encoded bytes). Make one with "
            "`python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`."
        ) from exc
    return key


def load_fernet_key(key_file: Path) -> bytes:
    """SCOROLINK_SECRET_KEY when set, else the key file (created with 0600 permissions on first use)."""
    from cryptography.fernet import Fernet

    env = os.environ.get(SECRET_KEY_ENV)
    if env:
        return check_fernet_key(env.strip().encode(), SECRET_KEY_ENV)
    if key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"Key file {key_file} is readable by others (mode {mode:o}); run `chmod 600 {key_file}`.")
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return key_file.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
