"""IQA sampling: the plan page, sample records, the conflict rule, actions, countersigning,
and the EQA sample pack."""

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from helpers import make_complete, uphold_sample
from sqlalchemy import select

from portfolio.errors import DomainError, NotAllowed
from portfolio.iqa.services import (
    CheckInput,
    add_to_plan,
    answer_action,
    complete_sample,
    sampled_decisions,
)
from portfolio.models import AuditEvent, Decision, Notification, Sample
from portfolio.signoff.services import sign
from portfolio.units import all_units

TODAY = date.today()


@pytest.fixture
def judged(portfolios, make_evidence):
    """The learner's portfolio with two decisions: one accepted, one referred."""
    make_evidence(portfolios["own"], title="Reply to Mr Khan",
                  claims={"2.1": "accepted", "2.3": "referred"})
    return portfolios["own"]


def record(sample, iqa, *, agree=True, outcome="upheld", actions=(), due=None, comment=""):
    checks = {d.id: CheckInput(agree, comment) for d in sampled_decisions(sample.portfolio)}
    return complete_sample(sample, checks, outcome, "Clear feedback given.", list(actions), due,
                           actor=iqa, today=TODAY)


def test_a_sample_record_checks_every_decision_and_says_why_on_disagreement(db, people,
                                                                           judged):
    iqa = people["iqa"]
    sample = add_to_plan(judged, actor=iqa, reason="Towards target")
    decisions = sampled_decisions(judged)
    assert len(decisions) == 2
    with pytest.raises(DomainError, match="Say whether you agree"):
        complete_sample(sample, {}, "upheld", "Fine.", [], None, actor=iqa, today=TODAY)
    with pytest.raises(DomainError, match="Say why you disagree"):
        record(sample, iqa, agree=False, outcome="action_required", actions=["Do x"],
               due=TODAY)
    with pytest.raises(DomainError, match="so the outcome is “action required”"):
        record(sample, iqa, agree=False, comment="The reply never apologises.")
    with pytest.raises(DomainError, match="at least one action.*due"):
        record(sample, iqa, agree=False, comment="No apology.", outcome="action_required")
    with pytest.raises(DomainError, match="in the past"):
        record(sample, iqa, agree=False, comment="No apology.", outcome="action_required",
               actions=["Re-judge AC 2.1"], due=TODAY - timedelta(days=1))
    record(sample, iqa, agree=False, comment="No apology.", outcome="action_required",
           actions=["Re-judge AC 2.1 with the learner", "  ", "Discuss at standardisation"],
           due=TODAY + timedelta(days=14))
    db.session.commit()
    assert sample.completed and sample.outcome == "action_required"
    assert [a.text for a in sample.actions] == ["Re-judge AC 2.1 with the learner",
                                                "Discuss at standardisation"]
    assert all(not c.agrees and c.comment == "No apology." for c in sample.checks)
    assert sample.stage == "interim" and len(sample.digest) == 64
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sample.completed"))
    assert event.portfolio_id == judged.id and event.detail["outcome"] == "action_required"
    told = db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id))
    assert "Action required" in told.message and "2 actions" in told.message
    with pytest.raises(DomainError, match="already recorded"):
        record(sample, iqa)


def test_the_assessor_answers_the_actions_and_only_the_assessor(db, people, judged):
    sample = add_to_plan(judged, actor=people["iqa"])
    record(sample, people["iqa"], agree=False, comment="Thin.", outcome="action_required",
           actions=["Add the customer's reply"], due=TODAY)
    action = sample.actions[0]
    for who in ("learner", "iqa", "other_assessor", "admin"):
        with pytest.raises(NotAllowed):
            answer_action(action, "Done.", actor=people[who])
    with pytest.raises(DomainError, match="Write what you have done"):
        answer_action(action, "  ", actor=people["assessor"])
    answer_action(action, "Added the reply as E3; re-judged.", actor=people["assessor"])
    db.session.commit()
    assert action.responded_at is not None and action.responded_by_id == people["assessor"].id
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "sample.action_answered")) is not None
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["iqa"].id)) is not None


