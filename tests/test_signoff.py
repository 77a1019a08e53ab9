"""The portfolio digest; declaration, sign-off and countersignature bound to it; the lock and
reopening."""

import io
from datetime import date

import pytest
from helpers import make_complete, uphold_sample
from sqlalchemy import select

from portfolio.assessment.services import record_decision, save_record
from portfolio.errors import DomainError, Locked, NotAllowed
from portfolio.evidence.services import (
    EvidenceFields,
    Upload,
    add_evidence,
    check_uploads,
    set_claims,
)
from portfolio.facts import current_digest, portfolio_state
from portfolio.facts import signature_statuses as statuses
from portfolio.models import AuditEvent, Signature
from portfolio.signing import what_changed
from portfolio.signoff.services import reopen, sign
from portfolio.units import all_units

UNIT = "unit-40"
TODAY = date.today()


@pytest.fixture
def complete(portfolios, make_evidence):
    """The learner's portfolio with every criterion met."""
    make_complete(portfolios["own"], make_evidence)
    return portfolios["own"]


def signed(portfolio, people, *kinds):
    unit = all_units()[UNIT]
    who = {"declaration": "learner", "sign_off": "assessor", "countersign": "iqa"}
    for kind in kinds:
        signer = people[who[kind]]
        if kind == "countersign":
            uphold_sample(portfolio, signer)
        sign(portfolio, unit, kind, signer.name, True, signer=signer, today=TODAY)
    from portfolio.extensions import db
    db.session.commit()


# ---------------------------------------------------------------- the digest

def test_digest_is_stable_and_ignores_reads(app, db, client, browser, people, complete):
    first = current_digest(complete)
    assert first == current_digest(complete)
    assert len(first) == 64
    browser.login(people["assessor"])
    for url in (f"/portfolios/{complete.id}", f"/evidence/{complete.evidence[0].id}",
                f"/portfolios/{complete.id}/signatures"):
        assert client.get(url).status_code == 200
    db.session.expire_all()
    assert current_digest(complete) == first


def test_digest_changes_with_content_claims_decisions_files_and_only_this_portfolio(
        app, db, people, portfolios, make_evidence):
    own, other = portfolios["own"], portfolios["other"]
    unit = all_units()[UNIT]
    evidence = make_evidence(own, claims={"2.1": None})
    digests = [current_digest(own)]

    def changed():
        db.session.commit()
        digests.append(current_digest(own))
        assert digests[-1] != digests[-2]

    make_evidence(other, claims={"2.1": "accepted"})  # someone else's portfolio
    db.session.commit()
    assert current_digest(own) == digests[-1]
    set_claims(evidence, unit, {"2.1": "Paragraph 2.", "2.3": "Paragraph 1."},
               actor=people["learner"])
    changed()
    record_decision(evidence.claims[0], "referred", "Say more.", assessor=people["assessor"])
    changed()
    store = app.extensions["evidence_store"]
    files = check_uploads(store, [Upload(io.BytesIO(b"log\n"), "log.txt")], 10_000)
    from portfolio.evidence.services import update_evidence
    update_evidence(evidence, unit, EvidenceFields(evidence.title, evidence.method,
                                                   evidence.dated, "", evidence.account_md),
                    files, expected_version=evidence.version, actor=people["learner"],
                    store=store, today=TODAY)
    changed()
    add_evidence(own, unit, EvidenceFields("Letter", "product_evidence", TODAY, "", "Text."),
                 [], actor=people["learner"], store=store, submission_key=None, today=TODAY)
    changed()


def test_what_changed_names_the_differences(db, people, portfolios, make_evidence):
    own = portfolios["own"]
    evidence = make_evidence(own, title="Email", claims={"2.1": None})
    before = portfolio_state(own)
    record_decision(evidence.claims[0], "accepted", "", assessor=people["assessor"])
    make_evidence(own, title="Letter")
    db.session.commit()
    assert what_changed(before, portfolio_state(own)) == [
        "AC 2.1 on “Email”: accepted.", "Evidence added: “Letter”."]


