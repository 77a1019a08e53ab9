"""Redacting personal data from the learner's evidence (evidence/redaction.py): a new version
with placeholders, the redacted copy of a file, the original removed or kept by the centre's
policy, and who may do it, through the service and the pages (CSRF on)."""

import io
import json
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from portfolio.changes import compare
from portfolio.evidence.personal import known_ok, scan
from portfolio.evidence.redaction import redact_evidence, remove_originals
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.evidence.versions import find_version
from portfolio.facts import portfolio_state
from portfolio.file_text import text_of
from portfolio.models import AuditEvent, Evidence
from portfolio.signing import digest_of
from portfolio.units import all_units

ACCOUNT = "Mr Hughes rang from 07700 900123 about his kettle.\n\nHe chose a replacement."


def thread() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Learner <learner1@test.example>"
    msg["To"] = "Daniel Hughes <d.hughes@example.com>"
    msg["Subject"] = "Your kettle"
    msg.set_content("Dear Mr Hughes,\n\nYour replacement comes tomorrow.\n\nKind regards,\n"
                    "Learner\n")
    return bytes(msg)


@pytest.fixture
def store(app):
    return app.extensions["evidence_store"]


def upload(app, db, portfolio, learner, data=None, name="thread.eml", account=""):
    store = app.extensions["evidence_store"]
    files = check_uploads(store, [Upload(io.BytesIO(data or thread()), name)], 1_000_000)
    evidence = add_evidence(portfolio, all_units()["unit-40"],
                            EvidenceFields("Emails", "product_evidence",
                                           portfolio.created_at.date(), "", account),
                            files, actor=learner, store=store, submission_key=None,
                            today=portfolio.created_at.date())
    db.session.commit()
    return evidence


def redact_all(evidence, learner, store, *, keep=False, only=None):
    known = known_ok(evidence.portfolio)
    keys = {g.key for g in scan(evidence, store, known).groups
            if only is None or only(g)}
    done = redact_evidence(evidence, keys, expected_version=evidence.version, actor=learner,
                           store=store, known=known, keep_original=keep)
    return done


def test_redacting_the_account_makes_a_new_version_with_placeholders(
        app, db, people, portfolios, make_evidence, store):
    portfolio, learner = portfolios["own"], people["learner"]
    evidence = make_evidence(portfolio, title="Refund for Mr Hughes", account=ACCOUNT)
    before = digest_of(portfolio_state(portfolio))
    done = redact_all(evidence, learner, store)
    db.session.commit()
    assert (done.version, evidence.version) == (2, 2)
    assert evidence.title == "Refund for [name]"
    assert evidence.account_md == ("[name] rang from [phone number] about his kettle.\n\n"
                                   "He chose a replacement.")
    assert digest_of(portfolio_state(portfolio)) != before
    current, first = find_version(evidence, 2), find_version(evidence, 1)
    assert current.note == ("Redacted personal data: 1 name and 1 phone number. The original "
                            "was not kept.")
    assert current.content["redaction"] == {"summary": "1 name and 1 phone number",
                                            "kept": False, "files": [], "left": []}
    # Not kept: the earlier version reads the same, so "what changed" is the note alone.
    assert "Hughes" not in first.content_json and "07700" not in first.content_json
    assert not compare(first.content, current.content).fields
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.redacted"))
    assert event.detail["kinds"] == {"name": 1, "phone": 1}
    assert event.detail["original_kept"] is False and event.detail["version"] == 2
    trail = " ".join(e.summary + e.detail_json for e in db.session.scalars(select(AuditEvent)))
    assert "Hughes" not in trail and "900123" not in trail


def test_what_is_left_unticked_stays_and_a_kept_original_shows_what_changed(
        app, db, people, portfolios, make_evidence, store):
    evidence = make_evidence(portfolios["own"], account=ACCOUNT)
    redact_all(evidence, people["learner"], store, keep=True, only=lambda g: g.kind == "phone")
    db.session.commit()
    assert evidence.account_md.startswith("Mr Hughes rang from [phone number] about")
    first, current = find_version(evidence, 1), find_version(evidence, 2)
    assert "07700 900123" in first.content["account_md"]  # kept for staff
    [change] = compare(first.content, current.content).fields
    assert change.key == "account_md" and "[phone number]" in change.after


