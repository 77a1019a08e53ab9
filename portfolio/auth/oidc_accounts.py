"""Who a college account (OpenID Connect) is here: matched to an existing portfolio account.

The identity provider never creates an account and never gives a role: an administrator
makes the account (with its role) as before, and the first sign-in with the college account
matches it by a *verified* email and records the provider's issuer and subject on it. Later
sign-ins match by (issuer, subject) first, so an email that changes at the provider (or is
given to someone else there) does not move the account.

Only the `email` claim counts, and only with `email_verified` true, or with OIDC_TRUST_EMAIL
for a provider whose emails the college controls (Entra ID sends no `email_verified`).
`preferred_username` and `upn` are never trusted as an email: in Entra ID they are sign-in
names, not addresses anyone has verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..access import access_ended
from ..audit import AuditAction
from ..extensions import db
from ..models import Role, User
from .oidc_client import Refused
from .services import find_user

# Roles that keep their passwords when PASSWORD_SIGNIN_FOR_STAFF is false: learners (some
# have no college account) and EQAs (they come from the awarding body, not the college).
PASSWORD_ROLES = frozenset({Role.LEARNER.value, Role.EQA.value})

ASK_ADMIN = "ask the centre's administrator"


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its issuer and subject, and the email only when it
    is verified (else None); `claimed_email` is what the token said, for the messages."""

    issuer: str
    subject: str
    email: str | None
    claimed_email: str


def identity_from_claims(claims: dict, *, trust_email: bool,
                         domains: tuple[str, ...] | list[str] = ()) -> Identity:
    """The Identity in verified ID-token claims. Pure: no Flask, no database."""
    claimed = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") in (True, "true")  # some providers send a string
    email = claimed if claimed and "@" in claimed and (verified or trust_email) else None
    if email and domains and email.rsplit("@", 1)[1] not in domains:
        email = None
    return Identity(issuer=str(claims["iss"]), subject=str(claims["sub"]), email=email,
                    claimed_email=claimed)


def refusal_for_unmatched(identity: Identity, domains: tuple[str, ...] | list[str]) -> str:
    """Why no account matched, in words for the person, with what to do."""
    if not identity.claimed_email:
        return ("Your college account did not give an email address, so it cannot be matched "
                f"to a portfolio account and you have not been signed in. Please {ASK_ADMIN}.")
    domain = identity.claimed_email.rsplit("@", 1)[-1]
    if domains and domain not in domains:
        return (f"Your college account’s email address ({identity.claimed_email}) is not at "
                f"{' or '.join(domains)}, the college's own addresses, so you have not been "
                f"signed in. Please {ASK_ADMIN}.")
    if identity.email is None:
        return (f"Your college account did not confirm that its email address "
                f"({identity.claimed_email}) is verified, so it cannot be matched to a "
                f"portfolio account and you have not been signed in. Please {ASK_ADMIN}.")
    return (f"There is no portfolio account for {identity.email}, so you have not been signed "
            "in (signing in with the college account never creates one). Please "
            f"{ASK_ADMIN} to make your account with this email address, or to tell you "
            "which address it has.")


def match_user(identity: Identity, *, domains: tuple[str, ...] | list[str] = ()) -> User:
    """The portfolio account of this college account, or Refused (403) with why.

    By (issuer, subject) first; else by verified email, to an account not yet linked to
    another college account, which is then linked (audited). An account that is inactive, or
    an EQA whose access has ended, is refused, and is never linked. Flushes; the caller
    commits."""
    user = db.session.scalar(select(User).where(User.oidc_issuer == identity.issuer,
                                                User.oidc_subject == identity.subject))
    linked = user is not None
    if not linked:
        user = find_user(identity.email) if identity.email else None
        if user is None:
            raise Refused(refusal_for_unmatched(identity, domains))
        if user.oidc_subject is not None:  # someone else at the provider has this email now
            raise Refused(f"The portfolio account for {user.email} is already linked to a "
                          "different college account, so you have not been signed in. If "
                          f"your college account was replaced, {ASK_ADMIN} to unlink the "
                          "old one.")
    if not user.active:
        raise Refused("Your portfolio account has been closed, so you cannot sign in. If you "
                      f"still need it, {ASK_ADMIN}.")
    if access_ended(user):
        raise Refused("Your access as an external quality assurer has ended (or was "
                      "withdrawn). Ask the centre for a new grant if you still need it.")
    if not linked:
        user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
        audit.record(AuditAction.USER_SSO_LINKED, actor=user,
                     summary=f"{user.email} linked to their college account",
                     user_id=user.id, issuer=identity.issuer)
        db.session.flush()
    return user


def unlink(user: User, *, actor: User | None) -> bool:
    """Forget the college account linked to `user` (it was replaced at the provider): the
    next sign-in with a college account matches by email again. False if none was linked."""
    if user.oidc_subject is None:
        return False
    issuer = user.oidc_issuer
    user.oidc_issuer = user.oidc_subject = None
    audit.record(AuditAction.USER_SSO_UNLINKED, actor=actor,
                 summary=f"College account unlinked from {user.email}", user_id=user.id,
                 issuer=issuer)
    return True


def password_allowed(user: User, config) -> bool:
    """May this account sign in with its password? Always, unless PASSWORD_SIGNIN_FOR_STAFF
    is false: then only learners and EQAs (staff use the college account)."""
    return bool(config.get("PASSWORD_SIGNIN_FOR_STAFF", True)) or user.role in PASSWORD_ROLES
