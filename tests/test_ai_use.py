"""The learner's statement of AI use on the evidence they write: asked, kept, shown, signed,
and the unit's rule that an AI-drafted reflective account only supports."""

from __future__ import annotations

import re
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from portfolio.ai_use import NO_AI, AiUse
from portfolio.evidence.services import EvidenceFields, update_evidence
from portfolio.export.services import export_portfolio
from portfolio.facts import coverage_for, current_digest
from portfolio.models import Claim, Evidence
from portfolio.spec import SpecError, load_unit
from portfolio.units import all_units

TODAY = date.today()
SPELLING = AiUse(used=True, tools="Grammarly", purposes=("spelling",))
DRAFTING = AiUse(used=True, tools="ChatGPT", purposes=("drafting", "spelling"))


def new_url(portfolios):
    return f"/portfolios/{portfolios['own'].id}/evidence/new"


def add(browser, portfolios, **overrides):
    data = {"title": "Email to Mr Hughes", "method": "product_evidence", "dated": "2026-10-01",
            "context": "Contact centre", "account_md": "I replied the same day, typed here."}
    data.update(overrides)
    return browser.submit(new_url(portfolios), data, content_type="multipart/form-data")


def test_the_form_refuses_an_item_without_an_answer_and_keeps_the_text(db, browser, people,
                                                                        portfolios):
    browser.login(people["learner"])
    response = add(browser, portfolios)
    assert response.status_code == 422
    assert "Say whether you used AI tools to produce this evidence." in response.text
    assert 'href="#ai_answer-0"' in response.text  # the summary links to the first choice
    assert 'id="ai_answer-0"' in response.text
    assert "I replied the same day, typed here." in response.text
    assert db.session.scalar(select(Evidence)) is None


def test_yes_needs_the_tools_and_what_for(db, browser, people, portfolios):
    browser.login(people["learner"])
    response = add(browser, portfolios, ai_answer="yes", ai_for="spelling")
    assert response.status_code == 422
    assert "Say which AI tool or tools you used" in response.text
    response = add(browser, portfolios, ai_answer="yes", ai_tools="ChatGPT")
    assert response.status_code == 422 and "Tick what you used the AI tools for." in response.text
    response = add(browser, portfolios, ai_answer="yes", ai_tools="ChatGPT", ai_for="other")
    assert response.status_code == 422 and "Say what else you used" in response.text
    assert db.session.scalar(select(Evidence)) is None
    response = add(browser, portfolios, ai_answer="yes", ai_tools="Grammarly",
                   ai_for="spelling")
    assert response.status_code == 302
    assert db.session.scalar(select(Evidence)).ai_use == SPELLING


def test_an_item_without_an_answer_cannot_go_forward_and_the_claims_are_kept(
        db, browser, people, portfolios, make_evidence):
    old = make_evidence(portfolios["own"], ai_use=None)  # from before the question
    browser.login(people["learner"])
    url = f"/evidence/{old.id}/claims"
    assert "cannot go forward for assessment yet" in browser.client.get(url).text
    response = browser.submit(url, {"claim_2_1": "y",
                                    "rationale_2_1": "Paragraph 3 names the cause."})
    assert response.status_code == 422
    assert "cannot go forward for assessment until you say whether you used AI" in response.text
    assert "Paragraph 3 names the cause." in response.text
    assert db.session.scalars(select(Claim)).all() == []
    # Answered, the same claims go forward.
    edit = f"/evidence/{old.id}/edit"
    assert browser.submit(edit, {"title": old.title, "method": old.method,
                                 "dated": old.dated.isoformat(), "account_md": "An account.",
                                 "ai_answer": "no"}).status_code == 302
    assert browser.submit(url, {"claim_2_1": "y", "rationale_2_1": "Paragraph 3."}
                          ).status_code == 302
    assert [c.criterion_id for c in db.session.scalars(select(Claim))] == ["2.1"]


def test_assessor_sees_the_statement_and_the_change_is_a_new_version(
        app, db, browser, people, portfolios, make_evidence):
    item = make_evidence(portfolios["own"], claims={"2.1": "referred"}, ai_use=SPELLING)
    browser.login(people["assessor"])
    page = browser.client.get(f"/evidence/{item.id}").text
    assert "AI tools used: Grammarly, for spelling and grammar." in page
    before = current_digest(portfolios["own"])
    update_evidence(item, all_units()["unit-40"],
                    EvidenceFields(item.title, item.method, item.dated, "", item.account_md,
                                   NO_AI), [], expected_version=1, actor=people["learner"],
                    store=app.extensions["evidence_store"], today=TODAY)
    db.session.commit()
    assert item.version == 2 and current_digest(portfolios["own"]) != before
    page = browser.client.get(f"/evidence/{item.id}").text
    assert "No AI tools used (declared by the learner)." in page
    assert "Use of AI tools changed" in page  # the assessor's "changed since" summary