def test_a_redacted_email_becomes_a_text_copy_and_the_original_leaves_the_store(
        app, db, people, portfolios, store, client, browser):
    portfolio, learner = portfolios["own"], people["learner"]
    evidence = upload(app, db, portfolio, learner)
    original = evidence.files[0].sha256
    assert store.exists(original) and store.text_copy(original) is not None
    done = redact_all(evidence, learner, store)
    db.session.commit()
    assert remove_originals(store, done, evidence, app.logger) == [original]
    [copy] = evidence.files
    assert (copy.filename, copy.mime_type) == ("thread (redacted).txt", "text/plain")
    text = store.path(copy.sha256).read_text()
    assert "To: [name] <[email address]>" in text and "Dear [name]," in text
    assert "Hughes" not in text and "Kind regards,\nLearner" in text  # the learner's own
    assert not store.exists(original) and store.text_copy(original) is None
    entry = find_version(evidence, 1).content["files"][0]
    assert (entry["sha256"], entry["redacted_in"], entry["kept"]) == (original, 2, False)
    browser.login(learner)
    gone = client.get(f"/evidence/{evidence.id}/versions/1/files/{original}")
    assert gone.status_code == 410 and "the original was not kept" in gone.text
    page = client.get(f"/evidence/{evidence.id}/versions/1").text
    assert "Removed at redaction" in page and "thread.eml" in page
    detail = client.get(f"/evidence/{evidence.id}").text
    assert "The original was not kept." in detail and "Personal data found" not in detail


@pytest.mark.parametrize("where", ["another portfolio", "another item"])
def test_an_original_another_record_uses_stays_in_the_store(
        app, db, people, portfolios, store, where):
    mine = upload(app, db, portfolios["own"], people["learner"])
    if where == "another portfolio":
        upload(app, db, portfolios["other"], people["other_learner"])
    else:
        upload(app, db, portfolios["own"], people["learner"])
    original = mine.files[0].sha256
    done = redact_all(mine, people["learner"], store)
    db.session.commit()
    assert remove_originals(store, done, mine, app.logger) == []
    assert store.exists(original) and store.text_copy(original) is not None


def test_with_the_policy_to_keep_the_original_it_stays_for_staff_only(
        app, db, people, portfolios, store, client, browser):
    app.config["REDACTION_KEEPS_ORIGINAL"] = True
    portfolio, learner = portfolios["own"], people["learner"]
    evidence = upload(app, db, portfolio, learner, account=ACCOUNT)
    original, url = evidence.files[0].sha256, f"/evidence/{evidence.id}"
    browser.login(learner)
    page = client.get(url).text
    keys = re.findall(r'name="redact" value="([0-9a-f]{16})"', page)
    assert len(keys) == 5 and "The centre keeps the original for staff only." in page
    response = browser.submit(f"{url}/redact", {"redact": keys}, form_url=url)
    assert response.status_code == 302
    page = client.get(url).text
    assert "The original is kept for staff only." in page and "(redacted).txt" in page
    assert store.exists(original)
    db.session.expire_all()
    assert "07700 900123" in find_version(db.session.get(Evidence, evidence.id), 1).content_json
    refused = client.get(f"{url}/versions/1/files/{original}")
    assert refused.status_code == 403 and "keeps the original for staff only" in refused.text
    assert "for staff only" in client.get(f"{url}/versions/1").text
    assert "07700 900123" not in client.get(f"{url}/versions/1").text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])
    download = client.get(f"{url}/versions/1/files/{original}")
    download.close()
    assert download.status_code == 200
    assert "07700 900123" in client.get(f"{url}/versions/1").text


def test_the_learner_sees_each_finding_in_its_words_escaped_and_redacts_what_is_ticked(
        app, db, people, portfolios, make_evidence, client, browser):
    account = "<script>alert(1)</script> Mr Hughes rang from 07700 900123 & was happy."
    evidence = make_evidence(portfolios["own"], account=account)
    url = f"/evidence/{evidence.id}"
    browser.login(people["learner"])
    page = client.get(url).text
    box = page[page.index('id="personal-data"'):page.index("</section>",
                                                           page.index('id="personal-data"'))]
    assert "This evidence holds 1 name and 1 phone number." in box
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in box and "<script>alert" not in page
    assert '<mark class="pd-mark">Mr Hughes</mark>' in box and "A person’s name" in box
    assert box.count(" checked>") == 2 and "Redact these" in box
    phone = re.findall(r'value="([0-9a-f]{16})"[^>]*>\s*<label[^>]*>\s*<span[^>]*>A phone', box)
    response = browser.submit(f"{url}/redact", {"redact": phone}, form_url=url)
    assert response.status_code == 302 and len(phone) == 1
    db.session.expire_all()
    evidence = db.session.get(Evidence, evidence.id)
    assert evidence.version == 2 and "Mr Hughes rang from [phone number] &" in evidence.account_md
    # What was left is not asked about again, and can still be redacted later.
    page = client.get(url).text
    assert "Personal data found" not in page
    assert "1 left as it is: not personal data, the learner said." in page
    evidence.account_md += "\n\nHis wife, Mrs Hughes, rang too."
    db.session.commit()
    page = client.get(url).text
    assert "This evidence holds 1 name." in page and "Left as they are in an earlier" in page
    assert page.count(" checked>") == 1


