"""Who may sign what, and when. Each signature binds to the portfolio's digest.

- The learner declares the evidence is their own work.
- The portfolio's assessor signs off only when every criterion is met and the learner's
  declaration is current; the sign-off locks the portfolio.
- The portfolio's IQA (never its assessor, nor anyone who took part in assessing it)
  countersigns a current sign-off, once a completed sample has upheld the decisions of the
  portfolio as signed off (see iqa.services).
- The assessor or an admin reopens a signed-off portfolio with a reason: the lock lifts and
  every signature so far is withdrawn (kept, shown as superseded), so new ones are needed.
"""

from __future__ import annotations

import json
from datetime import date

from .. import audit
from ..access import Action, can, claim_portfolio, ensure_may_sample
from ..audit import AuditAction
from ..coverage import AWAITING, REFERRED, ClaimView, Coverage
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..facts import coverage_for, portfolio_state, signature_statuses
from ..iqa.services import countersign_problem
from ..models import Portfolio, Signature, SignatureKind, User, utcnow
from ..notify import link_to, notify
from ..signing import digest_of
from ..spec import Unit

STATEMENTS = {
    SignatureKind.DECLARATION: (
        "I declare that the evidence in this portfolio is my own work, that it comes from my "
        "real work, and that the witnesses named gave their statements themselves."),
    SignatureKind.SIGN_OFF: (
        "I confirm that every assessment criterion of this unit is met, and that the evidence "
        "is valid, authentic, reliable, current and sufficient. I assessed it myself."),
    SignatureKind.COUNTERSIGN: (
        "I have quality-assured this portfolio and its assessment decisions, and I "
        "countersign the assessor's sign-off. I did not assess this learner."),
}


def _same_name(typed: str, user: User) -> bool:
    def norm(name: str) -> str:
        return " ".join(name.split()).casefold()
    return norm(typed) == norm(user.name)


def _claims(views: list[ClaimView]) -> str:
    return "; ".join(f"AC {v.criterion_id} on “{v.evidence.title}”" for v in views)


def sign_off_problem(coverage: Coverage) -> str | None:
    """Why the assessor may not sign off yet, judged as at the sign-off, or None.

    Every criterion met and every outcome rule kept, with evidence current on the day; no
    claim awaiting a decision or standing referred (judge it, or withdraw it with a reason);
    every assessor's record confirmed by the learner, so the lock never stops them disputing.
    """
    problems = []
    awaiting, referred = coverage.claims_where(AWAITING), coverage.claims_where(REFERRED)
    if awaiting:
        problems.append(f"{len(awaiting)} claim(s) still await a decision: {_claims(awaiting)}. "
                        "Judge them, or withdraw them with a reason.")
    if referred:
        problems.append(f"{len(referred)} claim(s) stand referred: {_claims(referred)}. The "
                        "learner resubmits, or you withdraw them with a reason.")
    for record in coverage.unanswered_records:
        answer = "disputes" if record.answer == "disputed" else "has not yet confirmed"
        problems.append(f"The learner {answer} your record “{record.title}”: it needs their "
                        "confirmation first.")
    if coverage.gaps:
        problems.append("Not every criterion is met yet, judged as at today (still open: AC "
                        f"{', '.join(c.criterion.id for c in coverage.gaps)}).")
    problems += list(coverage.outcome_gaps)
    if not problems:
        return None
    return "Not ready for sign-off. " + " ".join(problems)


def current_kinds(portfolio: Portfolio, state: dict) -> set[str]:
    return {s.signature.kind for s in signature_statuses(portfolio, state) if s.current}


