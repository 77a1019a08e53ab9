"""The learner's evidence journey through the pages, with CSRF on."""

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from portfolio.evidence.services import (
    EvidenceFields,
    StaleEdit,
    Upload,
    check_uploads,
    update_evidence,
)
from portfolio.models import AuditEvent, Claim, Evidence
from portfolio.units import all_units


@pytest.fixture
def signed_in(browser, people, portfolios):
    browser.login(people["learner"])
    return browser


def new_url(portfolios):
    return f"/portfolios/{portfolios['own'].id}/evidence/new"


def add(browser, portfolios, **overrides):
    data = {"title": "Email to Mr Hughes", "method": "product_evidence", "dated": "2026-10-01",
            "context": "Contact centre", "account_md": "I replied **the same day**.",
            "ai_answer": "no"}
    data.update(overrides)
    return browser.submit(new_url(portfolios), data, content_type="multipart/form-data")


def test_add_evidence_with_a_file_then_tag_two_criteria(app, db, signed_in, portfolios, client):
    response = add(signed_in, portfolios,
                   files=[(io.BytesIO(b"Dear Mr Hughes,\nThank you.\n"), "reply.txt")])
    assert response.status_code == 302 and "/claims" in response.headers["Location"]
    evidence = db.session.scalar(select(Evidence))
    assert evidence.title == "Email to Mr Hughes" and len(evidence.files) == 1
    assert evidence.files[0].filename == "reply.txt"
    assert (app.extensions["evidence_store"].path(evidence.files[0].sha256)).is_file()

    claims_url = f"/evidence/{evidence.id}/claims"
    response = signed_in.submit(claims_url, {
        "claim_2_1": "y", "rationale_2_1": "Paragraph 1 confirms the fault and its cause.",
        "claim_2_6": "y", "rationale_2_6": "The second email gives the delivery date."})
    assert response.status_code == 302
    page = client.get(f"/portfolios/{portfolios['own'].id}").text
    assert page.count("Awaiting assessment: “Email to Mr Hughes”.") == 2
    assert "AC 2.1" in page and "0 of 17 criteria met" in page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "evidence.added" in actions and "claims.changed" in actions


