"""Reading a CSV file of learners to import, as spreadsheets save it: the bytes into rows of
named cells, or one clear reason why the file cannot be read.

Pure: no Flask and no database. Whether a row can be imported (a new account, an enrolment)
is decided by the admin's import services with the rules the forms use.

What it accepts, and why: Excel saves "CSV UTF-8" with a byte order mark and "CSV (Comma
delimited)" in Windows-1252; where the decimal separator is a comma (much of Europe) it
separates cells with semicolons, and sometimes writes a first line `sep=;`. "Unicode Text"
is UTF-16 with tabs. So: UTF-8 with or without the mark, UTF-16 with it, else Windows-1252;
commas, semicolons or tabs, told apart by which one splits the first row into column names.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from .errors import InvalidUpload

# The columns, in the template's order, and what each holds (for the upload page).
COLUMNS = {
    "name": "The learner’s full name",
    "email": "Their email address: it is how they sign in",
    "unit": "The unit to enrol them on: its id (unit-40) or its reference (R/506/2151)",
    "assessor": "The email address of their assessor’s account",
    "iqa": "The email address of their IQA’s account (someone other than the assessor)",
}
REQUIRED = ("name", "email")
# Other names people give the same columns.
ALIASES = {"full name": "name", "learner": "name", "learner name": "name",
           "email address": "email", "e-mail": "email", "e-mail address": "email",
           "learner email": "email", "unit id": "unit", "unit reference": "unit",
           "assessor email": "assessor", "iqa email": "iqa"}
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Text never has control characters other than tab and line breaks; a binary file does.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SIGNATURES = {
    b"PK\x03\x04": "a spreadsheet workbook (such as .xlsx or .ods) or another ZIP file",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls)",
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
SAVE_AS_CSV = ("In Excel choose File, Save a copy (or Save as), and the type “CSV UTF-8 "
               "(Comma delimited)”; in LibreOffice, File, Save as, “Text CSV”. Then upload "
               "that file.")


@dataclass(frozen=True)
class Row:
    """One learner's row: its number as the spreadsheet shows it (the column names are row
    1), its cells by column (every column, "" when empty), and what is wrong with the row
    itself as CSV (more cells than columns)."""

    number: int
    cells: dict[str, str]
    problem: str = ""


@dataclass(frozen=True)
class LearnerFile:
    rows: tuple[Row, ...]
    encoding: str  # how it was read, in words
    delimiter: str  # "commas", "semicolons" or "tabs"
    unused: tuple[str, ...]  # the file's other columns, not imported (as the file names them)

    @property
    def has_passwords(self) -> bool:
        """A password column, which is not imported: people set their own (README)."""
        return any(column_name(u) == "password" for u in self.unused)


def column_name(heading: str) -> str:
    """A heading as a column: case, spaces and a trailing " *" (required mark) ignored."""
    words = " ".join(heading.replace("\ufeff", "").strip().strip("*").lower().split())
    return ALIASES.get(words, words)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and how it was read, or InvalidUpload when it is not text."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise InvalidUpload(f"This file is {kind}, not a CSV file. {SAVE_AS_CSV}")
    if data.startswith(codecs.BOM_UTF8):
        tries = [("utf-8-sig", "UTF-8 (as Excel’s “CSV UTF-8” saves it)")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tries = [("utf-16", "UTF-16 (as Excel’s “Unicode Text” saves it)")]
    else:
        tries = [("utf-8", "UTF-8"),
                 ("cp1252", "Windows-1252 (as Excel’s “CSV (Comma delimited)” saves it)")]
    for encoding, words in tries:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return text, words
        break
    raise InvalidUpload(f"This file is not text, so it is not a CSV file. {SAVE_AS_CSV}")


def _delimiter(first_line: str) -> str:
    """The separator that splits the first row into the most known column names."""
    known = set(COLUMNS) | {"password"}

    def score(d: str) -> tuple[int, int]:
        names = next(csv.reader([first_line], delimiter=d), [])
        return sum(column_name(n) in known for n in names), first_line.count(d)

    return max(DELIMITERS, key=score)


def _records(text: str, delimiter: str):
    # strict: a quotation mark never closed is an error, not every later row in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        why = ("a quotation mark in it is never closed" if "end of data" in str(exc)
               else f"{exc}".replace("'", "“", 1).replace("'", "”", 1))
        raise InvalidUpload(f"Row {number + 1} is not valid CSV: {why}. Check that row’s "
                            "quotation marks, or save the file from the spreadsheet again.") \
            from None


def read_learners(data: bytes, *, max_bytes: int, max_rows: int) -> LearnerFile:
    """The learners' rows of a CSV file, or InvalidUpload saying plainly what is wrong with
    the file as a whole: empty, too big, not text (a workbook saved as .xlsx), no column
    names in its first row, a column twice, more than `max_rows` learners."""
    if not data.strip():
        raise InvalidUpload("The file is empty.")
    if len(data) > max_bytes:
        raise InvalidUpload(f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
                            f"{max_bytes / 1_048_576:g} MB. Split it into smaller files.")
    text, encoding = decode(data)
    offset = 0
    first, _, rest = text.partition("\n")
    hint = re.fullmatch(r'"?sep=(.)"?[,;\t]*\r?', first.strip(" "))  # Excel's `sep=;` line
    if hint and hint.group(1) in DELIMITERS:
        delimiter, text, offset = hint.group(1), rest, 1
    else:
        delimiter = _delimiter(first)
    records = _records(text, delimiter)
    header = next(records, (0, []))[1]
    columns = [column_name(h) for h in header]
    shown = "; ".join(h.strip() for h in header)[:200]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidUpload(
            f"The first row must name the columns: at least name and email, and unit, "
            f"assessor and iqa to enrol the learners (the template shows how). This file's "
            f"first row is “{shown}”, with no {' or '.join(missing)} column.")
    for c in set(columns):
        if c and columns.count(c) > 1 and (c in COLUMNS or c == "password"):
            raise InvalidUpload(f"The column “{c}” appears {columns.count(c)} times in the "
                                "first row: keep one.")
    used = {c: i for i, c in enumerate(columns) if c in COLUMNS}
    unused = tuple(h.strip() or f"(column {i + 1}, no name)"
                   for i, h in enumerate(header) if columns[i] not in COLUMNS)
    rows = []
    for number, record in records:
        if not any(cell.strip() for cell in record):
            continue  # an empty line, or Excel's ",,,," rows below the data
        cells = {c: (record[i].strip() if i < len(record) else "") for c, i in used.items()}
        cells = {c: unicodedata.normalize("NFC", v) for c, v in cells.items()}
        for c in COLUMNS:
            cells.setdefault(c, "")
        extra = [cell for cell in record[len(header):] if cell.strip()]
        problem = (f"This row has {len(record)} cells but the first row names {len(header)} "
                   "columns: look for a stray separator, or a value with a comma that needs "
                   "quotation marks.") if extra else ""
        rows.append(Row(number + offset, cells, problem))
    if not rows:
        raise InvalidUpload("The file has its column names but no learners below them.")
    if len(rows) > max_rows:
        raise InvalidUpload(f"The file has {len(rows):,} learners; import at most "
                            f"{max_rows:,} at a time. Split it into smaller files.")
    return LearnerFile(tuple(rows), encoding, DELIMITERS[delimiter], unused)


def template(unit_id: str = "unit-40") -> list[list[str]]:
    """The rows of the template to download: the column names and two examples, one enrolled
    on `unit_id` and one given an account only."""
    return [list(COLUMNS),
            ["Priya Shah", "priya.shah@example.com", unit_id, "assessor@example.com",
             "iqa@example.com"],
            ["Tom Brown", "tom.brown@example.com", "", "", ""]]
