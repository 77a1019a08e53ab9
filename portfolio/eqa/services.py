"""External quality assurers: time-limited, read-only access to named portfolios.

An admin grants access; the EQA gets a one-time invitation link (256-bit token, only its sha256
kept) to set a password, then signs in normally until the grant expires or is revoked. Every
page and file an EQA opens is logged (`log_view`, after each request). What an EQA may open is
decided by access.can() from their current grants, and `ALLOWED_ENDPOINTS` below keeps them to
reading pages even if a view forgot to check.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import audit
from ..audit import AuditAction
from ..auth.services import check_password, find_user, hash_password
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import AuditEvent, EqaGrant, Portfolio, Role, User, utcnow
from ..notify import absolute, link_to, queue_mail
from ..tokens import hash_token, new_token

MAX_DAYS = 90

# The pages an EQA can reach: reading portfolios, their evidence and files, signatures, the
# sampling plan and sample records, and checking a PDF. Anything else is refused.
ALLOWED_ENDPOINTS = {
    "auth.index", "auth.login", "auth.logout", "portfolios.index", "portfolios.detail",
    "portfolios.unit", "auth.accessibility", "auth.healthz", "evidence.pdf_page",
    "evidence.detail", "evidence.download", "evidence.version", "evidence.version_file",
    "signoff.page", "iqa.plan", "iqa.plan_download", "iqa.sample", "export.verify",
    "eqa.invitation", "static", "bootstrap.static",
    # Their own account, password and two-step sign-in (which the centre may require).
    "auth.login_code", "account.index", "account.two_step", "account.recovery_codes",
    "account.turn_off", "auth.change_password", "auth.forgot_password", "auth.reset_password",
}
# Of those, the ones that take a POST (signing out; checking a PDF changes nothing; their
# own password and two-step sign-in).
ALLOWED_POSTS = {"auth.login", "auth.logout", "export.verify", "eqa.invitation",
                 "auth.login_code", "account.two_step", "account.recovery_codes",
                 "account.turn_off", "auth.change_password", "auth.forgot_password",
                 "auth.reset_password"}




def grant_access(*, name: str, email: str, organisation: str, portfolios: list[Portfolio],
                 days: int, actor: User) -> tuple[EqaGrant, str, bool]:
    """Create the grant (and the EQA's account if new). Returns the grant, the invitation link
    (shown once to the admin) and whether it was emailed."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator grants EQA access.")
    if not portfolios:
        raise DomainError("Name at least one portfolio the EQA may see.")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"Access lasts from 1 to {MAX_DAYS} days.")
    email = email.strip().lower()
    user = find_user(email)
    if user is not None and user.role != Role.EQA:
        raise DomainError(f"{email} belongs to a centre account ({user.role_label}); an "
                          "external quality assurer needs an account of their own.")
    if user is None:
        # No usable password until they follow the invitation.
        user = User(email=email, name=name.strip(), role=Role.EQA.value,
                    password_hash=hash_password(secrets.token_urlsafe(32)))
        db.session.add(user)
        db.session.flush()
        audit.record(AuditAction.USER_CREATED, actor=actor, summary=f"Created EQA account {email}",
                     user_id=user.id, role=Role.EQA.value)
    token = new_token()
    grant = EqaGrant(eqa_id=user.id, organisation=organisation.strip(), granted_by_id=actor.id,
                     expires_at=utcnow() + timedelta(days=days),
                     invite_token_hash=hash_token(token))
    grant.portfolios = list(portfolios)
    db.session.add(grant)
    db.session.flush()
    link = absolute(link_to("eqa.invitation", token=token))
    names = ", ".join(p.learner.name for p in portfolios)
    emailed = queue_mail(
        email, f"Access to portfolios at {current_app.config['CENTRE_NAME']}",
        f"Hello {user.name},\n\nYou have read-only access to {len(portfolios)} portfolio"
        f"{'' if len(portfolios) == 1 else 's'} ({names}) until "
        f"{grant.expires_at:%d %B %Y}. Set your password here (the link works once, for "
        f"{invite_days()} days):\n\n  {link}\n\nThen sign in with your email address.\n")
    audit.record(AuditAction.EQA_GRANTED, actor=actor,
                 summary=f"Granted {user.name} ({email}) read-only access to {names} for "
                         f"{days} days", grant_id=grant.id, eqa_id=user.id,
                 portfolios=[p.id for p in portfolios], expires_at=grant.expires_at)
    for p in portfolios:
        audit.record(AuditAction.EQA_GRANTED, actor=actor, portfolio=p,
                     summary=f"EQA {user.name} ({grant.organisation or email}) may read this "
                             f"portfolio until {grant.expires_at:%d %B %Y}", grant_id=grant.id)
    return grant, link, emailed


