"""Who may see or change what: the whole permission story, used by every view and service.

- `can(user, action, portfolio)`: the role rule on one portfolio (learner, assessor, IQA,
  admin, EQA while a grant is current).
- `page_flags(user, portfolio)`: what a page may offer, with the lock and the conflict rule
  applied, so no view recomputes "may judge and not signed off".
- `ensure_unlocked`: a signed-off portfolio changes in nothing until it is reopened.
- `assessed_by` / `ensure_may_sample`: an IQA never samples or countersigns what they took
  part in assessing.
- `access_ended`: an EQA whose every grant has ended may no longer sign in.
- `may(user, CentreAction)`: centre-level actions (accounts, enrolments, EQA grants, any
  IQA's plan, sample packs, verifying a PDF, keeping and erasing records).

Views call `get_portfolio(id, action)`; a portfolio the user may not see is a 404 (we do not
confirm it exists); one they may see but not act on is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import or_, select, update

from . import summaries
from .errors import Locked, NotAllowed
from .extensions import db
from .models import (
    Decision,
    Evidence,
    Portfolio,
    Role,
    Signature,
    SignatureKind,
    User,
    current_grants,
)


class Action(StrEnum):
    VIEW = "view"  # the portfolio page, its evidence and files
    EDIT_EVIDENCE = "edit_evidence"  # add, change, delete the learner's own evidence and claims
    JUDGE = "judge"  # record decisions on claims, write records, sign the portfolio off
    COUNTERSIGN = "countersign"  # the portfolio's IQA, never its assessor
    REOPEN = "reopen"  # unlock a signed-off portfolio, with a reason
    AUDIT = "audit"  # read the portfolio's audit trail
    MANAGE_WITNESSES = "manage_witnesses"  # revoke a waiting witness link
    # The portfolio's assessor: pass a witness link on (email off) and verify a statement.
    CHECK_WITNESSES = "check_witnesses"
    EXPORT = "export"  # make the signed PDF (everyone who views it, except an EQA)
    SAMPLE = "sample"  # the portfolio's IQA: plan it, review its decisions, record an outcome
    READ_QUALITY = "read_quality"  # sample records: assessor, IQA, admin, EQA; not the learner
    # When the learner's programme ended and how long its records are kept: the centre's
    # staff on the portfolio (its assessor and IQA) and admins.
    RETENTION = "retention"


def can(user: User | None, action: Action, portfolio: Portfolio) -> bool:
    """The one permission rule. No request; for an EQA, their grants (loaded once per user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.EQA:  # read-only, named portfolios, while a grant is current
        return action in (Action.VIEW, Action.READ_QUALITY) and (
            portfolio.id in eqa_portfolio_ids(user))
    is_learner = user.id == portfolio.learner_id
    is_assessor = user.id == portfolio.assessor_id
    is_iqa = user.id == portfolio.iqa_id
    if action == Action.VIEW:
        return user.role == Role.ADMIN or is_learner or is_assessor or is_iqa
    if action == Action.EDIT_EVIDENCE:
        return is_learner and user.role == Role.LEARNER
    if action == Action.JUDGE:
        return is_assessor and user.role == Role.ASSESSOR
    if action == Action.COUNTERSIGN:
        return is_iqa and not is_assessor and user.role == Role.IQA
    if action == Action.REOPEN:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR)
    if action == Action.MANAGE_WITNESSES:
        return (is_learner and user.role == Role.LEARNER) or (
            is_assessor and user.role == Role.ASSESSOR)
    if action == Action.CHECK_WITNESSES:
        return is_assessor and user.role == Role.ASSESSOR
    if action == Action.EXPORT:
        return user.role == Role.ADMIN or is_learner or is_assessor or is_iqa
    if action == Action.SAMPLE:
        return is_iqa and not is_assessor and user.role == Role.IQA
    if action == Action.READ_QUALITY:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR) or (
            is_iqa and user.role == Role.IQA)
    if action in (Action.AUDIT, Action.RETENTION):
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR) or (
            is_iqa and user.role == Role.IQA)
    return False