def test_a_refused_redaction_says_why_keeps_the_ticks_and_changes_nothing(
        app, db, people, portfolios, make_evidence, client, browser):
    evidence = make_evidence(portfolios["own"], account=ACCOUNT)
    url = f"/evidence/{evidence.id}"
    browser.login(people["learner"])
    keys = re.findall(r'name="redact" value="([0-9a-f]{16})"', client.get(url).text)
    nothing = browser.submit(f"{url}/redact", {}, form_url=url)
    assert nothing.status_code == 422 and "<title>Error: " in nothing.text
    assert "Tick at least one piece of personal data" in nothing.text
    assert nothing.text.count(" checked>") == 0  # as sent: nothing ticked
    stale = browser.submit(f"{url}/redact", {"redact": keys[:1], "rd-version": "0"}, form_url=url)
    assert stale.status_code == 422 and "changed (in another tab" in stale.text
    assert stale.text.count(" checked>") == 1
    unknown = browser.submit(f"{url}/redact", {"redact": ["0" * 16]}, form_url=url)
    assert unknown.status_code == 422 and "has changed since the page was opened" in unknown.text
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).version == 1
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "evidence.redacted")) is None


def test_only_the_learner_redacts_and_only_while_they_may_change_it(
        app, db, people, portfolios, make_evidence, client, browser):
    open_item = make_evidence(portfolios["own"], account=ACCOUNT)
    judged = make_evidence(portfolios["own"], account=ACCOUNT, claims={"2.1": "accepted"})
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{open_item.id}").text
    assert "The learner’s evidence holds 1 name and 1 phone number." in page
    assert "Redact these" not in page and "ask them to before you judge it" in page
    refused = browser.submit(f"/evidence/{open_item.id}/redact", {"redact": ["x"]},
                             form_url=f"/evidence/{open_item.id}")
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["learner"])
    url = f"/evidence/{judged.id}"
    page = client.get(url).text
    assert "Redact these" not in page and "can no longer be redacted here" in page
    keys = [g.key for g in scan(judged, app.extensions["evidence_store"],
                                known_ok(judged.portfolio)).groups]
    locked = browser.submit(f"{url}/redact", {"redact": keys}, form_url=url)
    assert locked.status_code == 422 and "has been assessed" in locked.text
    db.session.expire_all()
    assert db.session.get(Evidence, judged.id).account_md == ACCOUNT
    assert db.session.get(Evidence, open_item.id).version == 1


def test_a_file_uploaded_before_text_was_kept_is_read_in_the_sandbox_once(
        app, db, people, portfolios, store):
    evidence = upload(app, db, portfolios["own"], people["learner"])
    f = evidence.files[0]
    store.blobs.delete(store.blobs.keys("text/").__next__())  # as if uploaded before
    assert store.text_copy(f.sha256) is None
    read = text_of(store, f.sha256, f.mime_type)
    assert "To: Daniel Hughes <d.hughes@example.com>" in read.text and not read.cut
    assert json.loads(store.text_copy(f.sha256).read_text())["text"] == read.text
    assert text_of(store, f.sha256, "image/png") is None


def test_saving_evidence_with_personal_data_points_the_learner_to_the_evidence_page(
        app, db, people, portfolios, client, browser):
    browser.login(people["learner"])
    url = f"/portfolios/{portfolios['own'].id}/evidence/new"
    response = browser.submit(url, {
        "title": "Kettle complaint", "method": "product_evidence", "dated": "2026-01-05",
        "context": "", "account_md": "I emailed jo@example.com the same day.",
        "ai_answer": "no"}, content_type="multipart/form-data", follow_redirects=True)
    assert "Personal data found in it: 1 email address." in response.text
    clean = browser.submit(url, {
        "title": "Another", "method": "product_evidence", "dated": "2026-01-05",
        "context": "", "account_md": "I replied the same day.", "ai_answer": "no"},
        content_type="multipart/form-data", follow_redirects=True)
    assert clean.status_code == 200 and "Personal data found" not in clean.text