def test_an_iqa_never_samples_a_portfolio_they_assessed(db, people, judged):
    iqa = people["iqa"]
    claim = judged.evidence[0].claims[0]
    # The IQA once judged a claim here (say, covering for the assessor): a conflict for good.
    claim.decisions.append(Decision(outcome="accepted", assessor_id=iqa.id))
    db.session.commit()
    with pytest.raises(NotAllowed, match="took part in assessing"):
        add_to_plan(judged, actor=iqa)
    with pytest.raises(NotAllowed):
        add_to_plan(judged, actor=people["other_iqa"])  # not this portfolio's IQA


def test_the_plan_page_proposes_adds_and_downloads(db, client, browser, people, judged):
    browser.login(people["iqa"])
    page = client.get("/quality/")
    assert page.status_code == 200
    assert "Assessor" in page.text and "New assessor" in page.text  # not rated yet
    assert "Below target" in page.text and "Learner" in page.text
    assert "summative (signed-off) portfolio: no portfolio is signed off yet" in page.text
    added = browser.submit("/quality/plan", {"all": "1"}, form_url="/quality/",
                           follow_redirects=True)
    assert "Added 1 portfolio to the plan" in added.text and "Target met" in added.text
    sample = db.session.scalar(select(Sample))
    assert "covers assessor Assessor" in sample.reason
    rated = browser.submit(f"/quality/assessors/{people['assessor'].id}/risk",
                           {f"r{people['assessor'].id}-rating": "experienced",
                            f"r{people['assessor'].id}-reasons": "Five years, no actions."},
                           form_url="/quality/", follow_redirects=True)
    assert "Saved the rating" in rated.text and "Five years, no actions." in rated.text
    csv_text = client.get("/quality/plan.csv").text
    assert "Experienced,\"Five years, no actions.\",20,1,1,1,yes" in csv_text
    assert "Learner,Assessor,unit-40,Interim" in csv_text


def test_sampling_through_the_pages(db, client, browser, people, judged):
    browser.login(people["iqa"])
    started = browser.submit(f"/quality/portfolios/{judged.id}/sample", {},
                             form_url=f"/portfolios/{judged.id}")
    sample_url = started.headers["Location"]
    form = client.get(sample_url).text
    assert "Reply to Mr Khan" in form and "I disagree" in form
    ids = [d.id for d in sampled_decisions(judged)]
    missing = browser.submit(sample_url, {"outcome": "upheld", "feedback": "Good."})
    assert missing.status_code == 422 and "Say whether you agree" in missing.text
    done = browser.submit(sample_url, {"outcome": "upheld", "feedback": "Good.",
                                       **{f"agree-{i}": "yes" for i in ids}},
                          follow_redirects=True)
    assert "Sample recorded" in done.text and "Decisions upheld" in done.text
    # The assessor reads it; the learner does not.
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])
    assert client.get(sample_url).status_code == 200
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["learner"])
    assert client.get(sample_url).status_code == 403


