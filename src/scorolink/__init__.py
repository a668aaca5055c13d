"""scorolink: an open-source integration toolkit for Scoro.

The public surface is this list; everything else is importable but may change.
"""

import importlib as _importlib
import typing as _typing

_EXPORTS = {  # public name: the module that defines it, imported on first use (the CLI starts fast)
    "Catalog": "scorolink.catalog.model",
    "Field": "scorolink.catalog.model",
    "FieldType": "scorolink.catalog.model",
    "Nested": "scorolink.catalog.model",
    "ObjectSpec": "scorolink.catalog.model",
    "Relation": "scorolink.catalog.model",
    "CATALOG": "scorolink.catalog.scoro",
    "ApiError": "scorolink.clients.errors",
    "AuthenticationFailed": "scorolink.clients.errors",
    "NotFound": "scorolink.clients.errors",
    "PermissionDenied": "scorolink.clients.errors",
    "RateLimited": "scorolink.clients.errors",
    "Unavailable": "scorolink.clients.errors",
    "ValidationFailed": "scorolink.clients.errors",
    "WriteOutcomeUnknown": "scorolink.clients.errors",
    "ScoroClient": "scorolink.clients.scoro",
    "ScoroSettings": "scorolink.config",
    "load_scoro_settings": "scorolink.config",
    "Condition": "scorolink.connectors.base",
    "WriteOp": "scorolink.connectors.base",
    "WriteResult": "scorolink.connectors.base",
    "parse_condition": "scorolink.connectors.base",
    "ScoroConnector": "scorolink.connectors.scoro",
    "ConfigError": "scorolink.errors",
    "InvalidInput": "scorolink.errors",
    "InvalidValue": "scorolink.errors",
    "OperationNotAllowed": "scorolink.errors",
    "ScorolinkError": "scorolink.errors",
    "UnknownName": "scorolink.errors",
    "ScoroSession": "scorolink.session",
    "open_scoro": "scorolink.session",
}


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scorolink' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if _typing.TYPE_CHECKING:
    from scorolink.catalog.model import Catalog, Field, FieldType, Nested, ObjectSpec, Relation
    from scorolink.catalog.scoro import CATALOG
    from scorolink.clients.errors import (
        ApiError,
        AuthenticationFailed,
        NotFound,
        PermissionDenied,
        RateLimited,
        Unavailable,
        ValidationFailed,
        WriteOutcomeUnknown,
    )
    from scorolink.clients.scoro import ScoroClient
    from scorolink.config import ScoroSettings, load_scoro_settings
    from scorolink.connectors.base import Condition, WriteOp, WriteResult, parse_condition
    from scorolink.connectors.scoro import ScoroConnector
    from scorolink.errors import (
        ConfigError,
        InvalidInput,
        InvalidValue,
        OperationNotAllowed,
        ScorolinkError,
        UnknownName,
    )
    from scorolink.session import ScoroSession, open_scoro

__version__ = "0.1.0"

__all__ = [
    "CATALOG",
    "ApiError",
    "AuthenticationFailed",
    "Catalog",
    "Condition",
    "ConfigError",
    "Field",
    "FieldType",
    "InvalidInput",
    "InvalidValue",
    "Nested",
    "NotFound",
    "ObjectSpec",
    "OperationNotAllowed",
    "PermissionDenied",
    "RateLimited",
    "Relation",
    "ScoroClient",
    "ScoroConnector",
    "ScoroSession",
    "ScoroSettings",
    "ScorolinkError",
    "Unavailable",
    "UnknownName",
    "ValidationFailed",
    "WriteOp",
    "WriteOutcomeUnknown",
    "WriteResult",
    "load_scoro_settings",
    "open_scoro",
    "parse_condition",
]
