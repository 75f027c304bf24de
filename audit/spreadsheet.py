"""Text cells that are safe to open in a spreadsheet (CSV injection, OWASP).

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
formula by Excel, LibreOffice and Google Sheets; prefixing a single quote makes it text.
Spreadsheets also normalise look-alikes — full-width ``＝ ＋ － ＠``, small and
super/subscript forms (every character whose NFKC form starts with one of the four),
the minus sign ``−`` — and some trim leading spaces, so those start a formula too.
"""

from __future__ import annotations

import polars as pl

# Every character whose compatibility form (NFKC) starts with = + - or @ (super- and
# subscript, small and full-width forms; tests/test_robust_csv.py recomputes the list),
# and MINUS SIGN, which is no compatibility form but is read as one.
LOOK_ALIKES = ("\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b"
               "\uff0b\uff0d\uff1d\uff20\u2212")
_STARTS = "=+\\-@" + "".join(f"\\x{{{ord(c):x}}}" for c in LOOK_ALIKES)
# Optional leading white space (any Unicode space: NBSP, ideographic space …), then a
# formula start; or a tab, carriage return or line feed at the very start.
_FORMULA_START = rf"^(\s*[{_STARTS}]|[\t\r\n])"


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