def test_countersigning_needs_an_upheld_sample_of_the_portfolio_as_signed_off(
        db, people, portfolios, make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    unit = all_units()["unit-40"]
    iqa = people["iqa"]
    sign(own, unit, "declaration", "Learner", True, signer=people["learner"], today=TODAY)
    sign(own, unit, "sign_off", "Assessor", True, signer=people["assessor"], today=TODAY)
    db.session.commit()
    with pytest.raises(DomainError, match="Sample this portfolio first"):
        sign(own, unit, "countersign", "Iqa", True, signer=iqa, today=TODAY)
    sample = add_to_plan(own, actor=iqa)
    record(sample, iqa, agree=False, comment="2.9 needs the line manager.",
           outcome="action_required", actions=["Get a witness testimony"], due=TODAY)
    db.session.commit()
    assert sample.stage == "summative"
    with pytest.raises(DomainError, match="asked the assessor for action"):
        sign(own, unit, "countersign", "Iqa", True, signer=iqa, today=TODAY)
    uphold_sample(own, iqa)
    signature = sign(own, unit, "countersign", "Iqa", True, signer=iqa, today=TODAY)
    assert signature.kind == "countersign"


def test_a_sample_of_an_older_state_does_not_allow_countersigning(db, people, portfolios,
                                                                   make_evidence):
    own = portfolios["own"]
    ev = make_complete(own, make_evidence)
    unit = all_units()["unit-40"]
    uphold_sample(own, people["iqa"])  # interim
    ev.account_md = "Changed after the sample."
    ev.version += 1
    from portfolio.evidence.versions import record_version
    record_version(ev, actor=people["learner"])
    for claim in ev.claims:
        claim.decisions.append(Decision(outcome="accepted", assessor_id=people["assessor"].id,
                                        evidence_version=ev.version,
                                        range_json=json.dumps(claim.range_items)))
    db.session.commit()
    sign(own, unit, "declaration", "Learner", True, signer=people["learner"], today=TODAY)
    sign(own, unit, "sign_off", "Assessor", True, signer=people["assessor"], today=TODAY)
    with pytest.raises(DomainError, match="changed since it was last sampled"):
        sign(own, unit, "countersign", "Iqa", True, signer=people["iqa"], today=TODAY)


def test_the_eqa_sample_pack_holds_signed_pdfs_the_plan_and_the_records(
        app, db, client, browser, people, judged, tmp_path):
    app.config.update(JOBS_BACKGROUND=False, EXPORT_DIR=str(tmp_path / "exports"))
    uphold_sample(judged, people["iqa"])
    browser.login(people["iqa"])
    page = client.get("/quality/pack")
    assert "Learner" in page.text and "checked" in page.text  # the sampled one is ticked
    empty = browser.submit("/quality/pack", {}, form_url="/quality/pack")
    assert empty.status_code == 422 and "Choose at least one portfolio" in empty.text
    started = browser.submit("/quality/pack", {"portfolio": str(judged.id)},
                             form_url="/quality/pack", follow_redirects=True)
    assert "The sample pack is ready" in started.text  # made in the request here
    job_id = re.search(r'/exports/(\d+)/pdf', started.text).group(1)
    response = client.get(f"/exports/{job_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = response.data
    response.close()
    # Only its maker may fetch it.
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    assert client.get(f"/exports/{job_id}").status_code == 404
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        pdfs = [n for n in names if n.startswith("portfolios/") and n.endswith(".pdf")]
        assert len(pdfs) == 1 and z.read(pdfs[0]).startswith(b"%PDF")
        assert "sample-records.csv" in names
        assert any(n.startswith("sampling-plan-") for n in names)
        records = z.read("sample-records.csv").decode()
        assert "Decisions upheld" in records and "2.3" in records
        import hashlib
        for entry in manifest["files"]:
            assert hashlib.sha256(z.read(entry["path"])).hexdigest() == entry["sha256"]
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "sample_pack.made")) is not None


def test_the_assessors_caseload_shows_open_iqa_actions(db, client, browser, people, judged):
    sample = add_to_plan(judged, actor=people["iqa"])
    record(sample, people["iqa"], agree=False, comment="Thin.", outcome="action_required",
           actions=["Add the customer's reply", "Standardise on AC 2.3"],
           due=TODAY + timedelta(days=7))
    db.session.commit()
    browser.login(people["assessor"])
    page = client.get("/portfolios/").text
    assert "2 IQA actions due" in page
    answer_action(sample.actions[0], "Done.", actor=people["assessor"])
    answer_action(sample.actions[1], "Done.", actor=people["assessor"])
    db.session.commit()
    assert "IQA action" not in client.get("/portfolios/").text


def test_an_eqa_reading_a_portfolio_is_not_activity_on_it(db, people, portfolios, eqa_grant,
                                                          client, browser):
    from portfolio.portfolios.services import last_activity

    own = portfolios["own"].id
    before = last_activity([own]).get(own)
    browser.login(eqa_grant.eqa)
    assert client.get(f"/portfolios/{own}").status_code == 200
    db.session.expire_all()
    assert last_activity([own]).get(own) == before
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "eqa.viewed", AuditEvent.portfolio_id == own)) is not None


