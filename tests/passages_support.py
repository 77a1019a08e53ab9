"""What the passage tests share (test_passages.py, test_passages_revisions.py): an account
with four known sentences, an item with real files, a revision, a quote set by code, and
signing in as someone else."""

import io
from datetime import date

from portfolio.ai_use import NO_AI
from portfolio.evidence.claims import set_claims
from portfolio.evidence.services import (
    EvidenceFields,
    Upload,
    add_evidence,
    check_uploads,
    update_evidence,
)
from portfolio.units import all_units

TODAY = date.today()
UNIT = "unit-40"
ACCOUNT = ("Mr Hughes phoned about a kettle that had stopped working.\n\n"
           "I let him explain everything without interrupting, then said back to him what I "
           "had heard.\n\n"
           "I offered a replacement kettle delivered the next day, or a refund within my "
           "£150 limit.\n\n"
           "He chose the replacement and I logged the case.")
LISTENED = ("I let him explain everything without interrupting, then said back to him what I "
            "had heard.")
OFFERED = ("I offered a replacement kettle delivered the next day, or a refund within my £150 "
           "limit.")
LOGGED = "He chose the replacement and I logged the case."


def unit():
    return all_units()[UNIT]


def with_files(portfolio, learner, files, account="", title="Case file"):
    """An item with real files, through the same checks as an upload."""
    from flask import current_app

    store = current_app.extensions["evidence_store"]
    checked = check_uploads(store, [Upload(io.BytesIO(b), n) for n, b in files], 10**7)
    evidence = add_evidence(portfolio, unit(),
                            EvidenceFields(title, "product_evidence", TODAY, "", account,
                                           NO_AI),
                            checked, actor=learner, store=store, submission_key=None,
                            today=TODAY)
    from portfolio.extensions import db
    db.session.commit()
    return evidence


def revise(evidence, learner, account):
    from portfolio.extensions import db

    update_evidence(evidence, unit(), EvidenceFields(evidence.title, evidence.method,
                                                     evidence.dated, "", account, NO_AI),
                    [], expected_version=evidence.version, actor=learner,
                    store=None, today=TODAY)
    db.session.commit()


def switch(browser, user):
    """Sign out, then in as `user`."""
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(user)


def quoted(db, people, evidence, quotes):
    set_claims(evidence, unit(), {cid: "See the quote." for cid in quotes},
               actor=people["learner"], quotes=quotes)
    db.session.commit()
    return {c.criterion_id: c for c in evidence.claims}
