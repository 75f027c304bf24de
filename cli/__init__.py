"""The `timeaudit` command line: a thin layer over the engine (audit) and the connectors."""
