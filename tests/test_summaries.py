"""The lists' figures (portfolio_summary) always equal a fresh judgement: written in the same
transaction as every kind of change, and judged again by a list when time or an unmarked
change has made one stale."""

from __future__ import annotations

import json
from datetime import date, timedelta

from helpers import uphold_sample

from portfolio import summaries
from portfolio.ai_use import NO_AI, AiUse
from portfolio.assessment.services import (
    RecordFields,
    add_claim,
    record_decision,
    respond_to_record,
    save_record,
    withdraw_claim,
)
from portfolio.clock import uk_today
from portfolio.coverage import unchanged_through
from portfolio.evidence.services import (
    EvidenceFields,
    add_evidence,
    delete_evidence,
    set_claims,
    update_evidence,
)
from portfolio.facts import coverage_for
from portfolio.models import PortfolioSummary
from portfolio.signoff.services import reopen, sign
from portfolio.units import all_units, unit_for

TODAY = uk_today()


def assert_fresh(db, portfolio, step: str) -> None:
    """The stored summary is the one a fresh judgement would write (written before commit,
    with no list having been opened)."""
    db.session.expire_all()
    stored = db.session.get(PortfolioSummary, portfolio.id)
    assert stored is not None, f"no summary after: {step}"
    fresh = summaries.figures(portfolio, coverage_for(portfolio, unit_for(portfolio), TODAY))
    for column, value in fresh.items():
        if column != "computed_at":
            assert getattr(stored, column) == value, f"{column} after: {step}"


def test_every_kind_of_change_writes_the_summary_in_its_transaction(app, db, people,
                                                                    portfolios):
    unit, own = all_units()["unit-40"], portfolios["own"]
    store = app.extensions["evidence_store"]
    learner, assessor = people["learner"], people["assessor"]
    fields = EvidenceFields("Email", "product_evidence", TODAY, "", "I replied.", NO_AI)

    def step(name, change):
        result = change()
        db.session.commit()
        assert_fresh(db, own, name)
        return result

    evidence = step("evidence added", lambda: add_evidence(
        own, unit, fields, [], actor=learner, store=store, submission_key=None, today=TODAY))
    spare = step("another added", lambda: add_evidence(
        own, unit, fields, [], actor=learner, store=store, submission_key=None, today=TODAY))
    step("evidence deleted", lambda: delete_evidence(spare, actor=learner))
    step("claims set", lambda: set_claims(evidence, unit, {"2.1": "Paragraph 1.",
                                                           "2.6": "Paragraph 2."},
                                          actor=learner))
    assert db.session.get(PortfolioSummary, own.id).awaiting == 2
    reflection = EvidenceFields("Reflection", "reflective_account", TODAY, "", "I learned.", NO_AI)
    account = step("account added", lambda: add_evidence(
        own, unit, reflection, [], actor=learner, store=store, submission_key=None, today=TODAY))
    step("account claimed", lambda: set_claims(account, unit, {"1.1": "Paragraph 1."},
                                               actor=learner))
    drafted = AiUse(used=True, tools="ChatGPT", purposes=("drafting",))
    step("AI drafting declared", lambda: update_evidence(
        account, unit, EvidenceFields("Reflection", "reflective_account", TODAY, "",
                                      "I learned.", drafted), [],
        expected_version=account.version, actor=learner, store=store, today=TODAY))
    step("AI-drafted account accepted: supports only", lambda: record_decision(account.claims[0], "accepted", "",
                                                     assessor=assessor, unit=unit))
    step("referred", lambda: record_decision(evidence.claims[0], "referred", "Say more.",
                                             assessor=assessor))
    step("withdrawn", lambda: withdraw_claim(evidence.claims[1], "Not this item.",
                                             assessor=assessor))
    step("edited and resubmitted", lambda: update_evidence(
        evidence, unit, EvidenceFields("Email", "product_evidence", TODAY, "",
                                       "I replied the same day.", NO_AI), [],
        expected_version=evidence.version, actor=learner, store=store, today=TODAY))
    step("claim added by the assessor", lambda: add_claim(
        evidence, unit, "2.3", "Paragraph 1 acknowledges him.", assessor=assessor))
    from portfolio.models import utcnow
    from portfolio.witness import services as witness

    asked = step("witness asked", lambda: witness.request_testimony(own, unit, witness.WitnessDetails(
        "Sam Carter", "sam@northgate.example", "Team leader", "Line manager", "The call."),
        actor=learner))
    step("witness link passed on", lambda: witness.pass_on(asked.request, actor=assessor))
    testimony = step("witness signed", lambda: witness.submit_testimony(
        asked.request, unit, witness.Testimony(
            "I saw the call.", TODAY, True, "0113 496 0000", "Sam Carter", True,
            job_title="Team leader", relationship_kind="line_manager"), utcnow()))
    step("testimony claimed", lambda: set_claims(testimony, unit, {"2.9": "Sam saw it."},
                                                  actor=learner))
    step("unverified testimony accepted: supports only", lambda: record_decision(
        testimony.claims[0], "accepted", "", assessor=assessor))
    step("testimony verified", lambda: witness.verify(asked.request, "phoned", TODAY, "",
                                                      actor=assessor))
    everything = {c.id: "Seen." for c in unit.criteria}
    record = step("observation recorded", lambda: save_record(
        own, unit, RecordFields("direct_observation", TODAY, None, 20, "Desk", "", "Account."),
        everything, assessor=assessor, today=TODAY))
    step("record disputed", lambda: respond_to_record(record, unit, "disputed", "Not so.",
                                                       learner=learner))
    assert db.session.get(PortfolioSummary, own.id).disputed == 1
    step("record confirmed", lambda: respond_to_record(record, unit, "confirmed", "",
                                                        learner=learner))
    for claim in [c for c in evidence.claims if not c.withdrawn_at]:
        step(f"accepted {claim.criterion_id}", lambda claim=claim: record_decision(
            claim, "accepted", "", assessor=assessor, unit=unit,
            range_items=["email", "telephone"] if claim.criterion_id == "2.3" else None))
    assert db.session.get(PortfolioSummary, own.id).complete
    step("declared", lambda: sign(own, unit, "declaration", "Learner", True, signer=learner,
                                  today=TODAY))
    step("signed off", lambda: sign(own, unit, "sign_off", "Assessor", True, signer=assessor,
                                    today=TODAY))
    assert db.session.get(PortfolioSummary, own.id).valid_through is None  # fixed for ever
    uphold_sample(own, people["iqa"])
    step("countersigned", lambda: sign(own, unit, "countersign", "Iqa", True,
                                       signer=people["iqa"], today=TODAY))
    step("reopened", lambda: reopen(own, "A second look.", actor=people["admin"]))


