"""Read an uploaded company list into text cells: size and type checks, encoding, separator, Excel.

CSV in UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text", with or without BOM) or Windows-1251 with
`,` `;` or tab separators, and .xlsx (streamed; formulas read as their text, never evaluated). What cannot be a
table is refused with a message naming the file: too big (bytes, or rows: an .xlsx is counted while reading, so an
oversized one costs cap + 1 rows of work; a CSV of at most 50 MB is parsed by Arrow in a fraction of a second, then
counted), binary, empty, an old .xls, an unsupported encoding. A CSV is read column by column (Arrow) when every
record has the same number of cells, else row by row (csv.reader); both give the same cells and row numbers.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from lib.i18n import _

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000  # rows per import: trackers list a few thousand companies; more is a mistake or an attack


class ImportRefused(ValueError):
    """The whole file is refused: too big, binary, empty, unreadable, or without the required columns."""


class RawTable:
    """A file's cells as text, with each row's number as the user sees it in a spreadsheet.

    Read either row by row (`rows`: (number, cells)) or column by column (`column_cells`: one string column per
    header column, and the row numbers); whichever the reader produced, the other is derived on first use."""

    def __init__(self, columns: list[str], rows: list[tuple[int, list[str]]] | None = None,
                 encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None, *,
                 cells: pa.Table | None = None, numbers: np.ndarray | None = None) -> None:
        self.columns, self.encoding, self.delimiter, self.sheet = columns, encoding, delimiter, sheet
        self._rows, self._cells, self._numbers = rows, cells, numbers

    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else len(self._numbers)

    @property
    def rows(self) -> list[tuple[int, list[str]]]:
        if self._rows is None:
            cells = [column.to_pylist() for column in self._cells.columns]
            self._rows = [(int(n), list(r)) for n, r in zip(self._numbers, zip(*cells, strict=True), strict=True)]
        return self._rows

    @property
    def extra_cells(self) -> bool:
        """Whether any row holds more cells than the header has columns (never, when read column by column)."""
        return self._rows is not None and any(len(cells) > len(self.columns) for _n, cells in self._rows)

    def column_cells(self) -> tuple[pa.Table, np.ndarray]:
        """(one string column per header column, named by position; the rows' numbers), cells past a short row
        read as empty."""
        if self._cells is None:
            width = len(self.columns)
            padded = [cells[:width] + [""] * (width - len(cells)) for _n, cells in self._rows]
            columns = list(zip(*padded, strict=True)) if padded else [() for _c in range(width)]
            self._cells = pa.table({str(i): pa.array(column, pa.string()) for i, column in enumerate(columns)})
            self._numbers = np.array([n for n, _c in self._rows], dtype=np.int64)
        return self._cells, self._numbers


# -- reading -----------------------------------------------------------------------------------
def _size_mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


# What a table's text is made of: letters and digits of Latin and Cyrillic scripts (Kazakh included),
# punctuation, currency signs and white space. Binary data read as UTF-16 gives CJK, control or private-use
# characters instead.
_TABLE_TEXT = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u024f\u0400-\u052f\u2000-\u206f\u20a0-\u20cf\u2116\u2122]")


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """Text and encoding if the bytes read as table text in UTF-16 little- or big-endian, else None."""
    if len(data) % 2:
        return None
    sample = data[:65536]
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_TABLE_TEXT.findall(text)) >= 0.98 * len(text):
            return data.decode(encoding), encoding
    return None


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """Text and encoding: UTF-16 with BOM, UTF-8 (BOM or not), UTF-16 without BOM if every character is
    table text, else Windows-1251 if it looks like words."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        try:
            found = _utf16_without_bom(data)
        except UnicodeDecodeError:  # the sample was text, the rest is not
            found = None
        if found:
            return found
        if len(data) % 2 and _utf16_without_bom(data[:-1]):  # UTF-16 text with a byte missing: cut short
            raise ImportRefused(_("%(file)s looks like UTF-16 text with a byte missing at the end (a copy cut "
                                  "short?), which is not in a supported encoding. Save it again as \"CSV UTF-8\" "
                                  "and upload it again.") % {"file": filename})
        raise ImportRefused(_("%(file)s is a binary file, not a CSV or Excel table. Upload a .csv or .xlsx file.")
                            % {"file": filename})
    try:
        text = data.decode("utf-8")
        return text.removeprefix("\ufeff"), "utf-8-sig" if text.startswith("\ufeff") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # Cyrillic-only UTF-16 has no zero bytes at all
        if found := _utf16_without_bom(data):
            return found
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = None
    # Latin-1 text read as cp1251 turns "Nestlé" into "Nestlй": Latin and Cyrillic mixed inside one word.
    if text is None or re.search(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]", text):
        raise ImportRefused(_("%(file)s is not in a supported encoding (UTF-8, UTF-16 or Windows-1251). "
                              "Save it as \"CSV UTF-8\" and upload it again.") % {"file": filename})
    return text, "cp1251"


def _delimiter(text: str) -> str:
    """`,` `;` or tab: csv.Sniffer on a sample, checked against the header line."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    try:
        sniffed = csv.Sniffer().sniff(text[:65536].rsplit("\n", 1)[0] or text[:65536], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed):
        return sniffed
    return max(counts, key=counts.__getitem__) if max(counts.values()) else ","


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a user typed: dates as ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?row>)", re.DOTALL)
_FILLED = re.compile(rb"<(?:\w+:)?(?:v|is|f)[\s>/]")  # a cell with a value, an inline string or a formula


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The archive path of the workbook's first sheet (the one read), from workbook.xml and its relationships."""
    from defusedxml.ElementTree import fromstring

    sheet = fromstring(archive.read("xl/workbook.xml")).find(f"{_MAIN}sheets/{_MAIN}sheet")
    target = next(rel.get("Target") for rel in fromstring(archive.read("xl/_rels/workbook.xml.rels"))
                  if rel.get("Id") == sheet.get(_REL_ID))
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _xlsx_filled_rows_exceed(data: bytes, limit: int) -> bool:
    """True when the first sheet has more than `limit` rows with any cell filled, counted in the sheet's XML in
    1 MB pieces and stopped there: opening the workbook would first read its whole shared-strings table (11 s
    of CPU for 400,000 names). A cell holding only blanks counts as filled here (openpyxl skips its row later)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(_first_sheet_path(archive)) as sheet:
            filled, pending = 0, b""
            while chunk := sheet.read(1 << 20):
                pending += chunk
                end = pending.rfind(b"</row>") + len(b"</row>")  # whole rows only; the rest waits for the next piece
                if end < len(b"</row>"):
                    if len(pending) > 16 << 20:  # 16 MB without a row's end: not a sheet this counting understands
                        return False
                    continue
                filled += sum(1 for row in _ROW.finditer(pending, 0, end) if row.group(1) and
                              _FILLED.search(row.group(1)))
                pending = pending[end:]
                if filled > limit:
                    return True
    except Exception:  # a damaged or unusual archive: openpyxl's own reading decides, and says what is wrong
        return False
    return False


def _read_xlsx(data: bytes, filename: str) -> RawTable:
    from openpyxl import load_workbook

    if _xlsx_filled_rows_exceed(data, MAX_ROWS + 1):  # the header and MAX_ROWS rows
        _check_row_count(MAX_ROWS + 1, filename)

    try:
        # data_only=False: a formula arrives as its text and is stored as text, never evaluated.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportRefused(_("%(file)s could not be read as an Excel workbook (%(reason)s).")
                            % {"file": filename, "reason": type(exc).__name__}) from None
    sheet = book.worksheets[0]
    rows: list[tuple[int, list[str]]] = []
    try:
        # Streamed (read_only): rows are converted one at a time and reading stops at the header + cap + 1.
        for i, values in enumerate(sheet.iter_rows(values_only=True), 1):
            if any(v is not None and str(v).strip() for v in values):
                rows.append((i, [_cell_text(v) for v in values]))
                _check_row_count(len(rows) - 1, filename)
    finally:
        book.close()
    if not rows:
        raise ImportRefused(_("%(file)s is empty.") % {"file": filename})
    (_first, header), body = rows[0], rows[1:]
    while header and not header[-1].strip():
        header = header[:-1]
    return RawTable([h.strip() for h in header], body, sheet=sheet.title)


def _check_row_count(rows: int, filename: str) -> None:
    """Refuse a file as soon as it holds more data rows than one import takes."""
    if rows > MAX_ROWS:
        raise ImportRefused(_("%(file)s has more than %(limit)s rows; one import takes at most %(limit)s. Split "
                              "the file.") % {"file": filename, "limit": f"{MAX_ROWS:,}"})


def read_table(data: bytes, filename: str) -> RawTable:
    """The file's header and rows as text; refuses (ImportRefused) what cannot be a table."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("%(file)s is %(size)s MB; the limit is %(limit)s MB. Split the file or remove "
                              "columns that are not imported.")
                            % {"file": filename, "size": _size_mb(len(data)), "limit": _size_mb(MAX_BYTES)})
    if not data.strip():
        raise ImportRefused(_("%(file)s is empty.") % {"file": filename})
    suffix = Path(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, filename)
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(_("%(file)s is an old Excel (.xls) workbook. Save it as .xlsx or CSV UTF-8.")
                            % {"file": filename})
    text, encoding = _decode(data, filename)
    delimiter = _delimiter(text)
    if (table := _read_csv_columns(text, delimiter, filename)) is not None:
        table.encoding = encoding
        return table
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    # A spreadsheet shows one record per row (even with line breaks inside a cell): count records.
    for number, cells in enumerate(records, 1):
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            header_row = number
            continue
        rows.append((number - header_row + 1, cells))
        _check_row_count(len(rows), filename)
    if header is None:
        raise ImportRefused(_("%(file)s is empty.") % {"file": filename})
    return RawTable(header, rows, encoding=encoding, delimiter=delimiter)


