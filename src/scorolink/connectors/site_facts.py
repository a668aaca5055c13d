"""What scorolink has learnt about one Scoro site, kept so it is asked once, not on every run.

Facts are small JSON values, each stamped with when it was learnt: the site's time zone, whether
`comments/list` answers by module without `object_id`, whether a list honours a `modified_date`
filter its docs do not list, and the discovered custom fields. `SiteFacts()` keeps them for the
life of the connector; `SiteFacts.for_site(settings)` keeps them in a file per site and company
account under the cache directory (`SCOROLINK_CACHE_DIR`, else `~/.cache/scorolink`), mode 0600,
so separate CLI processes share them. `scorolink connection refresh` forgets them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scorolink.config import ScoroSettings


def cache_dir() -> Path:
    base = os.environ.get("SCOROLINK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "scorolink")
    return Path(base)


class SiteFacts:
    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._facts: dict[str, dict[str, Any]] = self._load()

    @classmethod
    def for_site(cls, settings: ScoroSettings, salt: str = "") -> SiteFacts:
        """The file-backed facts of the site and company account these settings reach (`salt`
        tells apart sites that share an address, such as bundled sandboxes of other seeds)."""
        key = f"{settings.url}\n{settings.company_account_id or ''}\n{salt}"
        name = hashlib.sha256(key.encode()).hexdigest()[:24]
        return cls(cache_dir() / "sites" / f"{name}.json")

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a damaged file is relearnt, never trusted
        return {k: v for k, v in data.items() if isinstance(v, dict) and "value" in v} if isinstance(data, dict) else {}

    def get(self, name: str, max_age: float | None = None) -> Any:
        """The value learnt, or None when unknown or older than `max_age` seconds."""
        with self._lock:
            fact = self._facts.get(name)
        if fact is None:
            return None
        if max_age is not None and self.clock() - float(fact.get("at", 0)) > max_age:
            return None
        return fact["value"]

    def learnt_at(self, name: str) -> float | None:
        with self._lock:
            fact = self._facts.get(name)
        return float(fact["at"]) if fact else None

    def put(self, name: str, value: Any) -> None:
        with self._lock:
            # what another process learnt since this one loaded the file is kept: each fact is asked once
            self._facts = {**self._load(), **self._facts, name: {"value": value, "at": self.clock()}}
            self._save()

    def forget(self, *names: str) -> None:
        """Forget the named facts, or all of them."""
        with self._lock:
            for name in names or list(self._facts):
                self._facts.pop(name, None)
            self._save()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {k: v["value"] for k, v in self._facts.items()}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".facts-", suffix=".json")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self._facts, fh)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
