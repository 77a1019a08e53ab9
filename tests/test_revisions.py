"""The feedback loop: a referral, the learner's revision as a new version, the assessor's
view of what changed, and claims the assessor adds."""

import io
from datetime import date

import pytest
from sqlalchemy import select

from portfolio.assessment.services import add_claim, record_decision
from portfolio.errors import Locked, NotAllowed
from portfolio.evidence.services import set_claims
from portfolio.facts import coverage_for
from portfolio.models import AuditEvent, Claim, Decision, Evidence, EvidenceVersion, Notification
from portfolio.units import all_units

ACCOUNT = "I listened to Mr Hughes.\n\nI offered a replacement.\n\nI logged the case."


def status(portfolio, criterion_id):
    coverage = coverage_for(portfolio, all_units()["unit-40"], date.today())
    return next(c for c in coverage.criteria if c.criterion.id == criterion_id).status


@pytest.fixture
def referred(portfolios, make_evidence):
    """A learner's email: AC 2.1 accepted, AC 2.7 referred."""
    return make_evidence(portfolios["own"], title="Email to Mr Hughes", account=ACCOUNT,
                         claims={"2.1": "accepted", "2.7": "referred"})


def edit(browser, evidence, **overrides):
    data = {"title": evidence.title, "method": evidence.method,
            "dated": evidence.dated.isoformat(), "context": "", "account_md": ACCOUNT,
            "ai_answer": "no"}
    data.update(overrides)
    return browser.submit(f"/evidence/{evidence.id}/edit", data,
                          content_type="multipart/form-data")


def test_learner_revises_referred_evidence_as_a_new_version(db, browser, client, people,
                                                             portfolios, referred):
    browser.login(people["learner"])
    form = client.get(f"/evidence/{referred.id}/edit").text
    assert "Revise and resubmit" in form
    assert "AC 2.7: Say more about the cause." in form  # what the assessor asked for
    assert "including AC 2.1, which was accepted on version 1" in form
    revised = ACCOUNT.replace("I offered a replacement.",
                              "I offered a replacement or a refund, both within my £150 limit.")
    response = edit(browser, referred, account_md=revised, note="Added my authority limit.")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Saved as version 2 and resubmitted" in page

    db.session.expire_all()
    evidence = db.session.get(Evidence, referred.id)
    assert evidence.version == 2 and evidence.account_md == revised
    numbers = db.session.scalars(select(EvidenceVersion.number)
                                 .where(EvidenceVersion.evidence_id == evidence.id)).all()
    assert sorted(numbers) == [1, 2]
    # Every claim on it is awaiting assessment again, the accepted one too.
    assert {c.criterion_id: c.state for c in evidence.claims} == {"2.1": "awaiting",
                                                                   "2.7": "awaiting"}
    assert status(portfolios["own"], "2.1") == "awaiting"
    # The decisions are still there: history is never lost.
    assert db.session.query(Decision).count() == 2
    # The assessor is told.
    note = db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id))
    assert "revised and resubmitted “Email to Mr Hughes” (version 2)" in note.message
    assert "evidence.resubmitted" in db.session.scalars(select(AuditEvent.action)).all()


def test_assessor_sees_what_changed_since_the_last_decision(db, browser, client, people,
                                                             portfolios, referred):
    browser.login(people["learner"])
    edit(browser, referred, note="Added my authority limit.",
         account_md=ACCOUNT.replace("I offered a replacement.", "I offered two options."))
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{referred.id}").text
    assert "Changed since the last decision: version 1 → 2" in page
    assert "Added my authority limit." in page
    assert "Removed:</span> <del>I offered a replacement.</del>" in page
    assert "Added:</span> <ins>I offered two options.</ins>" in page
    assert "Awaiting assessment</span> of version 2" in page
    # Both versions stay viewable, each as it was.
    old = client.get(f"/evidence/{referred.id}/versions/1").text
    assert "I offered a replacement." in old and "an earlier version" in old
    assert "AC 2.7" in old and "Referred" in old  # the decisions made on that version
    new = client.get(f"/evidence/{referred.id}/versions/2").text
    assert "I offered two options." in new and "What changed from version 1" in new
    assert client.get(f"/evidence/{referred.id}/versions/3").status_code == 404


