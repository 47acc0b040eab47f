"""Exports that are safe to open in Excel: CSV and .xlsx with formula injection neutralised."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel opens Cyrillic text correctly."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One formatted sheet per frame (bold frozen header, filters, sensible widths); text stays text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as writer:
        for name, frame in sheets.items():
            safe = safe_frame(frame)
            sheet_name = name[:31]
            safe.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            header = writer.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
            for col, title in enumerate(safe.columns):
                sheet.write(0, col, title, header)
                width = max([len(str(title))] + [len(str(v)) for v in safe.iloc[:200, col].tolist()])
                sheet.set_column(col, col, min(max(width + 2, 8), 60))
            sheet.freeze_panes(1, 0)
            if len(safe.columns):
                sheet.autofilter(0, 0, max(len(safe), 1), len(safe.columns) - 1)
    return buffer.getvalue()
