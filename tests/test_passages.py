"""Claims anchored to passages: the readable text of each kind of evidence, a quote stored
with offsets into it, refused when it is not there, highlighted safely, printed in the PDF,
and part of the digest without unsettling older signatures (revisions:
test_passages_revisions.py)."""

import json
import re

import pytest
from passages_support import (
    ACCOUNT,
    LISTENED,
    OFFERED,
    TODAY,
    quoted,
    revise,
    unit,
    with_files,
)
from pypdf import PdfReader
from sqlalchemy import select
from test_export import docx_bytes, eml_bytes, letter_pdf, png_bytes

from portfolio.errors import FieldProblem, Locked
from portfolio.evidence.claims import set_claims
from portfolio.evidence.passages import (
    anchor_quote,
    anchor_span,
    readable,
    readable_text,
)
from portfolio.export.services import export_portfolio
from portfolio.facts import current_digest, portfolio_state
from portfolio.facts import signature_statuses as statuses
from portfolio.models import AuditEvent, Claim, Evidence, EvidenceVersion
from portfolio.quoting import QUOTE_MAX
from portfolio.signoff.services import sign


@pytest.fixture
def account(portfolios, make_evidence):
    return make_evidence(portfolios["own"], title="Kettle complaint", account=ACCOUNT)


@pytest.fixture
def learner_in(browser, people):
    browser.login(people["learner"])
    return browser


# ------------------------------------------------------------------ the readable text


def test_every_kind_of_evidence_has_its_text_and_photos_have_none(app, db, people,
                                                                  portfolios):
    csv_file = b"case_ref,outcome\nNHA-1,resolved - customer satisfied\n"
    evidence = with_files(portfolios["own"], people["learner"], [
        ("notes.docx", docx_bytes("Case notes written in Word")),
        ("refund.eml", eml_bytes()),
        ("letter.pdf", letter_pdf()),
        ("reply.txt", b"Dear Mrs Patel,\r\nThank you.\r\n"),
        ("log.csv", csv_file),
        ("board.png", png_bytes())], account="I replied **the same day**.\n\n- one\n- two")
    found = readable(evidence)
    text = found.text
    assert text.startswith("I replied the same day.\n\none\ntwo")  # Markdown read as text
    assert "Case notes written in Word" in text  # DOCX (mammoth)
    assert "Subject: Your refund is on its way" in text  # email headers, then its body
    assert "Dear Mrs Patel,\nYour refund was sent today." in text
    assert "Uploaded letter page 1" in text and "Uploaded letter page 3" in text  # PDF text
    assert "Dear Mrs Patel,\nThank you." in text  # a text file, line ends made plain
    assert "case_ref: NHA-1\noutcome: resolved - customer satisfied" in text  # CSV rows
    kinds = [(p.kind, p.name) for p in found.parts]
    assert kinds == [("account", ""), ("file", "notes.docx"), ("file", "refund.eml"),
                     ("file", "letter.pdf"), ("file", "reply.txt"), ("file", "log.csv"),
                     ("file", "board.png")]
    photo = found.parts[-1]
    assert photo.start == photo.end and "a picture" in photo.note
    for part in found.parts[:-1]:
        assert text[part.start:part.end].strip() and part.note == ""
    # Stable: kept on the version row when first read, the same string ever after.
    assert found.fresh
    db.session.commit()
    db.session.expire_all()
    evidence = db.session.get(Evidence, evidence.id)
    kept = json.loads(evidence.versions[0].readable_json)
    assert kept["text"] == text
    again = readable(evidence)
    assert again.text == text and not again.fresh


def test_a_photo_only_item_has_no_text_and_its_claim_needs_no_quote(app, db, people,
                                                                   portfolios, learner_in,
                                                                   client):
    evidence = with_files(portfolios["own"], people["learner"], [("board.png", png_bytes())])
    assert readable_text(evidence) == ""
    page = client.get(f"/evidence/{evidence.id}/claims").text
    assert "This evidence has no text to quote: board.png, a picture" in page
    assert 'name="quote_2_1"' not in page
    response = learner_in.submit(f"/evidence/{evidence.id}/claims",
                                 {"claim_2_1": "y", "rationale_2_1": "The whiteboard plan."})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert claim.quote == "" and claim.quote_start is None
    with pytest.raises(FieldProblem, match="no text to quote"):
        anchor_quote(evidence, "anything at all here", criterion_id="2.1")


# ------------------------------------------------------------------ quoting


