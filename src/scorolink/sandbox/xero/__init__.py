"""A stateful local emulator of the Xero Accounting API (see README.md in this folder)."""

from .config import Faults, RateLimit, XeroSandboxConfig
from .sandbox import XeroSandbox
from .webhooks import sign as sign_webhook

__all__ = ["Faults", "RateLimit", "XeroSandbox", "XeroSandboxConfig", "sign_webhook"]