class CentreAction(StrEnum):
    """Actions on the centre rather than on one portfolio."""

    MANAGE_ACCOUNTS = "manage_accounts"  # accounts, enrolments, reassigning, the centre audit
    MANAGE_EQA = "manage_eqa"  # EQA grants and their view logs
    READ_ANY_PLAN = "read_any_plan"  # choose among the IQAs' plans (admin; EQA: theirs only)
    KEEP_PLAN = "keep_plan"  # add to one's own sampling plan
    MAKE_PACK = "make_pack"  # the EQA sample pack
    VERIFY_PDF = "verify_pdf"  # check a portfolio PDF's signature
    # Record when a learner's programme ended; list and erase records past retention.
    KEEP_RECORDS = "keep_records"


CENTRE_ROLES = {
    CentreAction.MANAGE_ACCOUNTS: {Role.ADMIN},
    CentreAction.MANAGE_EQA: {Role.ADMIN},
    CentreAction.READ_ANY_PLAN: {Role.ADMIN, Role.EQA},
    CentreAction.KEEP_PLAN: {Role.IQA},
    CentreAction.MAKE_PACK: {Role.IQA, Role.ADMIN},
    CentreAction.VERIFY_PDF: {Role.IQA, Role.ADMIN, Role.EQA},
    CentreAction.KEEP_RECORDS: {Role.ADMIN},
}


def may(user: User | None, action: CentreAction) -> bool:
    """May `user` take this centre-level action?"""
    return bool(user is not None and user.is_authenticated and user.is_active
                and user.role in CENTRE_ROLES[action])


def require(action: CentreAction) -> None:
    """In a view: 403 unless the current user may take this centre-level action."""
    if not may(current_user, action):
        abort(403)


def claim_portfolio(portfolio: Portfolio, *, locked: bool = False, seen: int | None = None,
                    **values) -> bool:
    """`UPDATE portfolio SET lock_version = lock_version + 1 [, values] WHERE id = :id AND
    locked_at IS [NOT] NULL [AND lock_version = :seen]`: True when the row was changed.

    The change then holds the portfolio's row (PostgreSQL) or the database's write lock
    (SQLite) until its transaction ends, so changes and signatures on one portfolio happen one
    after the other, and a signature computed before a change that committed meanwhile
    (`seen` is then out of date) changes nothing."""
    if portfolio.id is None:
        db.session.flush()
    query = update(Portfolio).where(
        Portfolio.id == portfolio.id,
        Portfolio.locked_at.is_not(None) if locked else Portfolio.locked_at.is_(None))
    if seen is not None:
        query = query.where(Portfolio.lock_version == seen)
    result = db.session.execute(
        query.values(lock_version=Portfolio.lock_version + 1, **values)
        .execution_options(synchronize_session=False))
    db.session.expire(portfolio, ["lock_version", "locked_at"])  # read again from the row
    if result.rowcount == 1:
        summaries.changed(db.session(), portfolio.id)  # its list figures, before commit
    return result.rowcount == 1


def ensure_unlocked(portfolio: Portfolio, *, claim: bool = True) -> None:
    """Every change to evidence, claims, decisions and records calls this first.

    With `claim` (services) the check is the conditional UPDATE of claim_portfolio, so
    nothing joins a portfolio signed off at the same instant; `claim=False` only checks (a
    page deciding what to offer)."""
    if portfolio.locked or (claim and not claim_portfolio(portfolio)):
        raise Locked("This portfolio has been signed off, so nothing in it can change. The "
                     "assessor or an administrator can reopen it, giving a reason.")


def conflicts(iqa: User, ids: list[int]) -> set[int]:
    """Portfolios among `ids` this user took part in assessing (a decision, an assessor's
    record or a sign-off of theirs): three queries for all, each led by the user's own rows
    (indexed), so a list of hundreds of portfolios costs what the user did, not what it shows."""
    if not ids:
        return set()
    out = set(db.session.scalars(
        select(Evidence.portfolio_id).join(Evidence.claims).join(Decision)
        .where(Decision.assessor_id == iqa.id)))
    out |= set(db.session.scalars(select(Evidence.portfolio_id).where(
        Evidence.author_id == iqa.id)))
    out |= set(db.session.scalars(select(Signature.portfolio_id).where(
        Signature.signer_id == iqa.id, Signature.kind == SignatureKind.SIGN_OFF.value)))
    return out & set(ids)


