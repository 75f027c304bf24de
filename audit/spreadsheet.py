"""Text cells that are safe to open in a spreadsheet (CSV injection, OWASP).

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
formula by Excel, LibreOffice and Google Sheets; prefixing a single quote makes it text.
"""

from __future__ import annotations

import polars as pl

_FORMULA_START = r"^[=+\-@\t\r]"


def safe_text(expr: pl.Expr) -> pl.Expr:
    """``expr`` with formula-looking strings neutralized (nulls stay null)."""
    return (
        pl.when(expr.str.contains(_FORMULA_START))
        .then(pl.lit("'") + expr)
        .otherwise(expr)
    )


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string column of ``frame`` neutralized; list columns joined with "; " first."""
    lists = [name for name, dtype in frame.schema.items() if dtype == pl.List(pl.String)]
    frame = frame.with_columns(pl.col(lists).list.join("; "))
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(safe_text(pl.col(name)).alias(name) for name in strings)
