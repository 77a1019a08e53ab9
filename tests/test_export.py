"""The signed portfolio PDF: sections, bookmarks, appended PDFs, attachments, the signature,
verification, and the renderer's refusal to fetch anything but our own files."""

import io
import zipfile
from datetime import date
from email.message import EmailMessage

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.export.document import ExportDocument
from portfolio.export.pdf import render
from portfolio.export.services import export_portfolio, stylesheet, verify_file
from portfolio.text import render_markdown
from portfolio.units import all_units

TODAY = date.today()


def pdf_bytes(pages=2, text="Appended letter") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=300, height=300)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def letter_pdf() -> bytes:
    """A 3-page uploaded letter with text on each page."""
    import weasyprint
    pages = "".join(f"<p style='break-before: page'>Uploaded letter page {n}</p>"
                    for n in (1, 2, 3))
    return weasyprint.HTML(string=f"<html lang='en'><title>x</title>{pages}").write_pdf()


def docx_bytes(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="'
                   'application/vnd.openxmlformats-package.relationships+xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
                   '</w:body></w:document>')
    return out.getvalue()


def eml_bytes() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Learner <learner@college.example>"
    msg["To"] = "Mrs Patel <patel@example.com>"
    msg["Subject"] = "Your refund is on its way"
    msg.set_content("Dear Mrs Patel,\nYour refund was sent today.\n")
    msg.add_attachment(b"receipt", maintype="application", subtype="octet-stream",
                       filename="../../etc/cron.d/receipt.txt")
    return bytes(msg)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "navy").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def exported(app, db, people, portfolios, tmp_path):
    """The learner's portfolio with PDF, DOCX, EML and image evidence, exported."""
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    store = app.extensions["evidence_store"]
    unit = all_units()["unit-40"]
    own = portfolios["own"]
    for title, files in (
            ("Refund letter", [("letter.pdf", letter_pdf())]),
            ("Case notes", [("notes.docx", docx_bytes("Case notes written in Word"))]),
            ("Refund email", [("refund.eml", eml_bytes())]),
            ("Whiteboard photo", [("board.png", png_bytes())])):
        checked = check_uploads(store, [Upload(io.BytesIO(b), n) for n, b in files], 10**7)
        add_evidence(own, unit, EvidenceFields(title, "product_evidence", TODAY, "",
                                               f"About the {title.lower()}."),
                     checked, actor=people["learner"], store=store, submission_key=None,
                     today=TODAY)
    db.session.commit()
    made = export_portfolio(own, actor=people["assessor"], today=TODAY)
    db.session.commit()
    return made, made.refused, own


def test_the_pdf_has_every_section_bookmark_attachment_and_appendix(exported):
    made, refused, own = exported
    path = made.path
    assert refused == []
    assert made.name.startswith("learner_unit-40_") and made.name.endswith(".pdf")
    assert made.key == f"portfolio-{own.id}/{TODAY.isoformat()}-{made.digest}.pdf"
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in ("Evidence portfolio", "Contents", "Unit summary", "Tracking grid",
                    "Criteria, claims and decisions", "Witnesses", "Internal quality assurance",
                    "Declaration and sign-off",
                    "Audit trail summary", "Appended PDF files"):
        assert heading in text, heading
    assert "Case notes written in Word" in text  # DOCX converted
    assert "Your refund is on its way" in text and "Mrs Patel" in text  # EML headers, body
    assert "receipt.txt" in text and "../" not in text.split("Attachments:")[1][:80]
    assert "Page 1 of" in text
    titles = [item.title for item in _outline(reader.outline)]
    for title in ("Contents", "Unit summary", "Tracking grid", "Evidence",
                  "E1 Refund letter", "E4 Whiteboard photo", "Appended PDF files",
                  "E1 appendix: letter.pdf"):
        assert title in titles, (title, titles)
    # The 3-page uploaded PDF follows the body.
    appendix = next(i for i in _outline(reader.outline) if i.title == "E1 appendix: letter.pdf")
    assert reader.get_destination_page_number(appendix) == len(reader.pages) - 3
    for n, page in enumerate(reader.pages[-3:], start=1):
        assert f"Uploaded letter page {n}" in page.extract_text()
    # Every original file is attached inside the PDF.
    names = set(reader.attachments)
    assert {"E1-letter.pdf", "E2-notes.docx", "E3-refund.eml", "E4-board.png"} <= names
    assert reader.attachments["E4-board.png"][0] == png_bytes_of(own)
    # The image is inline: some page carries an image.
    assert any(page.images for page in reader.pages)
    assert reader.metadata["/Title"].startswith("Learner: Unit 40")


def tamper(data: bytes) -> bytes:
    """One changed byte, a third of the way in: inside the signed range of the document."""
    changed = bytearray(data)
    spot = len(data) // 3
    changed[spot] = (changed[spot] + 1) % 256
    return bytes(changed)


def png_bytes_of(portfolio):
    evidence = next(e for e in portfolio.evidence if e.title == "Whiteboard photo")
    from flask import current_app
    return current_app.extensions["evidence_store"].path(evidence.files[0].sha256).read_bytes()