def test_assessor_judges_the_resubmission_and_the_decision_names_the_version(
        db, browser, people, portfolios, referred):
    browser.login(people["learner"])
    edit(browser, referred, account_md=ACCOUNT + "\n\nBoth options were within my authority.")
    db.session.expire_all()
    claim = db.session.scalar(select(Claim).where(Claim.criterion_id == "2.7"))
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    assert claim.latest_decision.evidence_version == 2
    assert status(portfolios["own"], "2.7") == "met"
    assert status(portfolios["own"], "2.1") == "awaiting"  # until the assessor looks again


def test_accepted_evidence_is_read_only(db, browser, client, people, portfolios,
                                        make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    browser.login(people["learner"])
    response = client.get(f"/evidence/{evidence.id}/edit", follow_redirects=True)
    assert "can no longer be changed" in response.text
    token = browser.token(f"/evidence/{evidence.id}")
    response = client.post(f"/evidence/{evidence.id}/edit", data={
        "csrf_token": token, "title": "Changed", "method": "product_evidence",
        "dated": "2026-10-01", "account_md": "Changed", "version": "1",
        "ai_answer": "no"})
    assert response.status_code == 302
    assert client.get(f"/evidence/{evidence.id}/delete").status_code == 409
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).title == "Email to customer"
    page = client.get(f"/evidence/{evidence.id}").text
    assert "Revise and resubmit" not in page and ">Delete<" not in page


def test_partly_judged_evidence_is_read_only_until_something_is_referred(
        db, people, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.1": "accepted", "2.3": None})
    assert evidence.locked_for_learner
    referred = make_evidence(portfolios["own"], claims={"2.1": "accepted", "2.3": "referred"})
    assert not referred.locked_for_learner and referred.referred


def test_judged_evidence_cannot_be_deleted_even_when_referred(db, browser, client, people,
                                                              referred):
    browser.login(people["learner"])
    assert client.get(f"/evidence/{referred.id}/delete").status_code == 409
    assert db.session.get(Evidence, referred.id) is not None


def test_rewording_a_referred_claim_is_a_resubmission(db, people, portfolios, referred):
    unit = all_units()["unit-40"]
    learner = people["learner"]
    with pytest.raises(Locked, match="cannot be removed"):
        set_claims(referred, unit, {"2.1": "Paragraph 2."}, actor=learner)
    db.session.rollback()
    set_claims(referred, unit, {"2.1": "Paragraph 2.",
                                "2.7": "Paragraph 2: the two options, both within my limit."},
               actor=learner)
    db.session.commit()
    assert referred.version == 2
    assert referred.versions[-1].note == "Reworded the claim for AC 2.7."
    assert referred.versions[-1].content["rationales"]["2.7"].startswith("Paragraph 2: the two")


def test_accepted_claims_cannot_be_reworded(db, people, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    with pytest.raises(Locked, match="cannot be reworded"):
        set_claims(evidence, all_units()["unit-40"], {"2.1": "New words."},
                   actor=people["learner"])


def test_a_file_removed_in_a_revision_stays_downloadable_from_its_version(
        app, db, browser, client, people, portfolios, referred):
    browser.login(people["learner"])
    edit(browser, referred, files=[(io.BytesIO(b"The complaint log.\n"), "log.txt")])
    db.session.expire_all()
    evidence = db.session.get(Evidence, referred.id)
    file_id, sha256 = evidence.files[0].id, evidence.files[0].sha256
    token = browser.token(f"/evidence/{evidence.id}/edit")
    client.post(f"/evidence/{evidence.id}/files/{file_id}/remove", data={"csrf_token": token})
    db.session.expire_all()
    evidence = db.session.get(Evidence, referred.id)
    assert evidence.version == 3 and not evidence.files
    response = client.get(f"/evidence/{evidence.id}/versions/2/files/{sha256}")
    assert response.status_code == 200 and response.data == b"The complaint log.\n"
    response.close()
    # Only a file that version had, and only for people who may see the portfolio.
    assert client.get(f"/evidence/{evidence.id}/versions/1/files/{sha256}"
                      ).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    browser.login(people["other_learner"])
    assert client.get(f"/evidence/{evidence.id}/versions/2/files/{sha256}"
                      ).status_code == 404
    assert client.get(f"/evidence/{evidence.id}/versions/2").status_code == 404


def test_a_save_that_changes_nothing_makes_no_version(db, browser, client, people, referred):
    browser.login(people["learner"])
    response = edit(browser, referred)
    page = client.get(response.headers["Location"]).text
    assert "Nothing was changed" in page
    db.session.expire_all()
    assert db.session.get(Evidence, referred.id).version == 1


def test_assessor_adds_a_claim_the_learner_missed(db, browser, client, people, portfolios,
                                                  referred):
    browser.login(people["assessor"])
    response = browser.submit(f"/evidence/{referred.id}/claims/add", {
        "criterion": "2.3", "rationale": "Paragraph 1 acknowledges how he felt."},
        form_url=f"/evidence/{referred.id}")
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim).where(Claim.criterion_id == "2.3"))
    assert claim.created_by_id == people["assessor"].id and claim.added_by_assessor
    page = client.get(f"/evidence/{referred.id}").text
    assert "Added by the assessor" in page
    # The learner is told, sees the mark, and cannot remove the claim.
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["learner"])
    assert "Added by the assessor" in client.get(f"/evidence/{referred.id}").text
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["learner"].id,
        Notification.message.contains("AC 2.3")))
    with pytest.raises(Locked):
        set_claims(claim.evidence, all_units()["unit-40"],
                   {"2.1": "Paragraph 2.", "2.7": "Paragraph 2."}, actor=people["learner"])


