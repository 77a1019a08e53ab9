"""Reading a CSV file of learners (portfolio/learner_csv.py) as spreadsheets save it, and
refusing, with the reason in words, what cannot be read: the reading half of
tests/test_csv_import.py, whose helpers it uses."""

import re

import pytest
from sqlalchemy import select
from test_csv_import import LIMITS, confirm, count, csv_bytes, preview_url, upload

from portfolio.errors import InvalidUpload
from portfolio.learner_csv import read_learners
from portfolio.models import StagedImport, User


@pytest.mark.parametrize("data,encoding,delimiter", [
    ("\ufeffname,email\nZoë Brontë,zoe@college.example\n".encode(), "UTF-8 (as Excel’s", "commas"),
    ("sep=;\nName;E-mail\nZoë Brontë;zoe@college.example\n".encode(), "UTF-8", "semicolons"),
    ("Name;Email;Unit\r\nZoë Brontë;zoe@college.example;\r\n".encode("cp1252"), "Windows-1252",
     "semicolons"),
    ("name\temail\nZoë Brontë\tzoe@college.example\n".encode("utf-16"), "UTF-16", "tabs"),
])
def test_files_as_spreadsheets_save_them(data, encoding, delimiter):
    parsed = read_learners(data, **LIMITS)
    assert parsed.encoding.startswith(encoding) and parsed.delimiter == delimiter
    (row,) = parsed.rows
    assert row.cells["name"] == "Zoë Brontë" and row.cells["email"] == "zoe@college.example"
    assert row.number == (3 if data.startswith(b"sep") else 2)


def test_a_windows_1252_file_imports_its_accents(db, browser, people):
    browser.login(people["admin"])
    data = "name;email\r\nSiân O’Neill;sian@college.example\r\n".encode("cp1252")
    url = preview_url(upload(browser, data))
    assert "Siân O’Neill" in browser.client.get(url).text
    confirm(browser, url)
    assert db.session.scalar(select(User.name).where(User.email == "sian@college.example")) \
        == "Siân O’Neill"


@pytest.mark.parametrize("data,message", [
    (b"", "The file is empty."),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(100), "spreadsheet workbook"),
    (b"\x89PNG\r\n\x1a\n" + bytes(50), "a PNG image"),
    (bytes(range(256)) * 4, "not text"),
    (b"Jo Bloggs,jo@college.example\n", "The first row must name the columns"),
    (b"name,email,Email\nJo,jo@college.example,x\n", "The column “email” appears 2 times"),
    (b"name,email\n\n,,\n", "no learners below them"),
    (b'name,email\n"Jo, jo@college.example\nTom,tom@college.example\n',
     "Row 2 is not valid CSV: a quotation mark in it is never closed"),
    (b'name,email\n"Jo" Bloggs,jo@college.example\n', "Row 2 is not valid CSV: “,” expected"),
])
def test_files_that_cannot_be_read_say_why(data, message):
    with pytest.raises(InvalidUpload, match=re.escape(message)):
        read_learners(data, **LIMITS)


def test_not_a_csv_is_refused_on_the_form_with_the_reason(db, browser, people):
    browser.login(people["admin"])
    response = upload(browser, b"PK\x03\x04" + bytes(200), "learners.xlsx")
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text and "not a CSV file" in response.text
    assert "CSV UTF-8 (Comma delimited)" in response.text
    assert count(db, StagedImport) == 0
    empty = browser.submit("/admin/import", {})
    assert empty.status_code == 422 and "Choose the CSV file of learners" in empty.text


def test_too_many_rows_or_bytes(app, browser, people):
    rows = [[f"L {n}", f"l{n}@college.example"] for n in range(6)]
    data = csv_bytes(rows, header=("name", "email"))
    with pytest.raises(InvalidUpload, match="The file has 6 learners; import at most 5"):
        read_learners(data, max_bytes=10_000, max_rows=5)
    with pytest.raises(InvalidUpload, match="the limit is"):
        read_learners(data, max_bytes=50, max_rows=5)
    app.config["IMPORT_MAX_ROWS"] = 5
    browser.login(people["admin"])
    response = upload(browser, data)
    assert response.status_code == 422 and "import at most 5 at a time" in response.text


def test_a_row_with_more_cells_than_columns_is_a_problem():
    parsed = read_learners(b"name,email\nJo,jo@college.example,extra\n", **LIMITS)
    assert "has 3 cells but the first row names 2 columns" in parsed.rows[0].problem