def invite_days() -> int:
    return current_app.config.get("EQA_INVITE_DAYS", 7)


def find_invitation(token: str) -> EqaGrant | None:
    return db.session.scalar(select(EqaGrant).where(
        EqaGrant.invite_token_hash == hash_token(token)))


def invitation_problem(grant: EqaGrant | None, now: datetime) -> str | None:
    if grant is None:
        return "This invitation link is not valid. Check you copied all of it."
    if grant.invite_used_at is not None:
        return ("This invitation has already been used to set a password. Sign in with your "
                "email address and that password.")
    if grant.revoked_at is not None:
        return "This access has been withdrawn by the centre."
    if not grant.current(now):
        return "This access has ended. Ask the centre for a new invitation."
    if now >= grant.created_at + timedelta(days=invite_days()):
        return ("This invitation link has expired. Ask the centre's administrator to send a "
                "new one.")
    return None


def accept_invitation(grant: EqaGrant, password: str, confirm: str, *, now: datetime) -> User:
    problem = invitation_problem(grant, now)
    if problem:
        raise DomainError(problem)
    check_password(password, about=(grant.eqa.name, grant.eqa.email))
    if password != confirm:
        raise DomainError("The two passwords are different.")
    password_hash = hash_password(password)
    # Used once: of several uses at the same instant, only the one whose UPDATE finds the
    # invitation unused sets a password.
    claimed = db.session.execute(
        update(EqaGrant).where(EqaGrant.id == grant.id, EqaGrant.invite_used_at.is_(None),
                               EqaGrant.revoked_at.is_(None))
        .values(invite_used_at=now).execution_options(synchronize_session=False)).rowcount == 1
    db.session.expire(grant, ["invite_used_at", "revoked_at"])
    if not claimed:
        raise DomainError(invitation_problem(grant, now) or "This invitation was just used.")
    grant.eqa.password_hash = password_hash
    audit.record(AuditAction.EQA_INVITATION_ACCEPTED, actor=grant.eqa,
                 summary=f"{grant.eqa.email} set a password from the invitation",
                 grant_id=grant.id)
    return grant.eqa


def revoke(grant: EqaGrant, *, actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator can withdraw EQA access.")
    if grant.revoked_at is not None:
        raise DomainError("This access is already withdrawn.")
    grant.revoked_at = utcnow()
    audit.record(AuditAction.EQA_REVOKED, actor=actor,
                 summary=f"Withdrew {grant.eqa.name}'s access", grant_id=grant.id)


def log_view(user: User, *, method: str, path: str, endpoint: str | None, status: int,
             portfolio_id: int | None) -> None:
    """One audit event per page or file an EQA opens (or is refused)."""
    audit.record(AuditAction.EQA_VIEWED, actor=user, portfolio_id=portfolio_id,
                 summary=f"{method} {path} ({status})", endpoint=endpoint or "", status=status)


def views_of(grant: EqaGrant) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.EQA_VIEWED.value,
                                 AuditEvent.actor_id == grant.eqa_id,
                                 AuditEvent.created_at >= grant.created_at)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(500)))
