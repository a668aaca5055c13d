"""One package per counterpart system (xero, database, …): siblings that never import each other."""