def test_a_list_judges_again_what_time_or_an_unmarked_change_made_stale(app, db, people,
                                                                         portfolios,
                                                                         make_evidence):
    own, other = portfolios["own"], portfolios["other"]
    make_evidence(own, claims={"2.1": "accepted"})
    make_evidence(other, claims={"2.1": None})
    assert summaries.refresh([own.id, other.id], TODAY) == 2  # none yet: both judged
    assert summaries.refresh([own.id, other.id], TODAY) == 0  # fresh: nothing judged
    make_evidence(other, claims={"2.6": None})  # a change the summary did not see written
    assert summaries.refresh([own.id, other.id], TODAY) == 1
    assert db.session.get(PortfolioSummary, other.id).awaiting == 2
    through = db.session.get(PortfolioSummary, own.id).valid_through
    assert through is not None and through > TODAY
    # The day the oldest evidence may leave the currency window, it is judged again.
    assert summaries.refresh([own.id], through) == 0
    assert summaries.refresh([own.id], through + timedelta(days=1)) == 1
    outcomes = json.loads(db.session.get(PortfolioSummary, own.id).outcomes_json)
    assert [number for number, _, _ in outcomes] == ["1", "2"]


def test_unchanged_through_is_before_the_oldest_evidence_ages_out(app, db, portfolios,
                                                                   make_evidence):
    own = portfolios["own"]
    old = date(TODAY.year - 1, 6, 15)
    make_evidence(own, dated=old, claims={"2.1": None})
    unit = unit_for(own)
    coverage = coverage_for(own, unit, TODAY)
    through = unchanged_through(coverage)

    def current(day: date) -> bool:
        judged = coverage_for(own, unit, day)
        [view] = next(c for c in judged.criteria if c.criterion.id == "2.1").claims
        return view.current

    # Current on the last day it promises, and aged out within a few days after it.
    assert through > TODAY and current(through)
    assert not current(through + timedelta(days=4))
