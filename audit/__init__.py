"""timeaudit: a local-first audit of calendar time (SPEC.md is the contract)."""

__version__ = "0.1.0"
