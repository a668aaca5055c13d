"""A stateful local emulator of the QuickBooks Online Accounting API v3 and Intuit OAuth 2.0 (see README.md
in this folder)."""

from .config import Faults, QuickBooksSandboxConfig, RateLimit
from .sandbox import QuickBooksSandbox

__all__ = ["Faults", "QuickBooksSandbox", "QuickBooksSandboxConfig", "RateLimit"]