def assessed_by(user: User, portfolio: Portfolio) -> bool:
    """Did `user` take part in assessing this portfolio? Then they may not quality-assure it."""
    return portfolio.assessor_id == user.id or portfolio.id in conflicts(user, [portfolio.id])


def ensure_may_sample(user: User, portfolio: Portfolio) -> None:
    """Sampling and countersigning: the portfolio's IQA, never on their own assessment."""
    if not can(user, Action.SAMPLE, portfolio):
        raise NotAllowed("Only the portfolio's IQA can sample it.")
    if assessed_by(user, portfolio):
        raise NotAllowed("You took part in assessing this portfolio, so you cannot sample it: "
                         "an IQA never quality-assures their own assessment decisions. An "
                         "administrator can assign another IQA (Administration, Change).")


def access_ended(user: User, now: datetime | None = None) -> bool:
    """An EQA whose every grant has expired or been revoked: they may no longer sign in."""
    return user.role == Role.EQA and not current_grants(user, now)


@dataclass(frozen=True)
class PageFlags:
    """What a portfolio's pages may offer the viewer, lock and conflict rule applied."""

    edit: bool  # add, change and tag the learner's evidence; declare
    judge: bool  # decisions, records, sign-off
    countersign: bool
    reopen: bool  # only while signed off
    audit: bool
    export: bool
    read_quality: bool
    sample: bool
    manage_witnesses: bool
    check_witnesses: bool = False
    retention: bool = False  # the programme's end and how long its records are kept


def page_flags(user: User, portfolio: Portfolio) -> PageFlags:
    def allowed(action: Action) -> bool:
        return can(user, action, portfolio)

    # A signed-off portfolio is locked: its pages show everything and offer no changes.
    open_ = not portfolio.locked
    sample = allowed(Action.SAMPLE) and not assessed_by(user, portfolio)
    return PageFlags(
        edit=allowed(Action.EDIT_EVIDENCE) and open_, judge=allowed(Action.JUDGE) and open_,
        countersign=allowed(Action.COUNTERSIGN), reopen=allowed(Action.REOPEN) and not open_,
        audit=allowed(Action.AUDIT), export=allowed(Action.EXPORT),
        read_quality=allowed(Action.READ_QUALITY), sample=sample,
        manage_witnesses=allowed(Action.MANAGE_WITNESSES) and open_,
        check_witnesses=allowed(Action.CHECK_WITNESSES) and open_,
        retention=allowed(Action.RETENTION))


def may_see_plan(user: User | None, iqa: User) -> bool:
    """An IQA's sampling plan: that IQA, an admin, or an EQA with a portfolio it covers."""
    if user is None or not user.is_authenticated or not user.is_active or iqa.role != Role.IQA:
        return False
    if user.role == Role.ADMIN or user.id == iqa.id:
        return True
    if user.role == Role.EQA:
        return any(p.iqa_id == iqa.id for grant in current_grants(user) for p in grant.portfolios)
    return False


def eqa_portfolio_ids(user: User, now: datetime | None = None) -> set[int]:
    """The portfolios an EQA's current grants name (none once every grant has ended)."""
    return {p.id for grant in current_grants(user, now) for p in grant.portfolios}


def visible_portfolios_query(user: User):
    """A select() of the portfolios `user` may view, matching can(user, VIEW, ...)."""
    query = select(Portfolio).order_by(Portfolio.id)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.EQA:
        return query.where(Portfolio.id.in_(eqa_portfolio_ids(user)))
    return query.where(or_(Portfolio.learner_id == user.id, Portfolio.assessor_id == user.id,
                           Portfolio.iqa_id == user.id))


def get_portfolio(portfolio_id: int, action: Action = Action.VIEW) -> Portfolio:
    portfolio = db.session.get(Portfolio, portfolio_id)
    return check(portfolio, action)


def check(portfolio: Portfolio | None, action: Action) -> Portfolio:
    """404 unless the current user may view the portfolio; 403 unless they may do `action`."""
    if portfolio is None or not can(current_user, Action.VIEW, portfolio):
        abort(404)
    if has_request_context():  # for the log of what an EQA viewed
        g.viewed_portfolio_id = portfolio.id
    if not can(current_user, action, portfolio):
        abort(403)
    return portfolio
