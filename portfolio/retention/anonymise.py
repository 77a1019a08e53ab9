"""What erasure does to the audit trail and to the learner's account.

The audit trail is append-only by convention and not hash-chained (audit.py: each event is a
row of its own; no digest covers earlier events, and the portfolio digest of signing.py
covers the portfolio's state, never its events), so the erasure rewrites events in place
and removes none: every event keeps its id, time, kind and staff actor, and its summary and
details are replaced by words naming no one and a pointer to the anonymised record of the
erasure (its tombstone). The trail of the centre stays whole, with no gap in its ids.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import delete, func, or_, select

from .. import audit
from ..audit import AuditAction
from ..auth.services import NO_PASSWORD
from ..extensions import db
from ..models import (
    AuditEvent,
    LoginSession,
    Notification,
    PasswordReset,
    RecoveryCode,
    User,
    UserTotp,
)

ERASED_LEARNER = "erased learner"  # an anonymised event's actor, where the learner acted
ERASED_NAME = "[erased learner]"  # what replaces their name or email in other events

# Rows that are the account's own, deleted with it. tests/test_retention.py fails when a
# table refers to accounts and is neither here, nor one of the portfolio's (erase.py), nor
# named in STAFF_ONLY.
ACCOUNT_TABLES = {"login_session": LoginSession.user_id, "notification": Notification.user_id,
                  "password_reset": PasswordReset.user_id, "user_totp": UserTotp.user_id,
                  "recovery_code": RecoveryCode.user_id}
# Columns that only ever name the centre's staff, never a learner: nothing to do.
STAFF_ONLY = {"assessor_risk.assessor_id", "assessor_risk.set_by_id", "eqa_grant.eqa_id",
              "eqa_grant.granted_by_id", "staged_import.admin_id"}


def _scrub(event: AuditEvent, *, learner_id: int, tombstone_id: int) -> None:
    event.summary = f"{audit.label(event.action)} (details erased with the portfolio's records)"
    event.detail_json = json.dumps({"erased_with": tombstone_id})
    if event.actor_id == learner_id:
        event.actor_id, event.actor_email = None, ERASED_LEARNER


def _mentions(column, text: str):
    """The column holds `text`, any case, taken literally (no LIKE wildcards)."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _forms(text: str) -> set[str]:
    """A name as typed and as json.dumps writes it (non-ASCII letters escaped)."""
    return {text, json.dumps(text)[1:-1]}


def _replace(value, pattern: re.Pattern):
    if isinstance(value, str):
        return pattern.sub(ERASED_NAME, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pattern) for k, v in value.items()}
    return value


def anonymise_trail(portfolio_id: int, learner: User, *, account_erased: bool,
                    tombstone_id: int) -> int:
    """Anonymise the portfolio's events; with the account erased too, also the events by or
    about the account (signing in, its creation, its password) and any other event naming
    the learner's email or (unless another account has the same name) their name. How many
    events changed."""
    changed: set[int] = set()
    scrub = select(AuditEvent).where(AuditEvent.portfolio_id == portfolio_id)
    if account_erased:
        lid = learner.id
        scrub = select(AuditEvent).where(or_(
            AuditEvent.portfolio_id == portfolio_id, AuditEvent.actor_id == lid,
            AuditEvent.detail_json.contains(f'"user_id": {lid},', autoescape=True),
            AuditEvent.detail_json.contains(f'"user_id": {lid}}}', autoescape=True)))
    for event in db.session.scalars(scrub.where(AuditEvent.id != tombstone_id)):
        _scrub(event, learner_id=learner.id, tombstone_id=tombstone_id)
        changed.add(event.id)
    if not account_erased:
        return len(changed)
    words = {learner.email}
    namesake = db.session.scalar(select(User.id).where(
        func.lower(User.name) == learner.name.lower(), User.id != learner.id).limit(1))
    if namesake is None and len(learner.name.strip()) > 2:
        words.add(learner.name.strip())
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in
                                  sorted(words, key=len, reverse=True)), re.IGNORECASE)
    found = [c for w in words for form in _forms(w)
             for c in (_mentions(AuditEvent.summary, form), _mentions(AuditEvent.detail_json,
                                                                        form))]
    for event in db.session.scalars(select(AuditEvent).where(
            or_(*found), AuditEvent.id != tombstone_id, AuditEvent.id.not_in(changed or {0}))):
        event.summary = pattern.sub(ERASED_NAME, event.summary)
        event.detail_json = json.dumps(_replace(event.detail, pattern), default=str,
                                       sort_keys=True)
        if event.actor_email.lower() == learner.email.lower():
            event.actor_id, event.actor_email = None, ERASED_LEARNER
        changed.add(event.id)
    return len(changed)


def references_to(user_id: int) -> list[str]:
    """Every table.column still naming this account (all the columns that refer to users)."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and db.session.scalar(
                    select(fk.parent).where(fk.parent == user_id).limit(1)) is not None:
                found.append(f"{table.name}.{fk.parent.name}")
    return found


def erase_account(learner: User, *, actor: User, tombstone_id: int) -> str:
    """The learner has no other portfolio: their account goes too. Its own rows (sign-ins,
    notices) are deleted; then the account itself, or, when something still names it, it
    stays as a placeholder with no name, email or password that cannot sign in. Returns
    "deleted" or "anonymised"."""
    lid = learner.id
    for column in ACCOUNT_TABLES.values():
        db.session.execute(delete(column.table).where(column == lid)
                           .execution_options(synchronize_session=False))
    if references_to(lid):
        learner.name, learner.email = "Erased learner", f"erased-{lid}@erased.invalid"
        learner.password_hash, learner.active, learner.last_login_ip = NO_PASSWORD, False, ""
        learner.failed_logins, learner.locked_until = 0, None
        learner.oidc_issuer = learner.oidc_subject = None  # the college account's id too
        learner.deactivated_why, learner.must_change_password = "", False
        how = "anonymised"
    else:
        db.session.execute(delete(User).where(User.id == lid)
                           .execution_options(synchronize_session=False))
        how = "deleted"
    audit.record(AuditAction.USER_ERASED, actor=actor,
                 summary=f"Learner account #{lid} erased with its last portfolio ({how})",
                 account=lid, how=how, erased_with=tombstone_id)
    return how
