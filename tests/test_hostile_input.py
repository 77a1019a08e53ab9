"""Hostile input: forged Host headers and line breaks against email, odd files against the
PDF check, passwords of spaces, line breaks in titles."""

import io
from datetime import date

import pytest
from helpers import FakeSMTP
from pypdf import PdfWriter
from sqlalchemy import select

from portfolio import create_app
from portfolio.assessment.services import record_decision
from portfolio.auth.services import create_user, set_password
from portfolio.eqa.services import accept_invitation
from portfolio.errors import DomainError
from portfolio.models import Evidence, Notification, User
from portfolio.notify import notify

TODAY = date.today()


# ---------------------------------------------------------------- links and headers in email

def test_email_on_without_public_url_refuses_to_start(tmp_path):
    settings = {"TESTING": True, "SECRET_KEY": "test", "MAIL_SERVER": "smtp.example.test",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(settings, instance_path=str(tmp_path / "instance"))
    create_app({**settings, "PUBLIC_URL": "https://p.example"},
               instance_path=str(tmp_path / "instance"))
    create_app({**settings, "MAIL_SERVER": ""}, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      MAIL_FROM="portfolio@college.example", PUBLIC_URL="https://p.example")
    return FakeSMTP.sent


ASK = {"name": "Sam Carter", "email": "sam@northgate.example", "job_title": "Team leader",
       "relationship": "My line manager", "activity": "The complaint call."}


def test_a_forged_host_header_never_reaches_an_email(app, db, client, browser, people,
                                                     portfolios, smtp):
    browser.login(people["learner"])
    url = f"/portfolios/{portfolios['own'].id}/witnesses/new"
    browser.token(url)  # the session now holds its CSRF secret: signed in at evil.example too
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    forged = {"headers": {"Host": "evil.example"}}
    assert "We emailed a link" in browser.submit(url, ASK, **forged).text
    # Even with PUBLIC_URL gone after start-up, the request's Host is never used for email.
    app.config["PUBLIC_URL"] = ""
    assert "We emailed a link" in browser.submit(
        url, {**ASK, "email": "kim@northgate.example"}, **forged).text
    assert len(smtp) == 2
    assert "https://p.example/witness/" in smtp[0].get_content()
    for msg in smtp:
        assert "evil.example" not in msg.get_content() + str(msg["Subject"])


def test_a_line_break_in_a_title_makes_a_one_line_subject_not_a_header(db, people, portfolios,
                                                                      make_evidence, smtp):
    evidence = make_evidence(portfolios["own"], title="Letter\r\nBcc: x@evil.example",
                             claims={"2.8": None})
    record_decision(evidence.claims[0], "accepted", "", assessor=people["assessor"])
    db.session.commit()
    (msg,) = smtp
    assert "\r" not in msg["Subject"] and "\n" not in msg["Subject"]
    assert "Letter Bcc: x@evil.example" in msg["Subject"]
    assert msg["Bcc"] is None and "\nBcc:" not in msg.as_string()


def test_an_email_that_fails_is_logged_and_the_others_still_go(db, people, smtp, monkeypatch,
                                                               caplog):
    def refuse_the_learner(self, msg):
        if msg["To"] == people["learner"].email:
            raise ValueError("refused for the test")
        FakeSMTP.sent.append(msg)
    monkeypatch.setattr(FakeSMTP, "send_message", refuse_the_learner)
    notify(people["learner"], "First notice")
    notify(people["assessor"], "Second notice")
    db.session.commit()
    assert [m["To"] for m in smtp] == [people["assessor"].email]
    first = db.session.query(Notification).filter_by(message="First notice").one()
    assert (f"could not send the notification email for notice {first.id} to "
            f"{people['learner'].email}") in caplog.text
    assert "refused for the test" in caplog.text


# ---------------------------------------------------------------- verifying any bytes

def keyword_pdf(keywords: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Keywords": keywords})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(keywords: str, keys) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    writer = IncrementalPdfFileWriter(io.BytesIO(keyword_pdf(keywords)), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Sig", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(writer, meta, signer=keys.signer).getvalue()


@pytest.fixture
def odd_files(app, portfolios, tmp_path):
    """name -> (bytes, verified?, words the reason contains (web page, command line))."""
    from portfolio.export.keys import centre_keys
    from portfolio.export.services import keys
    ours = keys()
    stranger = centre_keys({"CENTRE_NAME": "Elsewhere"}, str(tmp_path / "elsewhere"))
    own_id = portfolios["own"].id
    nowhere = ("not in this system", "not in this database")
    good = signed_pdf(f"portfolio-id:{own_id}, portfolio-digest:{'0' * 64}", ours)
    return {
        "letters": (signed_pdf("portfolio-id:abc, portfolio-digest:x", ours), True, nowhere),
        "superscript": (signed_pdf("portfolio-id:\u00b2", ours), True, nowhere),
        "huge": (signed_pdf("portfolio-id:" + "9" * 5000, ours), True, nowhere),
        "too big": (signed_pdf("portfolio-id:" + "9" * 30, ours), True, nowhere),
        "negative": (signed_pdf("portfolio-id:-5", ours), True, nowhere),
        "garbage": (b"\x00\xff" * 500, False, ("Not a readable PDF",) * 2),
        "empty": (b"", False, ("The file is empty",) * 2),
        "truncated": (good[:len(good) // 2], False, ("Not", "NOT")),
        "stranger": (signed_pdf(f"portfolio-id:{own_id}", stranger), False,
                     ("not from this centre", "not trusted here")),
    }


def test_verify_file_gives_a_verdict_for_any_bytes(odd_files, portfolios):
    from portfolio.export.services import verify_file
    for name, (data, ok, _) in odd_files.items():
        result, portfolio, current = verify_file(data)
        assert result.ok == ok, name
        assert ok or result.problem or not result.trusted, name
        assert portfolio is None and current is None, name  # only a verified file names one


def test_flask_verify_gives_a_verdict_for_any_bytes(app, odd_files, tmp_path):
    runner = app.test_cli_runner()
    for n, (name, (data, ok, (_, words))) in enumerate(odd_files.items()):
        path = tmp_path / f"file{n}.pdf"
        path.write_bytes(data)
        result = runner.invoke(args=["verify", str(path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            (name, result.exception)
        assert result.exit_code == (0 if ok else 1), (name, result.output)
        assert words in result.output, (name, result.output)


def test_the_verify_page_gives_a_verdict_for_any_bytes(client, browser, people, odd_files):
    browser.login(people["iqa"])
    for name, (data, ok, (words, _)) in odd_files.items():
        response = browser.submit("/verify", {"file": (io.BytesIO(data), "p.pdf")},
                                  content_type="multipart/form-data")
        assert response.status_code == 200, name
        assert ("Verified" if ok else "Not verified") in response.text, name
        assert words in response.text.replace("’", "'"), name


# ---------------------------------------------------------------- passwords and titles

@pytest.mark.parametrize("password", [" " * 12, "\t\n " * 5, "  short1  "])
def test_a_password_of_spaces_is_refused_everywhere(app, db, people, eqa_grant, password):
    with pytest.raises(DomainError, match="not counting spaces"):
        create_user(email="new@test.example", name="New", role="learner", password=password,
                    actor=people["admin"])
    with pytest.raises(DomainError, match="not counting spaces"):
        set_password(people["learner"], password, actor=people["admin"])
    eqa_grant.invite_used_at = None
    with pytest.raises(DomainError, match="not counting spaces"):
        accept_invitation(eqa_grant, password, password, now=eqa_grant.created_at)
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "learner", "--email", "cli@test.example", "--name", "C",
        "--password", password])
    assert result.exit_code == 1 and "not counting spaces" in result.output
    assert db.session.scalar(select(User).where(User.email.like("%new@%"))) is None


def test_the_admin_form_refuses_a_password_of_spaces(db, browser, people):
    browser.login(people["admin"])
    response = browser.submit("/admin/users/new", {"name": "Sam Lee", "email": "sam@test.example",
                                                   "role": "learner", "password": " " * 12})
    assert response.status_code == 422 and "not counting spaces" in response.text
    assert db.session.scalar(select(User).where(User.email == "sam@test.example")) is None


def test_a_line_break_in_a_title_is_removed_at_save(db, browser, people, portfolios):
    browser.login(people["learner"])
    response = browser.submit(
        f"/portfolios/{portfolios['own'].id}/evidence/new",
        {"title": "Refund\r\nBcc: x@evil.example\n", "method": "product_evidence",
         "dated": "2026-10-01", "account_md": "An account.", "ai_answer": "no"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(Evidence.title)) == "Refund Bcc: x@evil.example"
