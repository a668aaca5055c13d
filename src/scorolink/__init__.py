"""scorolink: an open-source integration toolkit for Scoro.

The public surface is this list; everything else is importable but may change.
"""

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