def test_a_quote_is_stored_with_offsets_that_index_the_readable_text(db, account, learner_in):
    response = learner_in.submit(f"/evidence/{account.id}/claims", {
        "claim_1_4": "y", "rationale_1_4": "Paragraph 2: I listened first.",
        "quote_1_4": LISTENED})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert claim.quote == LISTENED and claim.quote_version == 1 and claim.quote_flag == ""
    assert readable_text(account)[claim.quote_start:claim.quote_end] == claim.quote
    assert readable_text(account, 1)[claim.quote_start:claim.quote_end] == LISTENED
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "claims.changed")).one()
    assert json.loads(event.detail_json)["quoted"] == ["1.4"]
    content = db.session.scalar(select(EvidenceVersion)).content
    assert content["quotes"] == {"1.4": LISTENED}  # the version's record holds it too


def test_a_pasted_quote_with_other_line_breaks_and_quote_marks_matches(db, portfolios,
                                                                       make_evidence,
                                                                       learner_in):
    evidence = make_evidence(portfolios["own"], account=(
        "He said “I’m fed up — nobody\ncalled me back.”\n\nI apologised."))
    pasted = '  He said "I\'m fed up - nobody   called\r\nme back."  '
    response = learner_in.submit(f"/evidence/{evidence.id}/claims", {
        "claim_2_3": "y", "rationale_2_3": "His words, then my apology.", "quote_2_3": pasted})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    # The real occurrence is stored: curly quotes and the dash as written (Markdown reads a
    # single line break inside a paragraph as a space, as the page shows it).
    assert claim.quote == "He said “I’m fed up — nobody called me back.”"
    assert readable_text(evidence)[claim.quote_start:claim.quote_end] == claim.quote


def test_a_quote_found_twice_anchors_to_the_first(portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"],
                             account="I said sorry to him.\n\nLater, again: I said sorry to him.")
    anchor = anchor_quote(evidence, "I said sorry to him.")
    assert (anchor.start, anchor.end) == (0, 20)


def test_a_quote_not_in_the_evidence_is_refused_keeping_what_was_typed(db, account,
                                                                       learner_in):
    response = learner_in.submit(f"/evidence/{account.id}/claims", {
        "claim_1_4": "y", "rationale_1_4": "My careful rationale.",
        "claim_1_3": "y", "rationale_1_3": "My other rationale.",
        "quote_1_4": "I let him explain everything without stopping him",
        "quote_1_3": "I offered a replacement kettle delivered the next week"})
    assert response.status_code == 422
    text = response.text
    assert "The quote for AC 1.4 is not in the text of this evidence (version 1)" in text
    assert "The quote for AC 1.3 is not in the text of this evidence" in text  # both at once
    assert "The nearest passage is: “I offered a replacement kettle delivered the next " \
           "day, or a refund within my £150 limit.”" in text
    assert "My careful rationale." in text and "I let him explain everything without " \
           "stopping him" in text
    assert 'id="quote_1_4-error"' in text
    assert db.session.scalar(select(Claim)) is None  # nothing saved


def test_quotes_too_short_or_too_long_are_refused(account):
    with pytest.raises(FieldProblem, match="at least a few words"):
        anchor_quote(account, "I let", criterion_id="1.4")
    with pytest.raises(FieldProblem, match=f"at most {QUOTE_MAX:,} characters"):
        anchor_quote(account, "word " * 400, criterion_id="1.4")


def test_a_quote_from_code_by_offsets_as_a_ranker_would_give(db, people, account):
    """The suggestions page accepts a ranked sentence: its offsets in the readable text."""
    text = readable_text(account)
    start = text.index(OFFERED)
    anchor = anchor_span(account, start - 2, start + len(OFFERED) + 1)  # whitespace trimmed
    assert anchor.text == OFFERED
    set_claims(account, unit(), {"1.3": "Paragraph 3: the options."},
               actor=people["learner"], quotes={"1.3": anchor})
    db.session.commit()
    claim = db.session.scalar(select(Claim))
    assert (claim.quote, claim.quote_start, claim.quote_version) == (OFFERED, start, 1)
    with pytest.raises(FieldProblem, match="not in the text of this evidence"):
        anchor_span(account, 0, len(text) + 5)


def test_taking_a_quote_away(db, people, account):
    set_claims(account, unit(), {"1.4": "Para 2."}, actor=people["learner"],
               quotes={"1.4": LISTENED})
    set_claims(account, unit(), {"1.4": "Para 2."}, actor=people["learner"],
               quotes={"1.4": ""})
    db.session.commit()
    claim = db.session.scalar(select(Claim))
    assert claim.quote == "" and claim.quote_start is None and claim.quote_version is None


# ------------------------------------------------------------------ after a revision


# ------------------------------------------------------------------ showing it


