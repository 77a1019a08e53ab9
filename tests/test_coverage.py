"""The coverage rules, on plain data: no app, no database."""

from datetime import date
from pathlib import Path

import pytest

from portfolio.coverage import (
    ACCEPTED,
    AWAITING,
    IN_ASSESSMENT,
    MET,
    NEEDS_WORKPLACE,
    NO_EVIDENCE,
    NOT_CURRENT,
    REFERRED,
    REFERRED_BACK,
    ClaimFact,
    EvidenceFact,
    compute_coverage,
    months_before,
)
from portfolio.spec import load_unit

UNIT = load_unit(Path(__file__).resolve().parent.parent / "criteria" / "unit-40.toml")
TODAY = date(2026, 11, 24)


def ev(id, method, dated=TODAY, title=None):
    return EvidenceFact(id=id, title=title or f"Evidence {id}", method=method, dated=dated)


def status(evidence, claims, criterion):
    cov = compute_coverage(UNIT, evidence, claims, TODAY)
    return next(c for c in cov.criteria if c.criterion.id == criterion)


def test_empty_portfolio_has_seventeen_gaps_with_no_evidence():
    cov = compute_coverage(UNIT, [], [], TODAY)
    assert cov.total == 17 and cov.met == 0 and len(cov.gaps) == 17
    assert all(c.status == NO_EVIDENCE and c.reasons == ("No evidence yet.",) for c in cov.gaps)
    assert [(p.outcome.number, p.met, p.total) for p in cov.outcomes] == [("1", 0, 8), ("2", 0, 9)]


@pytest.mark.parametrize("method", ["direct_observation", "product_evidence",
                                    "witness_testimony", "expert_witness"])
def test_performance_criterion_met_by_accepted_workplace_evidence(method):
    c = status([ev(1, method)], [ClaimFact(1, "2.7", ACCEPTED)], "2.7")
    assert c.status == MET and c.met and c.reasons == ()


@pytest.mark.parametrize("method", ["reflective_account", "professional_discussion",
                                    "questions_and_answers", "rpl"])
def test_performance_criterion_never_met_by_supporting_methods_alone(method):
    c = status([ev(1, method)], [ClaimFact(1, "2.7", ACCEPTED)], "2.7")
    assert c.status == NEEDS_WORKPLACE and not c.met
    reason = c.reasons[-1]
    assert reason.startswith("Only ") and "this performance criterion needs workplace evidence" in reason
    assert "simulation is not allowed" in reason
    # The suggestion names the usual workplace methods for 2.7, not the supporting ones.
    assert "direct observation" in reason and "product evidence" in reason
    assert "such as professional discussion" not in reason


def test_reflective_account_reason_names_the_method_used():
    c = status([ev(1, "reflective_account")], [ClaimFact(1, "2.1")], "2.1")
    assert c.reasons == ("Only reflective account so far: it can support the claim, but this "
                         "performance criterion needs workplace evidence such as direct "
                         "observation or product evidence; simulation is not allowed.",)


def test_supporting_evidence_plus_accepted_workplace_evidence_meets():
    evidence = [ev(1, "reflective_account"), ev(2, "direct_observation")]
    claims = [ClaimFact(1, "2.3", ACCEPTED), ClaimFact(2, "2.3", ACCEPTED)]
    assert status(evidence, claims, "2.3").met


@pytest.mark.parametrize("method", ["reflective_account", "professional_discussion",
                                    "questions_and_answers", "rpl", "product_evidence",
                                    "direct_observation"])
def test_knowledge_criterion_met_by_any_accepted_method(method):
    assert status([ev(1, method)], [ClaimFact(1, "1.4", ACCEPTED)], "1.4").met


def test_awaiting_assessment_reason_names_the_evidence():
    c = status([ev(1, "product_evidence", title="Email to Mr Hughes")],
               [ClaimFact(1, "2.6", AWAITING)], "2.6")
    assert c.status == IN_ASSESSMENT
    assert c.reasons == ("Awaiting assessment: “Email to Mr Hughes”.",)


def test_referred_reason_carries_the_feedback():
    c = status([ev(1, "product_evidence", title="Log")],
               [ClaimFact(1, "2.8", REFERRED, "Show the outcome field.")], "2.8")
    assert c.status == REFERRED_BACK
    assert c.reasons == ("Referred (“Log”): Show the outcome field.",)


def test_awaiting_outranks_referred_but_both_reasons_show():
    evidence = [ev(1, "product_evidence", title="A"), ev(2, "product_evidence", title="B")]
    claims = [ClaimFact(1, "2.8", REFERRED, "More."), ClaimFact(2, "2.8", AWAITING)]
    c = status(evidence, claims, "2.8")
    assert c.status == IN_ASSESSMENT and len(c.reasons) == 2


