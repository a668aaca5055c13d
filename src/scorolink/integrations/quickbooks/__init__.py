"""Everything QuickBooks Online's: Intuit OAuth (discovery, realms), the Accounting API client and connector,
the Scoro ↔ QuickBooks integration, its commands and its runtime operation."""