# What str.strip() and str.split() take for white space, as a character class for Arrow's (RE2) regular expressions.
SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())  # what str.strip() strips
SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACES) + "]"


def _read_csv_columns(text: str, delimiter: str, filename: str) -> RawTable | None:
    """The fast reader: Arrow's CSV parser straight into columns (about 20 times quicker than csv.reader for
    100,000 rows). It reads quotes, doubled quotes and line breaks in quoted cells as csv.reader does; a file
    whose rows have different numbers of cells returns None, and csv.reader reads it row by row."""
    try:
        records = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  column_types={f"f{i}": pa.string() for i in range(4096)}))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if records.num_columns >= 4096 or any(c.type != pa.string() for c in records.columns):
        return None
    # A record is blank when every cell is white space (csv.reader's empty records are blank too); blank records
    # count in the numbering, as a spreadsheet shows them, but are not rows.
    blank = functools.reduce(pc.and_, [pc.match_substring_regex(c, f"^{SPACE_CLASS}*$") for c in records.columns])
    filled = np.flatnonzero(~blank.to_numpy(zero_copy_only=False))
    if not len(filled):
        return None  # read_table says the file is empty
    header_at = int(filled[0])
    data = filled[1:]
    _check_row_count(len(data), filename)
    header = [str(v).strip() for v in records.slice(header_at, 1).to_pylist()[0].values()]
    cells = records.take(pa.array(data, pa.int64())).rename_columns([str(i) for i in range(records.num_columns)])
    return RawTable(header, delimiter=delimiter, cells=cells, numbers=data - header_at + 1)
