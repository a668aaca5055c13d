"""``python -m scorolink.sandbox.quickbooks``: the same as ``scorolink sandbox quickbooks``."""

from __future__ import annotations

import argparse
import sys

from ..common import PortBusy
from .cli import serve_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scorolink.sandbox.quickbooks",
                                     description="Serve the QuickBooks Online sandbox on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767, help="0 picks a free port")
    parser.add_argument("--data", default=None, help="SQLite file that keeps the state between runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--realms", type=int, default=2)
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--rate-limit", default=None, help="off, or minute=500,second=10,concurrent=10,batch=40")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--start-time", default=None, help="ISO instant to start the clock at (default: now)")
    args = parser.parse_args(argv)
    try:
        serve_command(host=args.host, port=args.port, data=args.data, seed=args.seed, realms=args.realms,
                      rate_limit=args.rate_limit, fault_rate=args.fault_rate, size=args.size,
                      start_time=args.start_time)
    except (PortBusy, ValueError) as exc:  # a taken port, a bad --rate-limit: exit code 2, nothing printed
        print(f"error: {exc.strerror if isinstance(exc, PortBusy) else exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