def sign(portfolio: Portfolio, unit: Unit, kind: str, typed_name: str, confirmed: bool, *,
         signer: User, today: date) -> Signature:
    """Add a signature of `kind` by `signer`, bound to the portfolio's current digest."""
    try:
        kind = SignatureKind(kind)
    except ValueError:
        raise DomainError("That is not a signature this page takes.") from None
    allowed = {SignatureKind.DECLARATION: Action.EDIT_EVIDENCE,
               SignatureKind.SIGN_OFF: Action.JUDGE,
               SignatureKind.COUNTERSIGN: Action.COUNTERSIGN}[kind]
    if not can(signer, allowed, portfolio):
        who = {SignatureKind.DECLARATION: "the learner",
               SignatureKind.SIGN_OFF: "the learner's assessor",
               SignatureKind.COUNTERSIGN: "the portfolio's IQA (never its assessor)"}[kind]
        raise NotAllowed(f"Only {who} can sign this.")
    if not confirmed:
        raise DomainError("Tick the box to confirm the statement.")
    if not _same_name(typed_name, signer):
        raise DomainError(f"Type your full name as it is on your account ({signer.name}) to "
                          "sign.")
    seen = portfolio.lock_version  # read before the state the signature binds to
    state = portfolio_state(portfolio)
    current = current_kinds(portfolio, state)
    if kind in current:
        raise DomainError("This is already signed, and nothing has changed since.")
    if kind == SignatureKind.DECLARATION and portfolio.locked:
        raise DomainError("The portfolio is signed off; it needs reopening before any new "
                          "declaration.")
    if kind == SignatureKind.SIGN_OFF:
        problem = sign_off_problem(coverage_for(portfolio, unit, today, at_sign_off=True))
        if problem:
            raise DomainError(problem)
        if SignatureKind.DECLARATION not in current:
            raise DomainError("The learner has not declared the evidence their own work since "
                              "it last changed. Ask them to sign the declaration first.")
    if kind == SignatureKind.COUNTERSIGN:
        if SignatureKind.SIGN_OFF not in current:
            raise DomainError("There is no current assessor sign-off to countersign.")
        ensure_may_sample(signer, portfolio)  # never their own assessment decisions
        problem = countersign_problem(portfolio, digest_of(state))
        if problem:
            raise DomainError(problem)
    # Only if nothing changed since `state` was read, and (for a sign-off, which locks) in
    # the same UPDATE as the lock: a change at the same instant either came first and makes
    # this fail, or waits for this and finds the portfolio locked.
    lock = {"locked_at": utcnow()} if kind == SignatureKind.SIGN_OFF else {}
    if not claim_portfolio(portfolio, locked=kind == SignatureKind.COUNTERSIGN, seen=seen,
                           **lock):
        raise DomainError("The portfolio changed while you were signing (someone saved a "
                          "change, or signed, at the same moment), so your signature was not "
                          "added. Check the page again, and sign if it is still right.")
    signature = Signature(kind=kind.value, signer_id=signer.id,
                          role=signer.role, typed_name=" ".join(typed_name.split()),
                          statement=STATEMENTS[kind], digest=digest_of(state),
                          state_json=json.dumps(state, sort_keys=True))
    portfolio.signatures.append(signature)
    db.session.flush()
    audit.record(f"signature.{kind.value}", actor=signer, portfolio=portfolio,
                 summary=f"{kind.label} signed by {signature.typed_name}",
                 signature_id=signature.id, digest=signature.digest,
                 locked=portfolio.locked)
    link = link_to("signoff.page", portfolio_id=portfolio.id)
    if kind == SignatureKind.DECLARATION:
        notify(portfolio.assessor, f"{portfolio.learner.name} signed the authenticity "
               "declaration.", link=link, portfolio=portfolio)
    elif kind == SignatureKind.SIGN_OFF:
        notify(portfolio.learner, f"{signer.name} signed off your portfolio.", link=link,
               portfolio=portfolio)
        notify(portfolio.iqa, f"{signer.name} signed off {portfolio.learner.name}'s portfolio: "
               "ready for countersignature.", link=link, portfolio=portfolio)
    else:
        notify(portfolio.assessor, f"{signer.name} countersigned {portfolio.learner.name}'s "
               "portfolio.", link=link, portfolio=portfolio)
    return signature


def reopen(portfolio: Portfolio, reason: str, *, actor: User) -> None:
    """Unlock a signed-off portfolio. Every signature so far is withdrawn but kept."""
    if not can(actor, Action.REOPEN, portfolio):
        raise NotAllowed("Only the learner's assessor or an administrator can reopen it.")
    if not portfolio.locked:
        raise DomainError("This portfolio is not signed off, so there is nothing to reopen.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for reopening: it goes on the record.")
    if not claim_portfolio(portfolio, locked=True, locked_at=None):  # one reopening at a time
        raise DomainError("This portfolio is not signed off, so there is nothing to reopen.")
    now = utcnow()
    withdrawn = []
    for sig in portfolio.signatures:
        if sig.withdrawn_at is None:
            sig.withdrawn_at, sig.withdrawn_reason = now, reason
            withdrawn.append(sig.id)
    db.session.flush()
    audit.record(AuditAction.PORTFOLIO_REOPENED, actor=actor, portfolio=portfolio,
                 summary=f"Reopened: {reason}", reason=reason, withdrawn=withdrawn)
    link = link_to("signoff.page", portfolio_id=portfolio.id)
    for person in {portfolio.learner, portfolio.assessor, portfolio.iqa} - {actor}:
        notify(person, f"{actor.name} reopened {portfolio.learner.name}'s portfolio: {reason}",
               link=link, portfolio=portfolio)
