"""The package version (one place; the package and save files read it)."""

__version__ = "0.1.0"
