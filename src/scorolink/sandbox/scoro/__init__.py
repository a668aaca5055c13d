"""A stateful local emulator of the Scoro REST API v2 (see README.md in this folder)."""

from .config import Faults, RateLimit, SandboxConfig
from .sandbox import ScoroSandbox

__all__ = ["Faults", "RateLimit", "SandboxConfig", "ScoroSandbox"]