def test_a_ticked_claim_needs_a_rationale(signed_in, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"])
    response = signed_in.submit(f"/evidence/{evidence.id}/claims", {"claim_2_8": "y"})
    assert response.status_code == 422
    assert "Say where and how this evidence meets AC 2.8" in response.text


def test_untick_removes_an_unjudged_claim(db, signed_in, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.8": None, "2.1": None})
    signed_in.submit(f"/evidence/{evidence.id}/claims",
                     {"claim_2_8": "y", "rationale_2_8": "Row 3."})
    assert db.session.scalars(select(Claim.criterion_id)).all() == ["2.8"]


def test_judged_claims_stay_when_the_form_leaves_them_out(db, signed_in, portfolios,
                                                          make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.8": "accepted"})
    # A disabled box is not sent by browsers: the judged claim must survive that.
    response = signed_in.submit(f"/evidence/{evidence.id}/claims",
                                {"claim_2_1": "y", "rationale_2_1": "The first line."})
    assert response.status_code == 302
    assert sorted(db.session.scalars(select(Claim.criterion_id)).all()) == ["2.1", "2.8"]


def test_judged_evidence_cannot_be_edited_or_deleted(client, signed_in, portfolios,
                                                     make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.8": "accepted"})
    response = client.get(f"/evidence/{evidence.id}/edit")
    assert response.status_code == 302
    response = signed_in.submit(f"/evidence/{evidence.id}/delete", {},
                                form_url=f"/evidence/{evidence.id}")
    assert response.status_code == 409 and "can no longer be changed" in response.text


def test_wrong_type_upload_keeps_the_typed_text(db, signed_in, portfolios):
    response = add(signed_in, portfolios, title="My careful title",
                   account_md="Three paragraphs I do not want to retype.",
                   files=[(io.BytesIO(b"<html><script>x</script></html>"), "letter.pdf")])
    assert response.status_code == 422
    assert "“letter.pdf” is not a file type we accept" in response.text
    assert 'value="My careful title"' in response.text
    assert "Three paragraphs I do not want to retype." in response.text
    assert db.session.scalar(select(Evidence)) is None


def test_oversized_request_gets_a_clear_page(app, signed_in, portfolios):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = add(signed_in, portfolios, files=[(io.BytesIO(b"x" * 5000), "big.txt")])
    assert response.status_code == 413
    assert "That upload is too large" in response.text and "Nothing was saved" in response.text


def test_evidence_needs_an_account_or_a_file(db, signed_in, portfolios):
    response = add(signed_in, portfolios, account_md="")
    assert response.status_code == 422
    assert "Write an account or attach at least one file" in response.text


def test_future_date_and_assessor_only_methods_are_refused(signed_in, portfolios):
    response = add(signed_in, portfolios, dated="2999-01-01")
    assert "The date cannot be in the future." in response.text
    response = add(signed_in, portfolios, method="direct_observation")
    assert response.status_code == 422 and "Not a valid choice" in response.text


def test_double_submit_creates_one_item(db, client, signed_in, portfolios):
    page = client.get(new_url(portfolios)).text
    fields = dict(re.findall(r'name="(csrf_token|submission_key)" type="hidden" value="([^"]+)"',
                             page))
    data = {**fields, "title": "Once", "method": "reflective_account", "dated": "2026-10-01",
            "account_md": "Text.", "ai_answer": "no"}
    first = client.post(new_url(portfolios), data=data)
    second = client.post(new_url(portfolios), data=data)
    assert first.status_code == second.status_code == 302
    assert db.session.query(Evidence).count() == 1
    assert second.headers["Location"].endswith(f"/evidence/{db.session.scalar(select(Evidence.id))}")


def test_stale_edit_is_refused_and_shows_the_text_back(db, client, signed_in, portfolios,
                                                       make_evidence):
    evidence = make_evidence(portfolios["own"], title="Original")
    url = f"/evidence/{evidence.id}/edit"
    base = {"method": "product_evidence", "dated": "2026-10-01", "account_md": "Body",
            "ai_answer": "no"}
    page = client.get(url).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post(url, data={**base, "csrf_token": token, "version": "1",
                                   "title": "First tab"})
    assert first.status_code == 302
    second = client.post(url, data={**base, "csrf_token": token, "version": "1",
                                    "title": "Second tab", "account_md": "My second-tab text"})
    assert second.status_code == 409
    assert "My second-tab text" in second.text
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).title == "First tab"


def test_expired_form_shows_what_was_typed(client, signed_in, portfolios):
    response = client.post(new_url(portfolios), data={
        "csrf_token": "stale", "title": "Kept title", "account_md": "Kept account"})
    assert response.status_code == 400
    assert "Your form was not saved" in response.text
    assert "Kept title" in response.text and "Kept account" in response.text


def test_delete_removes_the_item_and_records_it(db, signed_in, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], title="Wrong file", claims={"2.1": None})
    response = signed_in.submit(f"/evidence/{evidence.id}/delete", {})
    assert response.status_code == 302
    assert db.session.query(Evidence).count() == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.deleted"))
    assert event.detail["title"] == "Wrong file" and event.detail["claims"] == ["2.1"]


def test_download_is_an_attachment_that_cannot_run(client, signed_in, portfolios):
    add(signed_in, portfolios, files=[(io.BytesIO(b"plain words\n"), "notes.txt")])
    with client.get("/evidence/1/files/1") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_account_is_sanitised_on_the_page(client, signed_in, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"],
                             account="Hi <script>alert(1)</script> [x](javascript:alert(1))")
    page = client.get(f"/evidence/{evidence.id}").text
    assert "<script>alert(1)" not in page and "javascript:alert" not in page


def test_remove_a_file_but_never_the_only_content(db, client, signed_in, portfolios):
    add(signed_in, portfolios, account_md="", files=[(io.BytesIO(b"only one\n"), "only.txt")])
    evidence = db.session.scalar(select(Evidence))
    url = f"/evidence/{evidence.id}/files/{evidence.files[0].id}/remove"
    refused = signed_in.submit(url, {}, form_url=f"/evidence/{evidence.id}/edit",
                               follow_redirects=True)
    assert "This is the only content of the evidence" in refused.text
    signed_in.submit(f"/evidence/{evidence.id}/edit", {
        "title": "T", "method": "product_evidence", "dated": "2026-10-01",
        "account_md": "Now there is an account.", "ai_answer": "no"})
    removed = signed_in.submit(url, {}, form_url=f"/evidence/{evidence.id}/edit",
                               follow_redirects=True)
    assert "Removed “only.txt”." in removed.text
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).files == []


def test_a_refused_change_leaves_no_staged_upload_behind(app, db, people, portfolios,
                                                         make_evidence):
    store = app.extensions["evidence_store"]
    evidence = make_evidence(portfolios["own"])
    files = check_uploads(store, [Upload(io.BytesIO(b"late\n"), "late.txt")], 10_000)
    assert len(list(store.staging.iterdir())) == 1
    with pytest.raises(StaleEdit):
        update_evidence(evidence, all_units()["unit-40"],
                        EvidenceFields("T", "product_evidence", date.today(), "", "x"), files,
                        expected_version=evidence.version - 1, actor=people["learner"],
                        store=store, today=date.today())
    assert list(store.staging.iterdir()) == []


def test_the_claims_page_and_the_unit_page_say_what_an_assessor_looks_for(
        signed_in, portfolios, make_evidence, client):
    evidence = make_evidence(portfolios["own"], title="Case note", method="product_evidence")
    page = client.get(f"/evidence/{evidence.id}/claims").text
    # Learning outcome 2 has no amplification: the centre's words say what evidence shows,
    # each under its own criterion, its summary naming the criterion (nine alike would tell
    # a screen reader's user nothing).
    assert page.count("What an assessor looks for in AC 2.") == 9
    rows = page.split("data-claim>")
    row_28 = next(r for r in rows[1:] if 'name="claim_2_8"' in r)
    assert "What an assessor looks for in AC 2.8</summary>" in row_28
    assert "Updating the complaint tracker with the resolution status" in row_28
    assert "What AC 1.1 covers</summary>" in page  # the amplification's, named the same way
    unit_page = client.get(f"/portfolios/{portfolios['own'].id}/unit").text
    assert "What an assessor looks for in AC 2.8</summary>" in unit_page
