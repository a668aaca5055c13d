"""One package per counterpart system (Xero now), siblings that never import each other."""
