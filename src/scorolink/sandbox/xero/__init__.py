"""A stateful local emulator of the Xero Accounting API (see README.md in this folder)."""

from .config import (
           WORKSPACE_DATA,
           WORKSPACE_DATA_ENV,
           Faults,
           RateLimit,
           XeroSandboxConfig,
           workspace_data_path,
)
from .sandbox import XeroSandbox
from .webhooks import sign as sign_webhook

__all__ = ["WORKSPACE_DATA", "WORKSPACE_DATA_ENV", "Faults", "RateLimit", "XeroSandbox", "XeroSandboxConfig",
           "sign_webhook", "workspace_data_path"]