def _outline(items):
    for item in items:
        if isinstance(item, list):
            yield from _outline(item)
        else:
            yield item


def test_the_signature_verifies_and_one_changed_byte_is_detected(app, db, exported,
                                                                 make_evidence):
    path, own = exported[0].path, exported[2]
    data = path.read_bytes()
    result, portfolio, current = verify_file(data)
    assert result.ok and result.intact and result.trusted and result.covers_whole_file
    assert "portfolio signing" in result.signer and portfolio.id == own.id and current
    result, _, _ = verify_file(tamper(data))
    assert not result.ok and not result.intact
    # A later change to the portfolio: the file is still intact, but no longer current.
    make_evidence(own, title="Late letter")
    result, _, current = verify_file(data)
    assert result.ok and current is False


def test_an_unsigned_file_is_not_verified(app):
    result, portfolio, current = verify_file(pdf_bytes())
    assert not result.ok and "no digital signature" in result.problem
    assert portfolio is None and current is None
    result, _, _ = verify_file(b"not a pdf at all")
    assert not result.ok


def test_learner_markdown_cannot_pull_local_files_or_addresses_into_the_pdf(app, tmp_path):
    account = ("![x](file:///etc/passwd) ![y](http://127.0.0.1:5000/admin/) "
               "<img src='file:///etc/passwd'> [ok](https://example.com)")
    rendered = str(render_markdown(account))
    assert "<img" not in rendered and "passwd" not in rendered.replace("file:///etc/passwd", "")
    # Even HTML that slipped past the sanitiser fetches nothing but our own files.
    hostile = ("<html lang='en'><head><title>t</title>"
               "<link rel='attachment' href='file:///etc/passwd'>"
               "<style>body { background: url('file:///etc/hostname') }</style></head><body>"
               "<img src='file:///etc/passwd'><img src='http://127.0.0.1:1/x.png'>"
               "<img src='../../../etc/passwd'><img src='portfolio:evidence/" + "0" * 64 + "'>"
               "<p>body</p></body></html>")
    doc = ExportDocument(html=hostile, files={}, appended=[], attachments=[], digest="0" * 64,
                         title="t")
    with app.test_request_context():
        pdf, refused = render(doc, stylesheet())
    assert any(u.startswith("file:///etc/passwd") for u in refused)
    assert any(u.startswith("http://127.0.0.1:1") for u in refused)
    assert any("etc/hostname" in u for u in refused)
    assert any(u.endswith("0" * 64) for u in refused)  # not one of this portfolio's files
    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    assert not any(page.images for page in reader.pages)


