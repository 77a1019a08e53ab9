"""The audit trail: an event for every change and significant read; the page and its CSV."""

import csv
import io
from datetime import date

import pytest
from helpers import uphold_sample
from sqlalchemy import select

from portfolio import audit
from portfolio.ai_use import NO_AI
from portfolio.assessment.services import (
    RecordFields,
    add_claim,
    record_decision,
    respond_to_record,
    save_record,
)
from portfolio.evidence.services import (
    EvidenceFields,
    add_evidence,
    delete_evidence,
    set_claims,
    update_evidence,
)
from portfolio.models import AuditEvent
from portfolio.signoff.services import reopen, sign
from portfolio.units import all_units

TODAY = date.today()


def test_every_action_writes_an_audit_event(app, db, people, portfolios):
    unit = all_units()["unit-40"]
    own = portfolios["own"]
    store = app.extensions["evidence_store"]
    learner, assessor = people["learner"], people["assessor"]
    fields = EvidenceFields("Email", "product_evidence", TODAY, "", "I replied.", NO_AI)
    evidence = add_evidence(own, unit, fields, [], actor=learner, store=store,
                            submission_key=None, today=TODAY)
    spare = add_evidence(own, unit, fields, [], actor=learner, store=store,
                         submission_key=None, today=TODAY)
    delete_evidence(spare, actor=learner)
    set_claims(evidence, unit, {"2.1": "Paragraph 1."}, actor=learner)
    record_decision(evidence.claims[0], "referred", "Say more.", assessor=assessor)
    update_evidence(evidence, unit, EvidenceFields("Email", "product_evidence", TODAY, "",
                                                   "I replied the same day."), [],
                    expected_version=evidence.version, actor=learner, store=store,
                    today=TODAY)
    add_claim(evidence, unit, "2.3", "Paragraph 1 acknowledges him.", assessor=assessor)
    everything = {c: "Seen." for c in [c.id for c in unit.criteria]}
    record = save_record(own, unit, RecordFields("direct_observation", TODAY, None, 20, "Desk",
                                                 "", "Account."), everything,
                         assessor=assessor, today=TODAY)
    respond_to_record(record, unit, "confirmed", "", learner=learner)
    for claim in evidence.claims:  # the assessor confirms the channels the email shows
        record_decision(claim, "accepted", "", assessor=assessor, unit=unit,
                        range_items=["email", "telephone"] if claim.criterion_id == "2.3"
                        else None)
    sign(own, unit, "declaration", "Learner", True, signer=learner, today=TODAY)
    sign(own, unit, "sign_off", "Assessor", True, signer=assessor, today=TODAY)
    uphold_sample(own, people["iqa"])
    sign(own, unit, "countersign", "Iqa", True, signer=people["iqa"], today=TODAY)
    reopen(own, "A second look.", actor=people["admin"])
    db.session.commit()
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.portfolio_id == own.id)))
    assert actions >= {
        "evidence.added", "evidence.deleted", "claims.changed", "decision.referred",
        "evidence.changed", "evidence.resubmitted", "claim.added_by_assessor", "record.added",
        "record.confirmed", "decision.accepted", "signature.declaration",
        "signature.sign_off", "signature.countersign", "portfolio.reopened",
        "sample.planned", "sample.completed"}
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.changed"))
    assert changed.detail["changed"]["account_md"] == {"before": "I replied.",
                                                      "after": "I replied the same day."}


@pytest.fixture
def events(db, people, portfolios):
    own = portfolios["own"]
    audit.record("evidence.added", actor=people["learner"], portfolio=own, summary="Added “A”")
    audit.record("decision.accepted", actor=people["assessor"], portfolio=own,
                 summary="=HYPERLINK(\"http://evil.example\")")
    audit.record("decision.referred", actor=people["assessor"], portfolio=own,
                 summary="AC 2.1 referred")
    audit.record("evidence.added", actor=people["other_learner"], portfolio=portfolios["other"],
                 summary="Someone else's")
    db.session.commit()
    return own


@pytest.mark.parametrize("who,code", [("assessor", 200), ("iqa", 200), ("admin", 200),
                                      ("learner", 403), ("other_assessor", 404),
                                      ("other_iqa", 404)])
def test_who_may_read_the_audit_trail(client, browser, people, events, who, code):
    browser.login(people[who])
    assert client.get(f"/portfolios/{events.id}/audit").status_code == code
    assert client.get(f"/portfolios/{events.id}/audit?format=csv").status_code == code


def test_the_page_filters_by_what_and_who(client, browser, people, events):
    browser.login(people["iqa"])
    page = client.get(f"/portfolios/{events.id}/audit").text
    assert "Added “A”" in page and "AC 2.1 referred" in page and "Someone else" not in page
    page = client.get(f"/portfolios/{events.id}/audit?action=decision").text
    assert "AC 2.1 referred" in page and "Added “A”" not in page
    page = client.get(f"/portfolios/{events.id}/audit?actor={people['learner'].email}").text
    assert "Added “A”" in page and "AC 2.1 referred" not in page
    page = client.get(f"/portfolios/{events.id}/audit?since=2000-01-01&until=2000-01-02").text
    assert "No events match." in page


def test_the_csv_is_safe_in_a_spreadsheet_and_its_download_is_audited(db, client, browser,
                                                                      people, events):
    browser.login(people["admin"])
    response = client.get(f"/portfolios/{events.id}/audit?action=decision&format=csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["time (UTC)", "who", "action", "summary", "detail"]
    summaries = [r[3] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\")" in summaries and len(summaries) == 2
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.exported"))
    assert exported.actor_email == people["admin"].email