# ---------------------------------------------------------------- who signs what, and when

def test_sign_off_is_refused_while_gaps_remain(db, people, portfolios, make_evidence):
    make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    signed(portfolios["own"], people, "declaration")
    with pytest.raises(DomainError, match="Not every criterion is met yet"):
        sign(portfolios["own"], all_units()[UNIT], "sign_off", "Assessor", True,
             signer=people["assessor"], today=TODAY)


def test_sign_off_needs_a_current_declaration(db, people, complete):
    with pytest.raises(DomainError, match="has not declared"):
        sign(complete, all_units()[UNIT], "sign_off", "Assessor", True,
             signer=people["assessor"], today=TODAY)


@pytest.mark.parametrize("kind,who", [
    ("declaration", "assessor"), ("declaration", "other_learner"), ("declaration", "admin"),
    ("sign_off", "learner"), ("sign_off", "other_assessor"), ("sign_off", "iqa"),
    ("sign_off", "admin"), ("countersign", "assessor"), ("countersign", "other_iqa"),
    ("countersign", "learner"), ("countersign", "admin")])
def test_only_the_right_person_signs(db, people, complete, kind, who):
    signed(complete, people, "declaration")
    if kind == "countersign":
        signed(complete, people, "sign_off")
    with pytest.raises(NotAllowed):
        sign(complete, all_units()[UNIT], kind, people[who].name, True, signer=people[who],
             today=TODAY)


def test_a_signature_needs_the_typed_name_and_the_tick(db, people, complete):
    unit = all_units()[UNIT]
    with pytest.raises(DomainError, match="Type your full name"):
        sign(complete, unit, "declaration", "P. Someone", True, signer=people["learner"],
             today=TODAY)
    with pytest.raises(DomainError, match="Tick the box"):
        sign(complete, unit, "declaration", "Learner", False, signer=people["learner"],
             today=TODAY)
    sign(complete, unit, "declaration", "  learner ", True, signer=people["learner"],
         today=TODAY)  # case and spaces do not matter


def test_countersignature_needs_a_current_sign_off(db, people, complete):
    signed(complete, people, "declaration")
    with pytest.raises(DomainError, match="no current assessor sign-off"):
        sign(complete, all_units()[UNIT], "countersign", "Iqa", True, signer=people["iqa"],
             today=TODAY)


def test_the_full_chain_keeps_signer_role_time_name_and_digest(db, people, complete):
    digest = current_digest(complete)
    signed(complete, people, "declaration", "sign_off", "countersign")
    rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [(s.kind, s.role, s.typed_name, s.digest) for s in rows] == [
        ("declaration", "learner", "Learner", digest),
        ("sign_off", "assessor", "Assessor", digest),
        ("countersign", "iqa", "Iqa", digest)]
    assert all(s.current for s in statuses(complete))
    assert complete.locked
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"signature.declaration", "signature.sign_off", "signature.countersign"} <= set(
        actions)


def test_a_change_after_the_declaration_supersedes_it_with_what_changed(
        db, people, complete, make_evidence):
    signed(complete, people, "declaration")
    make_evidence(complete, title="Late letter")
    (status,) = statuses(complete)
    assert not status.current and status.changes == ("Evidence added: “Late letter”.",)
    # and the assessor cannot sign off on the strength of it
    with pytest.raises(DomainError, match="has not declared"):
        sign(complete, all_units()[UNIT], "sign_off", "Assessor", True,
             signer=people["assessor"], today=TODAY)


# ---------------------------------------------------------------- the lock and reopening

