"""Reading uploaded tables (issue 28): the row cap is enforced while reading, so an oversized .xlsx or CSV is
refused after reading cap + 1 rows, not after converting all of them; UTF-16 without a byte-order mark is read
(Excel's "Unicode text" saved by other tools), and only what is really binary is called binary."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from lib import tablefile
from lib.tablefile import ImportRefused, read_table

HEADER = ["name", "hq_country", "status"]


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def cells_read(monkeypatch) -> list[int]:
    """Counts the cells converted to text, to show where reading stopped."""
    count = [0]
    convert = tablefile._cell_text

    def counting(value):
        count[0] += 1
        return convert(value)

    monkeypatch.setattr(tablefile, "_cell_text", counting)
    return count


def test_an_xlsx_over_the_row_cap_is_refused_while_reading(monkeypatch, cells_read):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 10)
    data = xlsx_bytes([HEADER] + [[f"Company {i}", "Germany", "Withdrawal"] for i in range(500)])
    with pytest.raises(ImportRefused, match=r"big\.xlsx has more than 10 rows; one import takes at most 10"):
        read_table(data, "big.xlsx")
    # The header and cap + 1 rows are converted, not the other 489.
    assert cells_read[0] <= (1 + 10 + 1) * len(HEADER)


def test_an_oversized_xlsx_is_refused_before_the_workbook_is_opened(monkeypatch):
    """Opening a workbook reads its whole shared-strings table (11 s of CPU for 400,000 names): the rows are
    counted in the sheet's XML first."""
    import openpyxl

    monkeypatch.setattr(tablefile, "MAX_ROWS", 10)
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("the workbook was opened"))
    data = xlsx_bytes([HEADER] + [[f"Company {i}", "Germany", "Withdrawal"] for i in range(500)])
    with pytest.raises(ImportRefused, match=r"has more than 10 rows"):
        read_table(data, "big.xlsx")


def test_formatted_empty_rows_do_not_count_towards_the_cap(monkeypatch):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    monkeypatch.setattr(tablefile, "MAX_ROWS", 10)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["ACME", "Germany", "Withdrawal"])
    for row in range(3, 200):  # a column formatted down to row 199, as spreadsheets often are
        sheet.cell(row=row, column=1).font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_table(buffer.getvalue(), "formatted.xlsx").rows == [(2, ["ACME", "Germany", "Withdrawal"])]


def test_an_xlsx_at_the_row_cap_is_read_whole(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 10)
    data = xlsx_bytes([HEADER] + [[f"Company {i}", "Germany", "Withdrawal"] for i in range(10)] + [[None] * 3] * 5)
    table = read_table(data, "ten.xlsx")
    assert len(table.rows) == 10 and table.rows[-1] == (11, ["Company 9", "Germany", "Withdrawal"])


def test_blank_rows_do_not_count_towards_the_cap(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 3)
    rows = [HEADER, ["A", "Germany", "Withdrawal"], [None] * 3, [None] * 3, ["B", "France", "Suspension"]]
    assert [r[0] for r in read_table(xlsx_bytes(rows), "gaps.xlsx").rows] == [2, 5]


def test_a_csv_over_the_row_cap_is_refused_while_reading(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 3)
    data = ("name,hq_country,status\n" + "".join(f"Company {i},Germany,Withdrawal\n" for i in range(50))).encode()
    with pytest.raises(ImportRefused, match=r"big\.csv has more than 3 rows"):
        read_table(data, "big.csv")
    assert len(read_table(data.split(b"Company 3,")[0], "small.csv").rows) == 3


TEXT = "name\tstatus\tindustry\nÅkerlund & Rausing\tWithdrawal\tУпаковка\nЯндекс\tDigging in\tIT\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(encoding):
    table = read_table(TEXT.encode(encoding), "unicode_text.txt")
    assert (table.encoding, table.delimiter, table.columns) == (encoding, "\t", ["name", "status", "industry"])
    assert table.rows == [(2, ["Åkerlund & Rausing", "Withdrawal", "Упаковка"]), (3, ["Яндекс", "Digging in", "IT"])]


def test_cyrillic_only_utf16_without_a_byte_order_mark_is_read():
    text = "Компания;Статус\nЯндекс;Остаётся\n"  # no Latin letters at all: no zero bytes either
    table = read_table(text.encode("utf-16-le"), "ru.csv")
    assert table.encoding == "utf-16-le" and table.rows == [(2, ["Яндекс", "Остаётся"])]


def test_utf16_cut_in_half_is_refused_as_an_encoding_not_as_binary():
    data = TEXT.encode("utf-16-le")[:-1]  # an odd number of bytes: a copy cut short
    with pytest.raises(ImportRefused, match="not in a supported encoding") as refused:
        read_table(data, "cut.txt")
    assert "binary" not in str(refused.value)


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00\x5c\x72\xa8\x66",
    bytes(range(256)) * 4,
])
def test_binary_files_are_still_refused_as_binary(data):
    with pytest.raises(ImportRefused, match="is a binary file"):
        read_table(data, "image.csv")


CSV_SHAPES = [
    "name,status\nACME,Withdrawal\n",
    "name;status\r\n\"Quoted; with separator\";Suspension\r\n\r\n  ;  \r\nB;Digging in",
    'name,status\n"Two\nlines",Withdrawal\n"He said ""no""",Suspension\nx"y,Buying time\n"ab"c,Withdrawal\n',
    "name,status\rA,Withdrawal\rB,Suspension\r",
    "\n\n  \nname,status\nA,Withdrawal\n\nB,\u00a0\n\u2003,\u2003\n",
    "name,status,extra\nA,Withdrawal\nB,Suspension,x,y\n",  # uneven rows: read row by row
    "name\tstatus\nA\tWithdrawal\n",
]


@pytest.mark.parametrize("text", CSV_SHAPES)
def test_the_column_reader_gives_what_csv_reader_gives(text):
    """The fast reader (Arrow, column by column) and csv.reader agree on cells, row numbers and the header."""
    import csv

    table = read_table(text.encode("utf-8"), "shape.csv")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter))
    filled = [(i, cells) for i, cells in enumerate(records, 1) if any(c.strip() for c in cells)]
    (header_at, header), body = filled[0], filled[1:]
    assert table.columns == [c.strip() for c in header]
    assert table.rows == [(i - header_at + 1, cells) for i, cells in body]
    cells, numbers = table.column_cells()
    assert list(numbers) == [n for n, _c in table.rows]
    assert cells.num_columns == len(table.columns) or table.extra_cells
