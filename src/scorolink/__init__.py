"""scorolink: an open-source integration toolkit for Scoro."""

__version__ = "0.1.0"