def test_after_sign_off_nothing_can_change(app, db, people, complete):
    signed(complete, people, "declaration", "sign_off")
    unit = all_units()[UNIT]
    evidence = complete.evidence[0]
    store = app.extensions["evidence_store"]
    with pytest.raises(Locked):
        add_evidence(complete, unit, EvidenceFields("New", "product_evidence", TODAY, "", "x"),
                     [], actor=people["learner"], store=store, submission_key=None,
                     today=TODAY)
    with pytest.raises(Locked):
        set_claims(evidence, unit, {**{c.criterion_id: c.rationale for c in evidence.claims}},
                   actor=people["learner"])
    with pytest.raises(Locked):
        record_decision(evidence.claims[0], "referred", "No.", assessor=people["assessor"])
    from portfolio.assessment.services import RecordFields
    with pytest.raises(Locked):
        save_record(complete, unit, RecordFields("direct_observation", TODAY, None, 10, "Desk",
                                                 "", "Account"), {"2.1": "Seen."},
                    assessor=people["assessor"], today=TODAY)


def test_locked_pages_offer_no_changes(db, client, browser, people, complete):
    signed(complete, people, "declaration", "sign_off")
    evidence = complete.evidence[0]
    browser.login(people["learner"])
    page = client.get(f"/portfolios/{complete.id}").text
    assert "Signed off" in page and "Add evidence" not in page
    response = client.get(f"/portfolios/{complete.id}/evidence/new", follow_redirects=True)
    assert "nothing can be added until it is reopened" in response.text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{evidence.id}").text
    assert "Record decision" not in page and "Add a claim" not in page


def test_reopen_needs_a_reason_and_the_right_person(db, people, complete):
    signed(complete, people, "declaration", "sign_off", "countersign")
    for who in ("learner", "iqa", "other_assessor"):
        with pytest.raises(NotAllowed):
            reopen(complete, "Because.", actor=people[who])
    with pytest.raises(DomainError, match="Give the reason"):
        reopen(complete, "  ", actor=people["assessor"])
    reopen(complete, "IQA sample: AC 2.9 needs a witness testimony.", actor=people["admin"])
    db.session.commit()
    assert not complete.locked
    listed = statuses(complete)
    assert len(listed) == 3 and not any(s.current for s in listed)
    assert listed[0].changes[0] == ("The portfolio was reopened: IQA sample: AC 2.9 needs a "
                                    "witness testimony.")
    assert "portfolio.reopened" in db.session.scalars(select(AuditEvent.action)).all()
    # New signatures are needed, and possible, afterwards.
    signed(complete, people, "declaration", "sign_off")
    assert complete.locked and sum(s.current for s in statuses(complete)) == 2


def test_signing_through_the_page(db, client, browser, people, complete):
    browser.login(people["learner"])
    url = f"/portfolios/{complete.id}/signatures"
    page = client.get(url).text
    assert "I declare that the evidence in this portfolio is my own work" in page
    response = browser.submit(url, {"kind": "declaration", "typed_name": "Someone Else",
                                    "confirmed": "y"})
    assert response.status_code == 422 and "Type your full name as it is" in response.text
    response = browser.submit(url, {"kind": "declaration", "typed_name": "Learner",
                                    "confirmed": "y"}, follow_redirects=True)
    assert "Signed: Learner&#39;s declaration." in response.text
    assert "Current" in response.text
    # A learner cannot slip in an assessor's sign-off by changing the hidden field.
    response = browser.submit(url, {"kind": "sign_off", "typed_name": "Learner",
                                    "confirmed": "y"})
    assert response.status_code == 403
    assert db.session.query(Signature).count() == 1


def test_closing_the_signers_accounts_leaves_their_signatures_current(db, client, browser,
                                                                      people, complete):
    """A leaver's signatures stay: closing an account changes nothing the digest covers."""
    from portfolio.admin.accounts import deactivate, needs_reassigning

    signed(complete, people, "declaration", "sign_off", "countersign")
    digest = current_digest(complete)
    for who in ("learner", "assessor", "iqa"):
        deactivate(people[who], "Left the centre", actor=people["admin"])
    db.session.commit()
    assert current_digest(complete) == digest
    assert all(s.current for s in statuses(complete))
    assert not needs_reassigning(complete)  # signed off: nobody needs to take it over
    browser.login(people["admin"])
    page = client.get(f"/portfolios/{complete.id}/signatures")
    assert page.status_code == 200 and "Assessor" in page.text
