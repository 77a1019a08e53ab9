"""Accounts over time: editing, closing a leaver's account and reopening it.

A closed account cannot sign in (every sign-in and reset link ends at once), but nothing it
made goes: its portfolios, decisions and signatures stay intact and readable. Portfolios it
assesses or quality-assures are flagged for reassignment until someone else takes them.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, or_, select

from .. import audit
from ..audit import AuditAction
from ..auth.services import account_problems, end_reset_links, end_sessions_of, find_user
from ..errors import DomainError, FieldProblem, refuse
from ..extensions import db
from ..models import LoginSession, Portfolio, Role, User, utcnow


def caseload(user: User) -> list[Portfolio]:
    """Every portfolio the person is the learner, assessor or IQA of."""
    return list(db.session.scalars(select(Portfolio).where(or_(
        Portfolio.learner_id == user.id, Portfolio.assessor_id == user.id,
        Portfolio.iqa_id == user.id)).order_by(Portfolio.id)))


def needs_reassigning(portfolio: Portfolio) -> bool:
    """Open (not yet signed off) with a closed account as its assessor or IQA."""
    return not portfolio.locked and not (portfolio.assessor.active and portfolio.iqa.active)


def _role_holds(user: User) -> int:
    """How many portfolios name this person in their present role."""
    return db.session.scalar(select(func.count(Portfolio.id)).where(or_(
        Portfolio.learner_id == user.id, Portfolio.assessor_id == user.id,
        Portfolio.iqa_id == user.id))) or 0


def _other_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.active, User.id != user.id)) or 0


def edit_account(user: User, *, name: str, email: str, role: str, actor: User) -> list[str]:
    """Change name, email or role; what changed, in words (empty: nothing). A new role ends
    every sign-in of the account, so its pages and rights change at once."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    refuse(account_problems(name=name, email=email, password=None))
    other = find_user(email)
    if other is not None and other.id != user.id:
        raise FieldProblem(f"There is already an account for {email}.", "email")
    if role != user.role:
        if Role.EQA in (role, user.role):
            raise FieldProblem("External quality assurers are managed from EQA access, with "
                               "a time-limited grant: create a separate account instead.", "role")
        if user.id == actor.id:
            raise FieldProblem("You cannot change your own role: ask another administrator.",
                               "role")
        held = _role_holds(user)
        if held:
            raise FieldProblem(
                f"{user.name} is named on {held} portfolio{'' if held == 1 else 's'} as "
                f"{Role(user.role).label.lower()}. Give those portfolios someone else first "
                "(Change, on the administration page), or create a separate account for the "
                "new role, so past decisions keep the role they were made in.", "role")
    before = {"name": user.name, "email": user.email, "role": user.role}
    after = {"name": name, "email": email, "role": Role(role).value}
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        return []
    user.name, user.email, user.role = after["name"], after["email"], after["role"]
    if "email" in changed:  # a link sent to the old address must not work any more
        end_reset_links(user)
    if "role" in changed:
        end_sessions_of(user, "role changed")
    audit.record(AuditAction.USER_CHANGED, actor=actor,
                 summary=f"Changed {', '.join(changed)} of {before['email']}"
                         + (f" (now {email})" if "email" in changed else ""),
                 user_id=user.id, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed})
    return changed


def deactivate(user: User, why: str, *, actor: User) -> list[Portfolio]:
    """Close a leaver's account: they are signed out everywhere and cannot sign in; what they
    made stays. Returns the open portfolios that now need another assessor or IQA."""
    why = (why or "").strip()
    if not why:
        raise FieldProblem("Say why the account is being closed (for example: left the "
                           "centre on 30 November).", "why")
    if not user.active:
        raise DomainError(f"{user.name}’s account is already closed.")
    if user.id == actor.id:
        raise DomainError("You cannot close your own account: ask another administrator.")
    if user.role == Role.ADMIN and not _other_admins(user):
        raise DomainError("This is the only open administrator account: open another first, "
                          "or nobody could manage the centre.")
    now = utcnow()
    user.active, user.deactivated_at, user.deactivated_why = False, now, why[:200]
    ended = end_sessions_of(user, "account closed")
    end_reset_links(user, now)
    flagged = [p for p in caseload(user)
               if p.learner_id != user.id and not p.locked]
    audit.record(AuditAction.USER_DEACTIVATED, actor=actor,
                 summary=f"Closed the account of {user.email}: {why[:200]}",
                 user_id=user.id, why=why[:200], sessions_ended=ended,
                 to_reassign=[p.id for p in flagged])
    return flagged


def reactivate(user: User, *, actor: User) -> None:
    """Reopen a closed account. The person signs in with their old password (or ask for a
    temporary one): reopening sets none."""
    if user.active:
        raise DomainError(f"{user.name}’s account is already open.")
    user.active, user.deactivated_at, user.deactivated_why = True, None, ""
    user.failed_logins, user.locked_until = 0, None
    audit.record(AuditAction.USER_REACTIVATED, actor=actor,
                 summary=f"Reopened the account of {user.email}", user_id=user.id)


def live_sessions(user: User) -> int:
    """Sign-ins of the account still held on the server (not ended, not yet expired)."""
    since = utcnow() - current_app.permanent_session_lifetime
    return db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
        LoginSession.created_at > since)) or 0