def test_cli_export_and_verify(app, db, exported, tmp_path):
    _, _, own = exported
    runner = app.test_cli_runner()
    out = tmp_path / "cli.pdf"
    result = runner.invoke(args=["export", str(own.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "Signed PDF written" in result.output
    result = runner.invoke(args=["verify", str(out)])
    assert result.exit_code == 0 and "unaltered since it was signed" in result.output
    assert "current" in result.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(tamper(out.read_bytes()))
    result = runner.invoke(args=["verify", str(bad)])
    assert result.exit_code == 1 and "NOT" in result.output
    assert runner.invoke(args=["export", "9999", "--out", str(out)]).exit_code == 1


@pytest.fixture
def inline_exports(app, tmp_path):
    app.config.update(JOBS_BACKGROUND=False, EXPORT_DIR=str(tmp_path / "web-exports"))


@pytest.mark.parametrize("who", ["learner", "assessor", "iqa", "admin"])
def test_export_from_the_portfolio_page_then_download(db, client, browser, people, portfolios,
                                                      make_evidence, inline_exports, who):
    make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    browser.login(people[who])
    url = f"/portfolios/{portfolios['own'].id}"
    response = browser.submit(f"{url}/export", {}, form_url=url)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "The signed PDF is ready" in page.text
    job = response.headers["Location"].rsplit("/", 1)[1]
    pdf = client.get(f"/exports/{job}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    result, _, current = verify_file(pdf.data)
    assert result.ok and current  # the digest travels in the keywords when nothing is appended
    pdf.close()
    archive = client.get(f"/exports/{job}/zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        import json
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["pdf"]["name"] in z.namelist()
        for entry in manifest["files"]:
            import hashlib
            assert hashlib.sha256(z.read(entry["path"])).hexdigest() == entry["sha256"]
    archive.close()


def test_nobody_else_sees_or_starts_an_export(db, client, browser, people, portfolios,
                                              inline_exports):
    browser.login(people["learner"])
    url = f"/portfolios/{portfolios['own'].id}"
    job = browser.submit(f"{url}/export", {}, form_url=url).headers["Location"].rsplit("/")[-1]
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["other_learner"])
    for path in (f"/exports/{job}", f"/exports/{job}/pdf", f"/exports/{job}/zip"):
        assert client.get(path).status_code == 404
    token = browser.token("/portfolios/")
    assert client.post(f"{url}/export", data={"csrf_token": token}).status_code == 404


def test_the_waiting_page_shows_progress_and_updates_in_place(db, client, browser, people,
                                                              portfolios):
    """No meta refresh (a level A failure that throws focus to the top): the page's script
    reads the status and updates the bar and a polite live region."""
    from portfolio.models import ExportJob
    job = ExportJob(portfolio_id=portfolios["own"].id, requested_by_id=people["learner"].id,
                    status="running", step="Laying out the pages", percent=40)
    db.session.add(job)
    db.session.commit()
    browser.login(people["learner"])
    page = client.get(f"/exports/{job.id}").text
    assert 'http-equiv="refresh"' not in page
    assert '<span data-progress-step>Laying out the pages</span>… (<span data-progress-percent>' \
           '40</span>%)' in page
    assert '<progress id="export-progress"' in page and 'aria-live="polite"' in page
    assert f'data-progress-url="/exports/{job.id}/status"' in page
    assert client.get(f"/exports/{job.id}/status").get_json() == {
        "status": "running", "step": "Laying out the pages", "percent": 40}


def test_the_verify_page_for_iqa_and_admins(db, client, browser, people, exported):
    path = exported[0].path
    browser.login(people["learner"])
    assert client.get("/verify").status_code == 403
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["iqa"])
    response = browser.submit("/verify", {"file": (io.BytesIO(path.read_bytes()), "p.pdf")},
                              content_type="multipart/form-data")
    assert "Verified" in response.text and "has not changed since this export" in response.text
    response = browser.submit("/verify", {"file": (io.BytesIO(tamper(path.read_bytes())), "p.pdf")},
                              content_type="multipart/form-data")
    assert "Not verified" in response.text and "changed since it was signed" in response.text


def test_the_verify_page_says_nothing_of_a_portfolio_the_checker_may_not_see(
        db, client, browser, people, exported):
    path = exported[0].path
    browser.login(people["other_iqa"])  # not this portfolio's IQA
    response = browser.submit("/verify", {"file": (io.BytesIO(path.read_bytes()), "p.pdf")},
                              content_type="multipart/form-data")
    assert "Verified" in response.text and "not one you have access to" in response.text
    assert "has not changed since this export" not in response.text


def test_the_signed_pdf_keeps_its_title_counts_appended_pages_and_scopes_headers(exported):
    """The title survives the signature (XMP and Info, shown as the window title); "Page X of
    Y" counts the appended letter's pages; header cells are scoped."""
    import pikepdf

    path = exported[0].path
    with pikepdf.open(path) as pdf:
        with pdf.open_metadata() as xmp:
            assert xmp.get("dc:title") == "Learner: Unit 40: Resolve Customers’ Complaints"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        total = len(pdf.pages)
        links = [str(a.get("/Contents")) for page in pdf.pages[:3]
                 for a in page.obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]
        assert links and all(text.startswith("Go to ") for text in links), links[:5]
    reader = PdfReader(path)
    assert f"Page 1 of {total}" in reader.pages[1].extract_text() or \
        f"of {total}" in reader.pages[2].extract_text()


def test_the_learners_headings_never_become_bookmarks_and_many_items_split_the_grid(
        app, db, people, portfolios, tmp_path):
    from portfolio.export.document import build

    own = portfolios["own"]
    store = app.extensions["evidence_store"]
    for n in range(26):
        add_evidence(own, all_units()["unit-40"],
                     EvidenceFields(f"Item {n}", "product_evidence", TODAY, "",
                                    "# A heading of mine\n\nText."), [],
                     actor=people["learner"], store=store, submission_key=None, today=TODAY)
    db.session.commit()
    with app.test_request_context():
        html = build(own, all_units()["unit-40"], today=TODAY, store=store).html
    assert html.count('<table class="grid">') == 3  # 12 + 12 + 2 evidence columns
    assert "Evidence E13–E24" in html and "Evidence E25–E26" in html
    css = (stylesheet()).read_text()
    assert ".account h1, .account h2" in css and "bookmark-level: none" in css
    assert '<th scope="col">Criterion</th>' in html and '<th scope="row">AC 2.6</th>' in html


def test_pdf_ua_is_claimed_only_where_it_can_be_true(app, db, people, portfolios, exported):
    """Our own HTML alone is made and marked PDF/UA-1 (kept through the signature); with
    appended uploads, pictures of pages without structure, it is a plain tagged PDF."""
    import pikepdf

    path = exported[0].path  # has an appended PDF letter
    with pikepdf.open(path) as pdf, pdf.open_metadata() as xmp:
        assert xmp.get("pdfuaid:part") is None
    other = portfolios["other"]
    add_evidence(other, all_units()["unit-40"],
                 EvidenceFields("Account", "reflective_account", TODAY, "", "Text."), [],
                 actor=people["other_learner"], store=app.extensions["evidence_store"],
                 submission_key=None, today=TODAY)
    db.session.commit()
    plain = export_portfolio(other, actor=people["other_assessor"], today=TODAY).path
    with pikepdf.open(plain) as pdf, pdf.open_metadata() as xmp:
        assert xmp.get("pdfuaid:part") == "1" and xmp.get("dc:title")
    assert verify_file(plain.read_bytes())[0].ok