def test_referred_then_accepted_elsewhere_is_met():
    evidence = [ev(1, "product_evidence"), ev(2, "product_evidence")]
    claims = [ClaimFact(1, "2.8", REFERRED, "More."), ClaimFact(2, "2.8", ACCEPTED)]
    assert status(evidence, claims, "2.8").met


def test_evidence_older_than_the_currency_window_does_not_meet():
    window = UNIT.rules.currency_window_months
    old = months_before(TODAY, window + 1)
    c = status([ev(1, "product_evidence", dated=old, title="Old log")],
               [ClaimFact(1, "2.8", ACCEPTED)], "2.8")
    assert c.status == NOT_CURRENT and not c.met
    assert "older than the 24-month currency window" in c.reasons[0]
    assert "“Old log”" in c.reasons[0]
    assert c.claims[0].can_meet and not c.claims[0].current


def test_evidence_on_the_first_day_of_the_window_is_current():
    start = months_before(TODAY, UNIT.rules.currency_window_months)
    assert status([ev(1, "product_evidence", dated=start)],
                  [ClaimFact(1, "2.8", ACCEPTED)], "2.8").met


def test_stale_awaiting_claim_is_reported_as_out_of_date_not_awaiting():
    old = date(2020, 1, 1)
    c = status([ev(1, "product_evidence", dated=old)], [ClaimFact(1, "2.1", AWAITING)], "2.1")
    assert c.status == NOT_CURRENT


def test_claims_on_unknown_criteria_or_missing_evidence_are_ignored():
    cov = compute_coverage(UNIT, [ev(1, "product_evidence")],
                           [ClaimFact(1, "9.9", ACCEPTED), ClaimFact(2, "2.1", ACCEPTED)], TODAY)
    assert cov.met == 0


def test_progress_per_learning_outcome_and_completion():
    evidence = [ev(1, "product_evidence")]
    claims = [ClaimFact(1, c.id, ACCEPTED) for c in UNIT.criteria]
    cov = compute_coverage(UNIT, evidence, claims, TODAY)
    assert cov.complete and cov.gaps == ()
    assert [(p.met, p.total, p.percent) for p in cov.outcomes] == [(8, 8, 100), (9, 9, 100)]


def test_grid_cell_and_claim_count():
    evidence = [ev(1, "reflective_account"), ev(2, "product_evidence")]
    claims = [ClaimFact(1, "1.3", ACCEPTED), ClaimFact(1, "2.2"), ClaimFact(2, "2.2")]
    cov = compute_coverage(UNIT, evidence, claims, TODAY)
    assert cov.cell(1, "1.3").state == ACCEPTED
    assert cov.cell(1, "2.2").can_meet is False  # shown as "supports only"
    assert cov.cell(2, "2.2").can_meet is True
    assert cov.cell(2, "1.3") is None
    assert cov.claim_count(1) == 2 and cov.claim_count(2) == 1
    assert [e.id for e in cov.evidence] == [1, 2]


def test_every_gap_has_a_hint_from_the_guidance():
    cov = compute_coverage(UNIT, [], [], TODAY)
    by_id = {c.criterion.id: c for c in cov.criteria}
    assert by_id["2.9"].hint.startswith("Usually evidenced by Witness testimony")
    assert "line manager" in by_id["2.9"].hint
    assert "Direct observation" in by_id["2.1"].hint
    assert all(c.hint for c in cov.criteria)


@pytest.mark.parametrize("day,months,expected", [
    (date(2026, 11, 24), 24, date(2024, 11, 24)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2026, 1, 15), 1, date(2025, 12, 15)),
])
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_a_disputed_record_meets_nothing_and_says_why():
    record = ev(1, "direct_observation", title="Observation 12 November")
    disputed = ClaimFact(1, "2.1", ACCEPTED, dispute="I did not say that.")
    cc = status([record], [disputed], "2.1")
    assert cc.status == "disputed" and not cc.met
    assert any("I did not say that." in r for r in cc.reasons)
    assert status([record], [ClaimFact(1, "2.1", ACCEPTED)], "2.1").met


def test_resubmitted_and_disputed_counts():
    items = [ev(1, "product_evidence"), ev(2, "direct_observation")]
    claims = [ClaimFact(1, "2.1", AWAITING, resubmitted=True), ClaimFact(1, "2.3", AWAITING),
              ClaimFact(2, "2.6", ACCEPTED, dispute="Wrong day."),
              ClaimFact(2, "2.7", ACCEPTED, dispute="Wrong day.")]
    coverage = compute_coverage(UNIT, items, claims, TODAY)
    assert coverage.claims_in(AWAITING) == 2 and coverage.resubmitted == 1
    assert coverage.disputed == 1  # one record, however many criteria it covers
