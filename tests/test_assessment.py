"""Assessors judge claims: accept, or refer with feedback; decisions are appended."""

from datetime import date

import pytest
from sqlalchemy import select

from portfolio.assessment.services import record_decision
from portfolio.errors import DomainError, NotAllowed
from portfolio.facts import coverage_for
from portfolio.models import Decision
from portfolio.units import all_units


@pytest.fixture
def claim(portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], title="Complaint log", claims={"2.8": None})
    return evidence.claims[0]


def decide(browser, claim, **data):
    fields = {f"claim{claim.id}-{k}": v for k, v in data.items()}
    return browser.submit(f"/claims/{claim.id}/decision", fields,
                          form_url=f"/evidence/{claim.evidence_id}")


def test_assessor_accepts_and_the_criterion_is_met(db, browser, people, portfolios, claim):
    browser.login(people["assessor"])
    response = decide(browser, claim, outcome="accepted", feedback="")
    assert response.status_code == 302
    coverage = coverage_for(portfolios["own"], all_units()["unit-40"], date.today())
    assert next(c for c in coverage.criteria if c.criterion.id == "2.8").met


def test_referral_needs_feedback_and_keeps_what_was_typed(db, browser, people, claim):
    browser.login(people["assessor"])
    response = decide(browser, claim, outcome="referred", feedback="")
    assert response.status_code == 422
    assert "Say what is missing when you refer a claim." in response.text
    response = decide(browser, claim, feedback="The outcome column is blank for row 3.")
    assert response.status_code == 422 and "Choose accept or refer." in response.text
    assert "The outcome column is blank for row 3." in response.text
    assert db.session.query(Decision).count() == 0


def test_history_is_appended_and_shown_to_the_learner(db, client, browser, people, claim):
    browser.login(people["assessor"])
    decide(browser, claim, outcome="referred", feedback="Show the outcome.")
    decide(browser, claim, outcome="accepted", feedback="Now complete.")
    decide(browser, claim, outcome="accepted", feedback="Now complete.")  # double submit
    outcomes = db.session.scalars(select(Decision.outcome).order_by(Decision.id)).all()
    assert outcomes == ["referred", "accepted"]
    client.post("/logout", data={"csrf_token": browser.token(f"/evidence/{claim.evidence_id}")})
    browser.login(people["learner"])
    page = client.get(f"/evidence/{claim.evidence_id}").text
    assert "Show the outcome." in page and "Now complete." in page
    assert "Your decision" not in page and "New decision" not in page


@pytest.mark.parametrize("who,status", [("other_assessor", 404), ("iqa", 403),
                                        ("learner", 403), ("admin", 403)])
def test_only_the_learners_own_assessor_may_judge(db, browser, people, portfolios, claim,
                                                   who, status):
    browser.login(people[who])
    token = browser.token("/portfolios/")
    response = browser.client.post(f"/claims/{claim.id}/decision", data={
        "csrf_token": token, f"claim{claim.id}-outcome": "accepted"})
    assert response.status_code == status
    assert db.session.query(Decision).count() == 0


def test_service_refuses_the_wrong_assessor_and_empty_referrals(people, claim):
    with pytest.raises(NotAllowed):
        record_decision(claim, "accepted", "", assessor=people["other_assessor"])
    with pytest.raises(DomainError, match="Say what is missing"):
        record_decision(claim, "referred", "  ", assessor=people["assessor"])
