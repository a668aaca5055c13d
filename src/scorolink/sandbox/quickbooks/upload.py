"""A tolerant multipart/form-data reader for ``/upload`` (B12): python-quickbooks sends bare ``\\n`` line
endings and base64 parts, which strict parsers refuse, so parts are split on the boundary by hand and both
CRLF and LF are accepted; ``Content-Transfer-Encoding: base64`` parts are decoded."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .wire import QBOError


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def boundary_of(content_type: str) -> str:
    m = re.search(r'boundary="?([^";]+)"?', content_type or "", re.I)
    if not m or not content_type.lower().startswith("multipart/"):
        raise QBOError("2010", "/upload takes multipart/form-data with a boundary (parts file_metadata_NN and "
                               "file_content_NN)")
    return m.group(1)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    delimiter = b"--" + boundary_of(content_type).encode()
    parts: list[Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        m = re.search(rb"\r?\n\r?\n", chunk)
        if not m:
            continue
        head, data = chunk[: m.start()], chunk[m.end():]
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
        headers: dict[str, str] = {}
        for line in re.split(rb"\r?\n", head):
            key, _, value = line.decode("utf-8", "replace").partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                data = base64.b64decode(b"".join(data.split()), validate=True)
            except (binascii.Error, ValueError):
                raise QBOError("2010", f"part {name.group(1) if name else '?'} says base64 but is not") from None
        parts.append(Part(name.group(1) if name else "", filename.group(1) if filename else None,
                          headers.get("content-type"), data))
    return parts