def test_the_portfolio_pdf_carries_the_sample_records(db, people, judged):
    from pypdf import PdfReader

    from portfolio.export.services import export_portfolio

    sample = add_to_plan(judged, actor=people["iqa"])
    record(sample, people["iqa"], agree=False, comment="No apology in the reply.",
           outcome="action_required", actions=["Re-judge AC 2.1"], due=TODAY)
    db.session.commit()
    path = export_portfolio(judged, actor=people["iqa"], today=TODAY).path
    db.session.commit()
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Internal quality assurance" in text
    assert "Interim sample" in text and "Action required" in text
    assert "No apology in the reply." in text and "Re-judge AC 2.1" in text
    assert "Not answered yet." in text


def test_an_admin_reassigns_the_iqa_after_a_conflict_and_the_plan_moves(db, client, browser,
                                                                        people, judged):
    iqa, other_iqa = people["iqa"], people["other_iqa"]
    sample = add_to_plan(judged, actor=iqa)
    claim = judged.evidence[0].claims[0]
    claim.decisions.append(Decision(outcome="accepted", assessor_id=other_iqa.id))
    db.session.commit()
    browser.login(people["admin"])
    url = f"/admin/portfolios/{judged.id}/people"
    refused = browser.submit(url, {"assessor": str(people["assessor"].id),
                                   "iqa": str(other_iqa.id)})
    assert refused.status_code == 422 and "took part in assessing" in refused.text
    # Back to a clean IQA: the one who did not assess it stays; move to a third IQA.
    third = type(iqa)(email="iqa3@test.example", name="Third Iqa", role="iqa",
                      password_hash=iqa.password_hash)
    db.session.add(third)
    db.session.commit()
    done = browser.submit(url, {"assessor": str(people["assessor"].id), "iqa": str(third.id)},
                          follow_redirects=True)
    assert "IQA Third Iqa" in done.text
    db.session.expire_all()
    assert judged.iqa_id == third.id and db.session.get(Sample, sample.id).iqa_id == third.id
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "portfolio.reassigned"))
    assert event.detail["before"]["iqa"] == iqa.email
    record(db.session.get(Sample, sample.id), third)  # the new IQA samples it


def test_samples_from_an_earlier_period_no_longer_count(app, db, people, judged):
    from portfolio.iqa.services import plan_for

    sample = uphold_sample(judged, people["iqa"])
    view = plan_for(people["iqa"], all_units())
    assert view.plan.targets[0].sampled == 1 and view.plan.proposals == []
    sample.planned_at = view.since - timedelta(days=1)
    db.session.commit()
    view = plan_for(people["iqa"], all_units())
    assert view.plan.targets[0].sampled == 0
    assert [p.candidate.portfolio_id for p in view.plan.proposals] == [judged.id]


def test_the_plan_downloads_whatever_the_iqas_name(db, client, browser, people, judged):
    people["iqa"].name = "Zoë Łukasiewicz"
    db.session.commit()
    browser.login(people["iqa"])
    response = client.get("/quality/plan.csv")
    assert response.status_code == 200
    assert 'filename="sampling-plan-zoe-ukasiewicz-' in response.headers["Content-Disposition"]
    assert "Zoë Łukasiewicz" in response.text


def test_risk_ratings_and_grants_are_in_the_centre_audit_trail(db, client, browser, people,
                                                               judged):
    browser.login(people["iqa"])
    browser.submit(f"/quality/assessors/{people['assessor'].id}/risk",
                   {f"r{people['assessor'].id}-rating": "new",
                    f"r{people['assessor'].id}-reasons": "First term."}, form_url="/quality/")
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    page = client.get("/admin/audit?action=iqa").text
    assert "Assessor risk rated" in page and "Rated Assessor: New assessor (First term.)" in page
    csv_text = client.get("/admin/audit?action=iqa&format=csv").text
    assert "iqa.risk_rated" in csv_text


def test_an_admin_with_no_iqa_yet_is_told_so(db, client, browser, make_user):
    admin = make_user("admin")
    browser.login(admin)
    page = client.get("/quality/", follow_redirects=True)
    assert page.status_code == 200 and "no IQA covers any portfolio" in page.text