def test_the_highlight_escapes_learner_text(db, client, browser, people, portfolios):
    from email.message import EmailMessage

    hostile = "I wrote <script>alert('x')</script> & <b>bold</b> to Mrs O'Neil."
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "me@example.com", "her@example.com", "Reply"
    msg.set_content(f"Before.\n{hostile}\nAfter.\n")
    evidence = with_files(portfolios["own"], people["learner"], [("reply.eml", bytes(msg))])
    quoted(db, people, evidence, {"2.6": hostile})
    claim = evidence.claims[0]
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{evidence.id}").text
    assert "<script>alert" not in page and "<b>bold" not in page
    escaped = ("I wrote &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold"
               "&lt;/b&gt; to Mrs O&#39;Neil.")
    assert (f'<span class="quote-label" id="quote-{claim.id}">AC 2.6</span>'
            f'<mark class="quote">{escaped}</mark>') in page
    assert f'href="#quote-{claim.id}"' in page  # the claim's quote jumps to its mark
    assert "Where and how:</span> See the quote." in page  # the rationale beside it
    assert "Each passage a claim quotes is highlighted and labelled" in page


def test_overlapping_quotes_share_a_mark_with_both_labels(db, client, browser, people,
                                                          account):
    quoted(db, people, account, {"1.4": LISTENED, "1.3": "then said back to him what I had "
                                                         "heard.\n\nI offered a replacement"})
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{account.id}").text
    assert re.search(r'>AC 1\.4</span><mark class="quote">I let him', page)
    assert re.search(r'>AC 1\.3</span><mark class="quote quote-overlap">then said back', page)
    assert "(end of the quote for AC 1.4)" in page and "(end of the quote for AC 1.3)" in page


def test_the_pdf_prints_the_quote_under_its_claim_and_its_flag(app, db, people, account,
                                                               tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    quoted(db, people, account, {"1.4": LISTENED, "1.3": OFFERED})
    revise(account, people["learner"], ACCOUNT.replace("or a refund", "or a full refund"))
    made = export_portfolio(account.portfolio, actor=people["assessor"], today=TODAY)
    db.session.commit()
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(made.path).pages).split())
    criteria = text[text.index("Where and how"):]  # the claims, after the contents
    assert "Quoted from the evidence: “I let him explain everything without interrupting" \
           in criteria
    assert "Passage changed in version 2: the passage quoted read “I offered a replacement " \
           "kettle delivered the next day, or a refund within" in criteria


# ------------------------------------------------------------------ the digest and access


def test_signatures_from_before_quotes_stay_current_and_a_quote_supersedes_them(
        db, people, account, client, browser):
    set_claims(account, unit(), {"1.4": "Paragraph 2."}, actor=people["learner"])
    db.session.commit()
    state = portfolio_state(account.portfolio)
    assert "quote" not in json.dumps(state)  # a claim without a quote reads as it always has
    sign(account.portfolio, unit(), "declaration", people["learner"].name, True,
         signer=people["learner"], today=TODAY)
    db.session.commit()
    before = current_digest(account.portfolio)
    browser.login(people["assessor"])
    client.get(f"/evidence/{account.id}")  # reading (and keeping the text) changes nothing
    db.session.expire_all()
    assert current_digest(account.portfolio) == before
    assert [s.current for s in statuses(account.portfolio)] == [True]

    set_claims(account, unit(), {"1.4": "Paragraph 2."}, actor=people["learner"],
               quotes={"1.4": LISTENED})
    db.session.commit()
    [status] = statuses(account.portfolio)
    assert not status.current
    assert "AC 1.4 on “Kettle complaint”: passage quoted." in status.changes
    quote = portfolio_state(account.portfolio)["evidence"][str(account.id)]["claims"]["1.4"]
    assert quote["quote"] == {"text": LISTENED, "start": ACCOUNT.index(LISTENED),
                              "end": ACCOUNT.index(LISTENED) + len(LISTENED), "version": 1}


def test_only_the_learner_quotes(db, client, browser, people, account, portfolios,
                                 make_evidence):
    browser.login(people["assessor"])
    response = browser.submit(f"/evidence/{account.id}/claims", {
        "claim_1_4": "y", "rationale_1_4": "x", "quote_1_4": LISTENED},
        form_url=f"/evidence/{account.id}")
    assert response.status_code == 403
    assert db.session.scalar(select(Claim)) is None
    record = make_evidence(portfolios["own"], method="direct_observation", by_assessor=True,
                           account="The learner apologised and offered a replacement.")
    with pytest.raises(Locked, match="only they choose its criteria"):
        set_claims(record, unit(), {"2.1": "x"}, actor=people["learner"],
                   quotes={"2.1": "The learner apologised"})