def test_the_digest_covers_the_answer_and_ignores_items_without_one(db, portfolios,
                                                                    make_evidence):
    item = make_evidence(portfolios["own"], ai_use=None)
    unanswered = current_digest(portfolios["own"])
    item.ai_use = SPELLING
    db.session.flush()
    spelling = current_digest(portfolios["own"])
    item.ai_use = DRAFTING
    db.session.flush()
    assert len({unanswered, spelling, current_digest(portfolios["own"])}) == 3


def test_the_declaration_page_sums_up_ai_use(db, browser, people, portfolios, make_evidence):
    make_evidence(portfolios["own"], title="Refund email", ai_use=SPELLING)
    make_evidence(portfolios["own"], title="Old letter", ai_use=None)
    make_evidence(portfolios["own"], title="Complaint log", ai_use=NO_AI)
    make_evidence(portfolios["own"], title="Observed call", method="direct_observation",
                  by_assessor=True)
    browser.login(people["learner"])
    page = browser.client.get(f"/portfolios/{portfolios['own'].id}/signatures").text
    section = page[page.index('id="ai-heading"'):page.index('id="signatures-heading"')]
    assert "1 item without an answer" in section
    assert re.search(r"Refund email</a></td><td>AI tools used: Grammarly", section)
    assert re.search(r"Old letter</a></td><td>Not answered", section)
    assert re.search(r"Complaint log</a></td><td>No AI tools used", section)
    assert "Observed call" not in section  # the assessor's record: no question


def test_the_pdf_prints_the_statement_with_each_learner_item(db, people, portfolios,
                                                             make_evidence):
    make_evidence(portfolios["own"], title="Refund email", ai_use=SPELLING)
    make_evidence(portfolios["own"], title="Observed call", method="direct_observation",
                  by_assessor=True)
    made = export_portfolio(portfolios["own"], actor=people["assessor"], today=TODAY)
    db.session.commit()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(made.path).pages).split())
    assert "Use of AI tools AI tools used: Grammarly, for spelling and grammar." in text
    assert text.count("Use of AI tools") == 1  # not on the assessor's record


def test_an_ai_drafted_reflective_account_only_supports(db, portfolios, make_evidence):
    own, unit = portfolios["own"], all_units()["unit-40"]
    assert unit.rules.no_ai_drafting == {"reflective_account"}
    make_evidence(own, title="My reflection", method="reflective_account",
                  claims={"1.1": "accepted"}, ai_use=DRAFTING)
    make_evidence(own, title="Tidied reflection", method="reflective_account",
                  claims={"1.2": "accepted"}, ai_use=SPELLING)
    make_evidence(own, title="Drafted email", method="product_evidence",
                  claims={"1.3": "accepted"}, ai_use=DRAFTING)  # the rule names no other
    coverage = coverage_for(own, unit, TODAY)
    by_id = {c.criterion.id: c for c in coverage.criteria}
    assert by_id["1.1"].status != "met"
    assert ("“My reflection” can only support AC 1.1 for now: its author declared AI "
            "drafting, and this unit accepts AI-drafted reflective accounts only as support"
            in by_id["1.1"].reasons)
    assert [v.role for v in by_id["1.1"].claims] == ["supports"]
    assert by_id["1.2"].status == "met" and by_id["1.3"].status == "met"


def test_the_rule_names_only_methods_the_learner_writes(app, tmp_path):
    text = (all_units()["unit-40"].text
            .replace('no_ai_drafting = ["reflective_account"]',
                     'no_ai_drafting = ["direct_observation", "telepathy"]'))
    path = tmp_path / "unit-40.toml"
    path.write_text(text)
    try:
        load_unit(path)
    except SpecError as exc:
        problems = "\n".join(exc.problems)
    else:
        raise AssertionError("the rule was accepted")
    assert "rules.no_ai_drafting: unknown evidence method 'telepathy'" in problems
    assert "'direct_observation' is not written by the learner" in problems
