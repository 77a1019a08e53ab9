"""Quotes across revisions: re-anchored exactly, approximately (flagged "changed", with the
learner's wording kept) or flagged "lost"; both roles see the flags and the learner quotes
again; a judged claim is quoted again only as a resubmission."""

import json

import pytest
from passages_support import ACCOUNT, LISTENED, LOGGED, OFFERED, quoted, revise, switch, unit
from sqlalchemy import select

from portfolio.errors import Locked
from portfolio.evidence.claims import set_claims
from portfolio.evidence.passages import readable_text, reanchor
from portfolio.models import AuditEvent, Evidence
from portfolio.quoting import CLOSE_ENOUGH, find, nearest


@pytest.fixture
def account(portfolios, make_evidence):
    return make_evidence(portfolios["own"], title="Kettle complaint", account=ACCOUNT)


def test_a_revision_reanchors_found_moved_changed_and_lost_passages(db, people, account):
    quoted(db, people, account, {"1.4": LISTENED, "1.3": OFFERED, "2.8": LOGGED})
    revised = ("On a Tuesday morning, before anything else:\n\n"  # every offset moves
               + ACCOUNT.replace("a refund within my £150 limit",
                                 "a full refund within my £150 limit, which he could have")
               .replace(LOGGED, "The case is closed."))
    revise(account, people["learner"], revised)
    db.session.expire_all()
    claims = {c.criterion_id: c for c in db.session.get(Evidence, account.id).claims}
    text = readable_text(account, 2)

    exact = claims["1.4"]
    assert (exact.quote, exact.quote_flag, exact.quote_version) == (LISTENED, "", 2)
    assert text[exact.quote_start:exact.quote_end] == LISTENED
    assert exact.quote_start > readable_text(account, 1).index(LISTENED)  # it moved

    near = claims["1.3"]
    assert near.quote_flag == "changed" and near.quote_version == 2
    assert near.quote_was == OFFERED  # the learner's own words are kept
    assert near.quote == ("I offered a replacement kettle delivered the next day, or a full "
                          "refund within my £150 limit, which he could have.")
    assert text[near.quote_start:near.quote_end] == near.quote

    lost = claims["2.8"]
    assert lost.quote_flag == "lost" and lost.quote_start is None
    assert lost.quote_was == LOGGED and lost.quote_version == 1

    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "quotes.reanchored")).one()
    outcomes = {q["criterion_id"]: q["outcome"] for q in json.loads(event.detail_json)["quotes"]}
    assert outcomes == {"1.4": "found", "1.3": "changed", "2.8": "lost"}
    assert "AC 2.8 passage no longer in the evidence" in event.summary
    content = db.session.get(Evidence, account.id).versions[-1].content
    assert content["quotes"]["1.3"] == near.quote  # version 2's record, after re-anchoring


def test_the_approximate_match_has_a_threshold():
    text = "The courier came on Friday and the customer signed for the parcel at noon."
    assert nearest(text, "The courier came on Friday and he signed for the parcel.").ratio \
        >= CLOSE_ENOUGH
    assert nearest(text, "I wrote to the manager about the refund policy last year.") is None
    # A sentence cut short keeps the passage (4 of 9 words, in order: 0.62).
    assert nearest("He chose the replacement.", "He chose the replacement and I logged the "
                                                "case.").anchor.text == "He chose the replacement."
    assert find(text, "the customer  signed") is not None


def test_assessor_and_learner_see_the_flags_and_the_learner_requotes(db, client, browser,
                                                                      people, account):
    quoted(db, people, account, {"1.3": OFFERED, "2.8": LOGGED})
    revise(account, people["learner"], ACCOUNT.replace("or a refund", "or a full refund")
           .replace(LOGGED, "The case is closed."))
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{account.id}").text
    assert "Passage changed</span> in version 2: the passage quoted read “" + OFFERED in page
    assert "Passage changed: no longer in the evidence" in page
    switch(browser, people["learner"])
    form = client.get(f"/evidence/{account.id}/claims").text
    assert "Passage changed: no longer in the evidence" in form
    assert "The passage as it now reads still shows AC 1.3: keep it" in form
    # Saving the form as shown changes nothing: the flags stay.
    response = browser.submit(f"/evidence/{account.id}/claims", {
        "claim_1_3": "y", "rationale_1_3": "See the quote.", "claim_2_8": "y",
        "rationale_2_8": "See the quote.",
        "quote_1_3": OFFERED.replace("or a refund", "or a full refund"),
        "quote_2_8": LOGGED})
    assert response.status_code == 302
    db.session.expire_all()
    claims = {c.criterion_id: c for c in db.session.get(Evidence, account.id).claims}
    assert (claims["1.3"].quote_flag, claims["2.8"].quote_flag) == ("changed", "lost")
    # Keeping the new wording, and quoting again, clear them.
    response = browser.submit(f"/evidence/{account.id}/claims", {
        "claim_1_3": "y", "rationale_1_3": "See the quote.", "keep_1_3": "y",
        "quote_1_3": OFFERED.replace("or a refund", "or a full refund"),
        "claim_2_8": "y", "rationale_2_8": "See the quote.",
        "quote_2_8": "The case is closed."})
    assert response.status_code == 302
    db.session.expire_all()
    claims = {c.criterion_id: c for c in db.session.get(Evidence, account.id).claims}
    assert claims["1.3"].quote_flag == "" and claims["1.3"].quote_was == ""
    assert (claims["2.8"].quote, claims["2.8"].quote_flag, claims["2.8"].quote_version) == (
        "The case is closed.", "", 2)


def test_a_judged_claim_is_requoted_only_as_a_resubmission(db, people, portfolios,
                                                           make_evidence):
    accepted = make_evidence(portfolios["own"], account=ACCOUNT, claims={"1.4": "accepted"})
    with pytest.raises(Locked, match="assessed, so its quote cannot change"):
        set_claims(accepted, unit(), {"1.4": "Paragraph 2."}, actor=people["learner"],
                   quotes={"1.4": LISTENED})
    db.session.rollback()
    referred = make_evidence(portfolios["own"], title="Referred", account=ACCOUNT,
                             claims={"1.4": "referred"})
    result = set_claims(referred, unit(), {"1.4": "Paragraph 2."}, actor=people["learner"],
                        quotes={"1.4": LISTENED})
    db.session.commit()
    assert result["quoted"] == ["1.4"] and referred.version == 2  # resubmitted
    claim = referred.claims[0]
    assert claim.quote == LISTENED and claim.quote_version == 2 and claim.state == "awaiting"


def test_reanchor_is_idempotent_within_a_version(db, people, account):
    quoted(db, people, account, {"1.4": LISTENED})
    assert reanchor(account) == []  # anchored in this version already