def test_add_claim_needs_a_rationale_and_an_unclaimed_criterion(db, browser, people, referred):
    browser.login(people["assessor"])
    response = browser.submit(f"/evidence/{referred.id}/claims/add",
                              {"criterion": "2.3", "rationale": ""},
                              form_url=f"/evidence/{referred.id}")
    assert response.status_code == 422 and "Say where and how" in response.text
    response = browser.submit(f"/evidence/{referred.id}/claims/add",
                              {"criterion": "2.1", "rationale": "Again"},
                              form_url=f"/evidence/{referred.id}")
    assert response.status_code == 422  # 2.1 is claimed already: not a valid choice
    assert db.session.query(Claim).count() == 2


@pytest.mark.parametrize("who,code", [("other_assessor", 404), ("iqa", 403), ("learner", 403)])
def test_only_the_assessor_adds_claims(db, browser, people, referred, who, code):
    browser.login(people[who])
    token = browser.token("/portfolios/")
    response = browser.client.post(f"/evidence/{referred.id}/claims/add", data={
        "csrf_token": token, "criterion": "2.3", "rationale": "x"})
    assert response.status_code == code
    with pytest.raises(NotAllowed):
        add_claim(referred, all_units()["unit-40"], "2.3", "x", assessor=people["other_assessor"])


def test_claims_tagged_after_saving_belong_to_that_version(db, browser, people, portfolios,
                                                           make_evidence):
    evidence = make_evidence(portfolios["own"])
    browser.login(people["learner"])
    browser.submit(f"/evidence/{evidence.id}/claims", {
        "claim_2_6": "y", "rationale_2_6": "The second email."})
    db.session.expire_all()
    evidence = db.session.get(Evidence, evidence.id)
    assert evidence.version == 1
    assert evidence.versions[0].content["rationales"] == {"2.6": "The second email."}
