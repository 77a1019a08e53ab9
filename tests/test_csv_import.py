"""Importing learners from a CSV file: read as spreadsheets save it, every row previewed with
its problems in words, confirmed once, all or nothing, audited; and in a real browser."""

import csv
import hashlib
import io
import json
import re
import threading

from browser_support import ARGS, BROWSER_MARKS, demo_server, require_chromium, sign_in
from helpers import PASSWORD
from sqlalchemy import func, select

from portfolio.admin.importing import plan_rows
from portfolio.auth.services import authenticate, create_user, has_password
from portfolio.learner_csv import read_learners, template
from portfolio.models import AuditEvent, Portfolio, StagedImport, User, utcnow
from portfolio.units import all_units

LIMITS = {"max_bytes": 1_048_576, "max_rows": 2000}


def csv_bytes(rows, *, delimiter=",", encoding="utf-8", header=("name", "email", "unit",
                                                                 "assessor", "iqa")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def twenty(people, bad_at: int = 7) -> list[list[str]]:
    """Twenty new learners on Unit 40; the one at index `bad_at` (row bad_at + 2) has its
    assessor as IQA."""
    rows = [[f"Learner {n:02}", f"learner{n:02}@college.example", "unit-40",
             people["assessor"].email, people["iqa"].email] for n in range(1, 21)]
    rows[bad_at][4] = people["assessor"].email
    return rows


def upload(browser, data: bytes, name: str = "learners.csv"):
    return browser.submit("/admin/import", {"file": (io.BytesIO(data), name)})


def preview_url(response) -> str:
    assert response.status_code == 302, response.text[:2000]
    return response.headers["Location"]


def confirm(browser, url: str, **kw):
    return browser.submit(url, {}, **kw)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(db, action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_twenty_rows_one_bad_row_shown_the_rest_waiting_then_nineteen_imported(db, browser,
                                                                               people):
    browser.login(people["admin"])
    data = csv_bytes(twenty(people))
    url = preview_url(upload(browser, data))
    page = browser.client.get(url)
    assert page.status_code == 200
    text = page.text
    assert "Rows with problems (1): not imported" in text
    assert re.search(r'<tr id="row-9">.*?The IQA must be someone other than the assessor',
                     text, re.S)
    assert "Rows ready to import (19)" in text
    assert "Import the 19 ready rows and skip the 1 with problems" in text
    assert count(db, User) == len(people)  # nothing imported before the confirmation

    done = confirm(browser, url, follow_redirects=True)
    assert "Imported 19 learners" in done.text and "Forgot your password?" in done.text
    assert "1 row with problems was skipped" in done.text
    assert count(db, User) == len(people) + 19
    assert count(db, Portfolio) == 19
    assert db.session.scalar(select(User).where(User.email == "learner08@college.example")) \
        is None
    assert len(events(db, "user.created")) == 19 and len(events(db, "portfolio.enrolled")) == 19
    (imported,) = events(db, "learners.imported")
    detail = json.loads(imported.detail_json)
    assert detail["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert (detail["imported"], detail["accounts_created"], detail["enrolled"],
            detail["skipped_rows"]) == (19, 19, 19, [9])
    assert imported.actor_id == people["admin"].id
    learner = db.session.scalar(select(User).where(User.email == "learner01@college.example"))
    assert learner.role == "learner" and learner.name == "Learner 01"
    assert not has_password(learner)  # nobody knows a password: they set their own
    assert authenticate(learner.email, learner.password_hash) is None


def plan_of(db, people, rows, header=("name", "email", "unit", "assessor", "iqa")):
    parsed = read_learners(csv_bytes(rows, header=header), **LIMITS)
    return {p.row.number: p for p in plan_rows(parsed.rows, all_units())}


def test_each_problem_in_words_on_its_column(db, people, portfolios):
    a, i = people["assessor"].email, people["iqa"].email
    rows = [
        ["Ann Ok", "ann@college.example", "unit-40", a, i],                        # 2
        ["Bad Email", "not-an-address", "", "", ""],                              # 3
        ["Twice A", "twice@college.example", "", "", ""],                         # 4
        ["Twice B", "TWICE@college.example", "", "", ""],                         # 5
        ["Staff", people["assessor"].email, "", "", ""],                          # 6
        ["Unit Less", "u@college.example", "unit-99", a, i],                      # 7
        ["Not Assessor", "na@college.example", "unit-40", people["other_learner"].email, i],
        ["Same", "same@college.example", "unit-40", a, a],                        # 9
        ["Learner", people["learner"].email, "unit-40", a, i],                    # 10 enrolled
        ["", "noname@college.example", "", "", ""],                               # 11
        ["x" * 121, "long@college.example", "", "", ""],                          # 12
        ["Nobody", "nobody@college.example", "unit-40", "ghost@college.example", i],  # 13
        ["No Unit", people["other_learner"].email, "", "", ""],                   # 14
        ["=HYPERLINK(\"http://x\")", "formula@college.example", "", "", ""],      # 15
        ["Judges Only", "judges@college.example", "", a, i],                      # 16
        ["By Reference", "ref@college.example", "R/506/2151", a, i],              # 17
    ]
    plans = plan_of(db, people, rows)

    def problems(n):
        return {c: " ".join(m) for c, m in plans[n].problems.items()}

    assert plans[2].ok and plans[2].kind == "new+enrol"
    assert "is not an email address" in problems(3)["email"]
    assert "same email address is on row 5" in problems(4)["email"]
    assert "same email address is on row 4" in problems(5)["email"]
    assert problems(6)["email"] == (f"There is already an account for {a}: Assessor, an "
                                    "assessor. A learner needs an email address of their own.")
    assert "No unit “unit-99”: use one of unit-40 (R/506/2151)" in problems(7)["unit"]
    assert "Other Learner is not an assessor." == problems(8)["assessor"]
    assert "The IQA must be someone other than the assessor." in problems(9)["iqa"]
    assert "already enrolled on Unit 40" in problems(10)["unit"]
    assert problems(11) == {"name": "Enter the person’s full name."}
    assert "at most 120" in problems(12)["name"]
    assert "No account for “ghost@college.example”" in problems(13)["assessor"]
    assert "give a unit to enrol them on" in problems(14)["unit"]
    assert "cannot start with =, +, - or @" in problems(15)["name"]
    assert "no unit" in problems(16)["unit"]
    assert plans[17].ok and plans[17].unit.id == "unit-40"


def test_an_existing_learner_is_enrolled_only_and_their_name_kept(db, browser, people):
    browser.login(people["admin"])
    data = csv_bytes([["P. Learner", people["learner"].email.upper(), "unit-40",
                       people["assessor"].email, people["iqa"].email]])
    url = preview_url(upload(browser, data))
    page = browser.client.get(url).text
    assert "Has a learner account already: enrolled on Unit 40" in page
    assert "The account’s name is Learner; the name in the file is not used." in page
    confirm(browser, url)
    portfolio = db.session.scalar(select(Portfolio))
    assert portfolio.learner_id == people["learner"].id
    assert events(db, "user.created") == [] and len(events(db, "portfolio.enrolled")) == 1


def test_all_or_nothing_when_a_row_changes_between_preview_and_confirmation(db, browser,
                                                                            people):
    browser.login(people["admin"])
    rows = [[f"New {n}", f"new{n}@college.example", "unit-40", people["assessor"].email,
             people["iqa"].email] for n in range(3)]
    url = preview_url(upload(browser, csv_bytes(rows)))
    page = browser.client.get(url)  # the preview the admin reads, with its form
    # Meanwhile someone makes an assessor's account with row 3's address.
    create_user(email="new1@college.example", name="Sam Staff", role="assessor",
                password=None, actor=None)
    db.session.commit()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    expected = re.search(r'name="expected" type="hidden" value="([^"]+)"', page.text).group(1)
    refused = browser.client.post(url, data={"csrf_token": token, "expected": expected})
    assert refused.status_code == 409
    assert "Nothing was imported" in refused.text and "row 3" in refused.text
    assert count(db, User, User.email.like("new%")) == 1  # only Sam's
    assert count(db, Portfolio) == 0 and events(db, "learners.imported") == []
    assert db.session.scalar(select(StagedImport.imported_at)) is None
    # The page shown is up to date: confirming it now imports the two rows still ready.
    assert "Import the 2 ready rows and skip the 1 with problems" in refused.text
    again = browser.submit(url, {}, form_url=url)
    assert again.status_code == 302
    assert count(db, Portfolio) == 2


def test_confirming_twice_imports_once(db, browser, people):
    browser.login(people["admin"])
    rows = [["One Learner", "one@college.example", "", "", ""]]
    url = preview_url(upload(browser, csv_bytes(rows)))
    page = browser.client.get(url).text
    form = dict(re.findall(r'name="(csrf_token|expected)" type="hidden" value="([^"]*)"', page))
    first = browser.client.post(url, data=form)
    second = browser.client.post(url, data=form, follow_redirects=True)
    assert first.status_code == 302
    assert "This import has been done already" in second.text and "Imported 1 learner" \
        in second.text
    assert count(db, User, User.email == "one@college.example") == 1
    assert len(events(db, "learners.imported")) == 1
    assert browser.client.get(url).headers["Location"].endswith("/done")  # a reload


def test_two_confirmations_at_the_same_moment_import_once(app, db, browser, people):
    browser.login(people["admin"])
    rows = [[f"Racer {n}", f"racer{n}@college.example", "", "", ""] for n in range(5)]
    url = preview_url(upload(browser, csv_bytes(rows)))
    page = browser.client.get(url).text
    form = dict(re.findall(r'name="(csrf_token|expected)" type="hidden" value="([^"]*)"', page))
    cookie = browser.client.get_cookie("session").value
    codes, start = [], threading.Barrier(2)

    def send():
        client = app.test_client()
        client.set_cookie("session", cookie)
        start.wait()
        codes.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert codes == [302, 302]  # both go to the result; one of them imported
    assert count(db, User, User.email.like("racer%")) == 5
    assert len(events(db, "learners.imported")) == 1


def test_another_admin_cannot_see_or_confirm_my_staged_import(app, db, browser, people,
                                                              make_user):
    browser.login(people["admin"])
    url = preview_url(upload(browser, csv_bytes([["Mine", "mine@college.example", "", "",
                                                  ""]])))
    page = browser.client.get(url).text
    expected = re.search(r'name="expected" type="hidden" value="([^"]+)"', page).group(1)
    other = make_user("admin", name="Other Admin")
    from conftest import Browser

    theirs = Browser(app.test_client())
    theirs.login(other)
    assert theirs.client.get(url).headers["Location"].endswith("/admin/import")
    refused = theirs.submit(url, {"expected": expected}, form_url="/admin/import",
                            follow_redirects=True)
    assert "only the administrator who uploaded the file can see it" in refused.text
    assert theirs.client.get(url + "/problems.csv").status_code == 302
    assert count(db, User, User.email == "mine@college.example") == 0
    assert browser.client.get(url).status_code == 200  # still mine to confirm


def test_non_admins_are_refused(browser, people):
    browser.login(people["learner"])
    assert browser.client.get("/admin/import").status_code == 403
    token = browser.token("/portfolios/")
    assert browser.client.post("/admin/import", data={"csrf_token": token}).status_code == 403
    assert browser.client.get("/admin/import/template.csv").status_code == 403


def test_an_expired_preview_sends_back_to_the_upload(db, browser, people):
    browser.login(people["admin"])
    url = preview_url(upload(browser, csv_bytes([["Late", "late@college.example", "", "",
                                                  ""]])))
    staged = db.session.scalar(select(StagedImport))
    staged.expires_at = utcnow()
    db.session.commit()
    page = browser.client.get(url, follow_redirects=True)
    assert "a preview lasts an hour" in page.text
    upload(browser, csv_bytes([["Next", "next@college.example", "", "", ""]]))
    assert count(db, StagedImport) == 1  # the expired one, and its names, deleted


def test_formula_cells_are_refused_and_downloads_neutralise_them(db, browser, people):
    browser.login(people["admin"])
    rows = [["=HYPERLINK(\"http://evil.example\",\"x\")", "f@college.example", "", "", ""],
            ["@SUM(A1)", "g@college.example", "-2+3", "", ""],
            ["Fine Name", "h@college.example", "", "", ""]]
    url = preview_url(upload(browser, csv_bytes(rows)))
    page = browser.client.get(url).text
    assert page.count("cannot start with =, +, - or @") == 2
    assert "<a href=\"http://evil.example\"" not in page
    download = browser.client.get(url + "/problems.csv")
    assert download.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert table[0] == ["name", "email", "unit", "assessor", "iqa", "row", "problems"]
    assert [r[0] for r in table[1:]] == ["'=HYPERLINK(\"http://evil.example\",\"x\")",
                                         "'@SUM(A1)"]
    assert table[2][2] == "'-2+3" and table[1][5] == "2" and "Name:" in table[1][6]
    # Fixed and uploaded again: the row number and problems columns are not imported.
    fixed = download.data.replace(b"'=HYPERLINK", b"Fixed").replace(b"'@SUM", b"Also")
    again = browser.client.get(preview_url(upload(browser, fixed))).text
    assert "Not imported: the columns “row”, “problems”" in again


def test_the_template_downloads_and_reads_back(browser, people):
    browser.login(people["admin"])
    response = browser.client.get("/admin/import/template.csv")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="learners-template.csv"'
    parsed = read_learners(response.data, **LIMITS)
    assert [r.cells["email"] for r in parsed.rows] == ["priya.shah@example.com",
                                                       "tom.brown@example.com"]
    assert parsed.rows[0].cells["unit"] == "unit-40" and template()[0][0] == "name"


def test_a_password_column_is_not_imported(db, browser, people):
    browser.login(people["admin"])
    data = csv_bytes([["Pat Pass", "pat@college.example", "Tr0ub4dor&3-horse-staple"]],
                     header=("Name", "Email", "Password"))
    url = preview_url(upload(browser, data))
    assert "The password column is not imported." in browser.client.get(url).text
    confirm(browser, url)
    assert authenticate("pat@college.example", "Tr0ub4dor&3-horse-staple") is None
    assert "Tr0ub4dor" not in db.session.scalar(select(StagedImport.content_json))


def test_an_account_with_no_password_refuses_every_password_and_counts(db, people):
    user = create_user(email="np@college.example", name="No Pass", role="learner",
                       password=None, actor=None)
    db.session.commit()
    assert authenticate(user.email, PASSWORD) is None and user.failed_logins == 1


def test_the_admin_index_links_to_the_import(browser, people):
    browser.login(people["admin"])
    assert 'href="/admin/import"' in browser.client.get("/admin/").text


def _browser_test(test):
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@_browser_test
def test_in_a_browser_upload_preview_confirm(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    chromium = require_chromium()
    data = csv_bytes([["Nadia Hussain", "nadia@college.example", "unit-40",
                       "assessor@demo.test", "iqa@demo.test"],
                      ["Owen Price", "owen@college.example", "unit-40",
                       "assessor@demo.test", "assessor@demo.test"]])
    with demo_server(tmp_path) as base, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, args=ARGS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base, "admin@demo.test")
        page.get_by_role("link", name="Import learners").click()
        page.get_by_label("CSV file of learners").set_input_files(
            files=[{"name": "learners.csv", "mimeType": "text/csv", "buffer": data}])
        page.get_by_role("button", name="Upload and preview").click()
        expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
        expect(page.locator("#row-3")).to_contain_text(
            "The IQA must be someone other than the assessor.")
        page.get_by_role("button", name="Import the 1 ready row and skip the 1 with "
                         "problems").click()
        expect(page.get_by_role("heading", name="Imported 1 learner")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("1 new learner account")
        page.get_by_role("link", name="Back to Administration").click()
        expect(page.get_by_role("cell", name="Nadia Hussain").first).to_be_visible()
        context.close()
