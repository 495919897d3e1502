"""Reading an uploaded file into a header and rows of cells: XLSX (openpyxl, streaming) or CSV.

The file is recognised by its content, not its name. Refused with a sentence a clinic owner
can act on: too big, empty, an old .xls, a PDF or anything else that is not a spreadsheet, a
ZIP that is not a workbook or that would unpack to something huge, too many rows, no header.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from glowpos.onboarding.errors import ImportRefused

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx is a ZIP: refuse one that would unpack to more
MAX_ROWS = 50_000
MAX_COLUMNS = 40

# The columns an import understands, and the headings people give them in their own sheets.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "client", "client name", "customer", "customer name", "full name"),
    "phone": ("phone", "mobile", "phone number", "mobile number", "contact", "contact number", "mobile no",
              "phone no", "whatsapp"),
    "email": ("email", "e mail", "email address", "email id", "mail"),
    "plan": ("plan", "package", "plan name", "package name", "plan code", "package code"),
    "service": ("service", "service name", "treatment"),
    "sessions_total": ("sessions total", "total sessions", "sessions", "total", "sessions purchased",
                       "no of sessions"),
    "sessions_used": ("sessions used", "used sessions", "used", "sessions done", "sessions taken",
                      "sessions redeemed"),
    "amount_paid": ("amount paid", "paid", "amount", "price paid", "price", "amount paid rs", "amount paid inr"),
    "purchase_date": ("purchase date", "purchased on", "date of purchase", "bought on", "purchased", "sale date",
                      "date"),
    "expiry": ("expiry", "expiry date", "expires on", "valid till", "valid until", "expires", "validity"),
}
LABELS = {
    "name": "Client name", "phone": "Phone", "email": "Email", "plan": "Plan", "service": "Service",
    "sessions_total": "Sessions total", "sessions_used": "Sessions used", "amount_paid": "Amount paid",
    "purchase_date": "Purchase date", "expiry": "Expiry",
}
_ALIASES = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class Table:
    kind: str  # "xlsx" or "csv"
    columns: dict[str, int]  # field → index of its column
    headings: dict[str, str]  # field → the heading as written in the file, with its column letter
    ignored: list[str] = field(default_factory=list)  # headings not understood
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number in the file, cells)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _normal(heading) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(heading or "").lower()).strip()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def read_table(data: bytes) -> Table:
    if not data:
        raise ImportRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            f"The file is {_megabytes(len(data))}; the limit is {_megabytes(MAX_BYTES)} "
            f"({MAX_ROWS:,} rows). Split it into smaller files and import them one after another."
        )
    if data.startswith(b"PK\x03\x04"):
        kind, raw_rows = "xlsx", _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("This is an old Excel file (.xls). Open it in Excel or LibreOffice and save it "
                            "as .xlsx or CSV, then upload that.")
    elif data.startswith(b"%PDF"):
        raise ImportRefused("This is a PDF, not a spreadsheet. Upload an .xlsx or CSV file (download the template).")
    elif b"\x00" in data[:8192]:
        raise ImportRefused("This is not a spreadsheet. Upload an .xlsx or CSV file (download the template).")
    else:
        kind, raw_rows = "csv", _csv_rows(data)
    return _table(kind, raw_rows)


def _xlsx_rows(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused("The file looks like an .xlsx but is damaged. Save it again and upload it.") from None
    if "xl/workbook.xml" not in names:
        raise ImportRefused("This is a ZIP file, not an Excel workbook. Upload an .xlsx or CSV file.")
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportRefused(f"The workbook unpacks to {_megabytes(unpacked)}; the limit is "
                            f"{_megabytes(MAX_UNPACKED_BYTES)}. Keep only the clients sheet and save it again.")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            yield number, list(cells)
        book.close()
    except ImportRefused:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a broken workbook
        raise ImportRefused(f"The workbook could not be read ({type(error).__name__}). Save it again as "
                            ".xlsx or CSV and upload that.") from None


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel on Windows saves CSV in this
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise ImportRefused(f"The CSV file could not be read: {error}. Save it again from Excel.") from None


def _blank(cells) -> bool:
    return all(c is None or str(c).strip() == "" for c in cells)


def _table(kind: str, raw_rows) -> Table:
    header = None
    for number, cells in raw_rows:
        if header is None:
            if _blank(cells):
                continue
            header = _header(kind, cells)
            continue
        if _blank(cells):
            continue
        if len(header.rows) >= MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows. Split it and import the parts "
                                "one after another (rows already imported are skipped).")
        header.rows.append((number, cells))
    if header is None:
        raise ImportRefused("The file has no rows. The first row must be the column names (see the template).")
    return header


def _header(kind: str, cells) -> Table:
    columns: dict[str, int] = {}
    headings: dict[str, str] = {}
    ignored = []
    for index, cell in enumerate(cells):
        heading = str(cell).strip() if cell is not None else ""
        if not heading:
            continue
        key = _ALIASES.get(_normal(heading))
        where = f"{heading} (column {column_letter(index)})"
        if key is None:
            ignored.append(where)
            continue
        if key in columns:
            raise ImportRefused(f"Two columns are both '{LABELS[key]}': {headings[key]} and {where}. "
                                "Rename or remove one of them.")
        columns[key], headings[key] = index, where
    missing = [LABELS[k] for k in ("name", "phone") if k not in columns]
    if missing:
        found = ", ".join(str(c) for c in cells if c not in (None, "")) or "nothing"
        raise ImportRefused(
            f"No {' or '.join(repr(m) for m in missing)} column in the first row (found: {found[:200]}). "
            "The first row must be the column names: download the template to see them."
        )
    return Table(kind=kind, columns=columns, headings=headings, ignored=ignored)
