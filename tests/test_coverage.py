"""The coverage rules, on plain data: no app, no database."""

from datetime import date
from pathlib import Path

import pytest

from portfolio.coverage import (
    ACCEPTED,
    AWAITING,
    IN_ASSESSMENT,
    MET,
    NEEDS_MORE,
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
from portfolio.spec import SUPPORTS, load_unit

UNIT = load_unit(Path(__file__).resolve().parent.parent / "criteria" / "unit-40.toml")
TODAY = date(2026, 11, 24)


def ev(id, method, dated=TODAY, title=None, verified=True):
    """An item; a witness's statement is verified by the assessor unless `verified=False`."""
    return EvidenceFact(id=id, title=title or f"Evidence {id}", method=method, dated=dated,
                        witness_verified=verified)


def status(evidence, claims, criterion):
    cov = compute_coverage(UNIT, evidence, claims, TODAY)
    return next(c for c in cov.criteria if c.criterion.id == criterion)


def test_empty_portfolio_has_seventeen_gaps_with_no_evidence():
    cov = compute_coverage(UNIT, [], [], TODAY)
    assert cov.total == 17 and cov.met == 0 and len(cov.gaps) == 17
    assert all(c.status == NO_EVIDENCE and c.reasons == ("No evidence yet.",) for c in cov.gaps)
    assert [(p.outcome.number, p.met, p.total) for p in cov.outcomes] == [("1", 0, 8), ("2", 0, 9)]


@pytest.mark.parametrize("method", ["direct_observation", "product_evidence"])
def test_performance_criterion_met_by_accepted_workplace_evidence(method):
    c = status([ev(1, method)], [ClaimFact(1, "2.7", ACCEPTED)], "2.7")
    assert c.status == MET and c.met and c.reasons == ()


@pytest.mark.parametrize("method", ["reflective_account", "professional_discussion",
                                    "questions_and_answers", "rpl", "witness_testimony",
                                    "expert_witness"])
def test_performance_criterion_never_met_by_supporting_methods_alone(method):
    c = status([ev(1, method)], [ClaimFact(1, "2.7", ACCEPTED)], "2.7")
    assert c.status == NEEDS_WORKPLACE and not c.met
    reason = c.reasons[-1]
    assert reason.startswith("Only ") and "it can support the claim" in reason
    # The reason names the criterion's own rule, and never speaks of simulation.
    assert reason.endswith("AC 2.7 is met by direct observation or product evidence.")
    assert "simulation" not in " ".join(c.reasons)


def test_reflective_account_reason_names_the_method_used():
    c = status([ev(1, "reflective_account")], [ClaimFact(1, "2.6")], "2.6")
    assert c.reasons == ("Only reflective account so far: it can support the claim, but AC 2.6 "
                         "is met by direct observation or product evidence.",)


def test_supporting_evidence_plus_accepted_workplace_evidence_meets():
    evidence = [ev(1, "reflective_account"), ev(2, "direct_observation")]
    claims = [ClaimFact(1, "2.6", ACCEPTED), ClaimFact(2, "2.6", ACCEPTED)]
    assert status(evidence, claims, "2.6").met


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


def complete_set():
    """Evidence and claims that meet every Unit 40 rule: product evidence for most, a second
    item for 2.1, two channels for 2.3, a direct observation for LO2, a witness for 2.9."""
    evidence = [ev(1, "product_evidence"), ev(2, "direct_observation"),
                ev(3, "witness_testimony")]
    claims = [ClaimFact(1, c.id, ACCEPTED, range_items=("email",) if c.id == "2.3" else ())
              for c in UNIT.criteria if c.id != "2.9"]
    claims += [ClaimFact(2, "2.1", ACCEPTED), ClaimFact(2, "2.3", ACCEPTED,
                                                        range_items=("telephone",)),
               ClaimFact(3, "2.9", ACCEPTED)]
    return evidence, claims


def test_progress_per_learning_outcome_and_completion():
    evidence, claims = complete_set()
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
    disputed = ClaimFact(1, "2.6", ACCEPTED, dispute="I did not say that.")
    cc = status([record], [disputed], "2.6")
    assert cc.status == "disputed" and not cc.met
    assert any("I did not say that." in r for r in cc.reasons)
    assert status([record], [ClaimFact(1, "2.6", ACCEPTED)], "2.6").met


def test_resubmitted_and_disputed_counts():
    items = [ev(1, "product_evidence"), ev(2, "direct_observation")]
    claims = [ClaimFact(1, "2.1", AWAITING, resubmitted=True), ClaimFact(1, "2.3", AWAITING),
              ClaimFact(2, "2.6", ACCEPTED, dispute="Wrong day."),
              ClaimFact(2, "2.7", ACCEPTED, dispute="Wrong day.")]
    coverage = compute_coverage(UNIT, items, claims, TODAY)
    assert coverage.claims_in(AWAITING) == 2 and coverage.resubmitted == 1
    assert coverage.disputed == 1  # one record, however many criteria it covers


# ---- rules per criterion, as the unit's assessment guidance writes them -------------------


@pytest.mark.parametrize("criterion", ["2.2", "2.4", "2.5"])
def test_a_professional_discussion_meets_the_explanations(criterion):
    discussion = ev(1, "professional_discussion", title="Discussion of the Hughes complaint")
    assert status([discussion], [ClaimFact(1, criterion, ACCEPTED)], criterion).met


@pytest.mark.parametrize("criterion", ["2.1", "2.3", "2.6", "2.7", "2.8", "2.9"])
def test_a_professional_discussion_only_supports_the_other_performance(criterion):
    c = status([ev(1, "professional_discussion")], [ClaimFact(1, criterion, ACCEPTED)],
               criterion)
    assert not c.met and c.status == NEEDS_WORKPLACE
    assert c.reasons[-1].startswith("Only professional discussion so far: it can support")
    assert f"AC {criterion} is met by" in c.reasons[-1]


def test_ac_2_9_is_met_by_a_witness_testimony_and_not_by_a_work_product():
    witness = ev(1, "witness_testimony", title="Line manager's testimony")
    assert status([witness], [ClaimFact(1, "2.9", ACCEPTED)], "2.9").met
    c = status([ev(2, "product_evidence")], [ClaimFact(2, "2.9", ACCEPTED)], "2.9")
    assert c.reasons == ("Only product evidence so far: it can support the claim, but AC 2.9 is "
                         "met by witness testimony or direct observation.",)


def test_a_method_a_criterion_neither_meets_nor_supports_does_not_count():
    from portfolio.spec import parse_unit_text

    text = (UNIT.text.replace('id = "1.1"\n', 'id = "1.1"\nmeets = ["reflective_account"]\n'
                              'supports = ["professional_discussion"]\n', 1))
    unit = parse_unit_text(text, "strict.toml")
    c = next(x for x in compute_coverage(unit, [ev(1, "rpl")], [ClaimFact(1, "1.1", ACCEPTED)],
                                         TODAY).criteria if x.criterion.id == "1.1")
    assert not c.met
    assert c.reasons == ("Recognition of prior learning (RPL) does not count towards AC 1.1 in "
                         "this unit: AC 1.1 is met by reflective account.",)


# ---- sufficiency: several examples, a range, a method required in an outcome --------------


def test_min_evidence_two_says_one_more_example_until_the_second_is_accepted():
    assert UNIT.criterion("2.1").min_evidence == 2
    first = [ev(1, "product_evidence", title="Email to Mr Hughes")]
    c = status(first, [ClaimFact(1, "2.1", ACCEPTED)], "2.1")
    assert c.status == NEEDS_MORE and c.status_label == "More evidence needed"
    assert c.reasons == ("One more example needed: AC 2.1 needs 2 separate pieces of accepted "
                         "evidence (1 so far).",)
    both = first + [ev(2, "direct_observation", title="Observation")]
    waiting = status(both, [ClaimFact(1, "2.1", ACCEPTED), ClaimFact(2, "2.1")], "2.1")
    assert waiting.status == IN_ASSESSMENT
    assert waiting.reasons[0] == "Awaiting assessment: “Observation”."
    assert "One more example needed" in waiting.reasons[1]
    assert status(both, [ClaimFact(1, "2.1", ACCEPTED), ClaimFact(2, "2.1", ACCEPTED)],
                  "2.1").met


def test_a_supporting_item_is_not_a_second_example():
    items = [ev(1, "product_evidence"), ev(2, "reflective_account")]
    c = status(items, [ClaimFact(1, "2.1", ACCEPTED), ClaimFact(2, "2.1", ACCEPTED)], "2.1")
    assert c.status == NEEDS_MORE


def test_a_range_is_covered_by_the_confirmed_items_of_accepted_claims():
    rng = UNIT.range_of(UNIT.criterion("2.3"))
    assert list(rng.items) == ["telephone", "email", "face_to_face"]
    phone = [ev(1, "direct_observation", title="Observed call")]
    c = status(phone, [ClaimFact(1, "2.3", ACCEPTED, range_items=("telephone",))], "2.3")
    assert c.status == NEEDS_MORE and c.covered == ("Telephone",)
    assert c.reasons == ("Range still needed: 1 more of email or face to face (2 of the 3 "
                         "channels must be covered). Covered so far: Telephone.",)
    both = phone + [ev(2, "product_evidence", title="Email thread")]
    awaiting = [ClaimFact(1, "2.3", ACCEPTED, range_items=("telephone",)),
                ClaimFact(2, "2.3", AWAITING, range_items=("email",))]
    assert status(both, awaiting, "2.3").status == IN_ASSESSMENT  # claimed, not yet confirmed
    accepted = [awaiting[0], ClaimFact(2, "2.3", ACCEPTED, range_items=("email",))]
    met = status(both, accepted, "2.3")
    assert met.met and met.covered == ("Telephone", "Email")


def test_a_range_that_must_be_covered_whole_names_what_is_missing():
    from portfolio.spec import parse_unit_text

    unit = parse_unit_text(UNIT.text.replace("range_min = 2\n", "", 1), "whole.toml")
    cov = compute_coverage(unit, [ev(1, "product_evidence")],
                           [ClaimFact(1, "2.3", ACCEPTED, range_items=("telephone", "email"))],
                           TODAY)
    c = next(x for x in cov.criteria if x.criterion.id == "2.3")
    assert c.reasons == ("Range still needed: face to face. Covered so far: Telephone and "
                         "Email.",)


def test_learning_outcome_2_needs_a_direct_observation():
    evidence, claims = complete_set()
    without = [c for c in claims if c.evidence_id != 2]
    evidence2 = [e for e in evidence if e.id != 2] + [ev(4, "product_evidence")]
    without += [ClaimFact(4, "2.1", ACCEPTED), ClaimFact(4, "2.3", ACCEPTED,
                                                         range_items=("telephone",))]
    cov = compute_coverage(UNIT, evidence2, without, TODAY)
    assert cov.met == cov.total and not cov.complete
    assert cov.outcome_gaps == ("Learning outcome 2 needs at least one direct observation that "
                                "meets one of its criteria: none is accepted yet.",)
    assert cov.outcomes[1].gaps == cov.outcome_gaps and cov.outcomes[0].gaps == ()


# ---- currency: at the decision, and once signed off at the sign-off ------------------------


def test_currency_is_judged_at_the_decision_and_flagged_once_it_ages_out():
    dated = date(2024, 1, 10)
    item = [ev(1, "product_evidence", dated=dated, title="Log")]
    accepted = [ClaimFact(1, "2.8", ACCEPTED, decided_on=date(2024, 2, 1))]
    later = date(2026, 6, 1)  # more than 24 months after the work
    c = next(x for x in compute_coverage(UNIT, item, accepted, later).criteria
             if x.criterion.id == "2.8")
    assert c.met and c.claims[0].aged_out
    assert c.warnings == ("AC 2.8: “Log” (dated 10 January 2024) has fallen out of the 24-month "
                          "currency window since it was accepted: sign-off needs evidence "
                          "dated on or after 1 June 2024.",)
    # Judged at a sign-off on that later day, it no longer meets the criterion.
    signed_late = compute_coverage(UNIT, item, accepted, later, signed_on=later)
    assert not signed_late.criteria[15].met and signed_late.criteria[15].status == NOT_CURRENT


def test_a_signed_portfolio_keeps_its_verdict_ten_years_on():
    evidence, claims = complete_set()
    signed_on = TODAY
    ten_years = date(TODAY.year + 10, TODAY.month, TODAY.day)
    cov = compute_coverage(UNIT, evidence, claims, ten_years, signed_on=signed_on)
    assert cov.complete and cov.met == 17 and cov.warnings == ()
    assert cov.signed_on == signed_on and cov.judged_on == ten_years
    # The same portfolio unsigned, judged on that day, has aged out: every item is flagged.
    unsigned = compute_coverage(UNIT, evidence, claims, ten_years)
    assert not unsigned.complete or unsigned.warnings  # claims have no decision day here


def test_an_awaiting_claim_is_judged_on_the_day():
    old = months_before(TODAY, 25)
    c = status([ev(1, "product_evidence", dated=old)], [ClaimFact(1, "2.6")], "2.6")
    assert c.status == NOT_CURRENT


# ---- withdrawn claims ----------------------------------------------------------------------


def test_a_withdrawn_claim_stays_visible_and_counts_for_nothing():
    item = [ev(1, "product_evidence", title="Draft email")]
    withdrawn = [ClaimFact(1, "2.6", AWAITING, withdrawn="Not the learner's email.")]
    cov = compute_coverage(UNIT, item, withdrawn, TODAY)
    c = cov.criteria[13]
    assert c.criterion.id == "2.6" and c.status == NO_EVIDENCE
    assert c.reasons == ("No evidence yet.", "The claim with “Draft email” was withdrawn by the "
                                             "assessor: Not the learner's email.")
    assert cov.cell(1, "2.6").withdrawn and cov.claims_in(AWAITING) == 0


def test_records_the_learner_has_not_confirmed_are_listed():
    items = [EvidenceFact(1, "Obs", "direct_observation", TODAY),
             EvidenceFact(2, "Discussion", "professional_discussion", TODAY, answer="disputed"),
             EvidenceFact(3, "Confirmed", "direct_observation", TODAY, answer="confirmed"),
             ev(4, "product_evidence")]
    cov = compute_coverage(UNIT, items, [], TODAY)
    assert [e.title for e in cov.unanswered_records] == ["Obs", "Discussion"]


@pytest.mark.parametrize(("method", "criterion"), [("witness_testimony", "2.9"),
                                                   ("expert_witness", "1.3")])
def test_an_unverified_testimony_supports_until_the_assessor_verifies_it(method, criterion):
    """Unit 40 asks for verification (rules.verify_witnesses): an accepted testimony the
    assessor has not verified supports the criterion and says why; verified, it meets it."""
    claims = [ClaimFact(1, criterion, ACCEPTED)]
    held = status([ev(1, method, verified=False)], claims, criterion)
    assert not held.met and held.status == NEEDS_WORKPLACE
    assert held.claims[0].role == SUPPORTS
    assert any(f"can only support AC {criterion} for now: the assessor has not yet verified"
               in r for r in held.reasons), held.reasons
    assert status([ev(1, method, verified=True)], claims, criterion).met


def test_without_the_rule_a_testimony_meets_unverified():
    from dataclasses import replace as changed

    unit = changed(UNIT, rules=changed(UNIT.rules, verify_witnesses=False))
    cov = compute_coverage(unit, [ev(1, "witness_testimony", verified=False)],
                           [ClaimFact(1, "2.9", ACCEPTED)], TODAY)
    assert next(c for c in cov.criteria if c.criterion.id == "2.9").met
