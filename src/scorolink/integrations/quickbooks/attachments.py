"""Attachments of synced invoices and bills, Scoro → QuickBooks (seed §4): automatically after each run (the
`attachments = "automatic"` setting), or for one document (`--object attachments:ID`). A Scoro file related to
an invoice or bill whose QuickBooks counterpart exists is uploaded once (`POST /upload`, under a requestid
derived from the file, so a retry never attaches it twice) and remembered in the sync state."""

from __future__ import annotations

import mimetypes
from typing import Any

from scorolink.clients.errors import ApiError
from scorolink.integrations.quickbooks.client import request_key
from scorolink.sync.store import SyncStore

KINDS = {"invoices": ("invoices", "Invoice"), "bills": ("bills", "Bill")}  # Scoro relation → category, entity


def sync_attachments(store: SyncStore, job: str, scoro: Any, session: Any, *, document: str | None = None,
                     dry_run: bool = False) -> dict[str, int]:
    """Upload what is not in QuickBooks yet; `document` limits it to one Scoro invoice or bill."""
    counts = {"uploaded": 0, "failed": 0}
    for file in scoro.read("Files", columns=["Id", "FileName", "Relations", "IsDeleted"]):
        if file.get("IsDeleted"):
            continue
        for relation, ids in (file.get("Relations") or {}).items():
            if relation not in KINDS:
                continue
            category, entity = KINDS[relation]
            for scoro_id in ids or []:
                if document is not None and str(scoro_id) != str(document):
                    continue
                target = store.counterpart(job, category, "a", str(scoro_id))
                key = f"attachment:{file['Id']}:{category}:{scoro_id}"
                if target is None or store.setting(job, key) is not None or dry_run:
                    continue
                name = str(file.get("FileName") or f"file-{file['Id']}")
                try:
                    content = scoro.client.download_file(file["Id"])
                    saved = session.client.upload(entity, target, name, content,
                                                  mimetypes.guess_type(name)[0] or "application/octet-stream",
                                                  request_id=request_key(job, key))
                except ApiError as exc:
                    store.record_error(job, category, "b", str(scoro_id), "attachment",
                                       f"attachment {name!r} not sent: {exc}", op="attachment")
                    counts["failed"] += 1
                    continue
                store.set_setting(job, key, str(saved.get("Id") or ""))
                store.resolve_errors(job, category, "a", str(scoro_id))
                counts["uploaded"] += 1
    return counts
