"""Everything Xero's: its OAuth endpoints and quirks (and, as they move in, its client, connector and commands)."""
