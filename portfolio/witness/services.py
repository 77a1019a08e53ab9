"""Witness requests and testimonies.

The link's token is 32 random bytes (256 bits) from `secrets`; only its sha256 is stored, so
the database alone cannot be used to sign as a witness. A link works once, until it expires
(WITNESS_LINK_DAYS, 14 by default) or the learner or assessor revokes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..access import Action, can, ensure_unlocked
from ..audit import AuditAction
from ..clock import uk_today
from ..errors import DomainError, NotAllowed
from ..evidence.versions import record_version
from ..extensions import db
from ..models import Evidence, Portfolio, User, WitnessRequest, utcnow
from ..notify import absolute, link_to, notify, queue_mail
from ..spec import Unit
from ..text import one_line
from ..tokens import hash_token, new_token
from ..validators import FUTURE_DATE


@dataclass(frozen=True)
class WitnessDetails:
    name: str
    email: str
    job_title: str
    relationship: str
    activity: str
    method: str = ""  # one of the unit's witness methods; the first when empty


def request_testimony(portfolio: Portfolio, unit: Unit, details: WitnessDetails, *,
                      actor: User) -> tuple[WitnessRequest, str, bool]:
    """Create a one-time link. Returns the request, the link (shown once) and whether it was
    emailed (only when SMTP is configured)."""
    if not can(actor, Action.EDIT_EVIDENCE, portfolio):
        raise NotAllowed("Only the learner asks their witnesses.")
    ensure_unlocked(portfolio)
    method = details.method or next((m.key for m in unit.methods_by("witness")), "")
    if method not in {m.key for m in unit.methods_by("witness")}:
        raise DomainError("This unit does not take witness testimony."
                          if not unit.methods_by("witness") else
                          "Choose the kind of witness from the list.")
    token = new_token()
    days = current_app.config.get("WITNESS_LINK_DAYS", 14)
    request = WitnessRequest(
        portfolio_id=portfolio.id, requested_by_id=actor.id, witness_name=details.name.strip(),
        witness_email=details.email.strip().lower(), job_title=details.job_title.strip(),
        relationship_to_learner=details.relationship.strip(),
        activity=details.activity.strip(), method=method, token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=days))
    db.session.add(request)
    db.session.flush()
    link = absolute(link_to("witness.testimony", token=token))
    emailed = queue_mail(
        request.witness_email,
        f"{portfolio.learner.name} asks you for a witness testimony",
        f"Hello {request.witness_name},\n\n{portfolio.learner.name} is working towards "
        f"{unit.name} and has named you as someone who saw their work:\n\n"
        f"  {request.activity}\n\nPlease describe what you saw, in your own words, here "
        f"(the link works once and expires in {days} days; you do not need an account):\n\n"
        f"  {link}\n\nThank you,\n{current_app.config['CENTRE_NAME']}\n")
    audit.record(AuditAction.WITNESS_REQUESTED, actor=actor, portfolio=portfolio,
                 summary=f"Asked {request.witness_name} ({request.job_title}) for a testimony"
                         + (" by email" if emailed else "; link shown to the learner to pass on"),
                 witness_request_id=request.id, witness_email=request.witness_email,
                 emailed=emailed, expires_at=request.expires_at)
    return request, link, emailed


def _method_name(unit: Unit, key: str) -> str:
    method = unit.methods.get(key)
    return method.name if method else "Witness testimony"


def witness_rows(portfolio: Portfolio) -> list[tuple[WitnessRequest, str]]:
    """The witness status list (portfolio page and PDF): each request and its state."""
    now = utcnow()
    requests = db.session.scalars(
        select(WitnessRequest).where(WitnessRequest.portfolio_id == portfolio.id)
        .options(selectinload(WitnessRequest.evidence))  # signed rows link to their item
        .order_by(WitnessRequest.created_at)).all()
    return [(r, r.state(now)) for r in requests]


def find_request(token: str) -> WitnessRequest | None:
    if not token or len(token) > 100:
        return None
    return db.session.query(WitnessRequest).filter_by(token_hash=hash_token(token)).first()


def revoke(request: WitnessRequest, *, actor: User) -> None:
    portfolio = request.portfolio
    if not can(actor, Action.MANAGE_WITNESSES, portfolio):
        raise NotAllowed("Only the learner or their assessor can revoke a witness link.")
    state = request.state(utcnow())
    if state != "waiting":
        raise DomainError(f"This link is already {state}.")
    request.revoked_at, request.revoked_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(AuditAction.WITNESS_REVOKED, actor=actor, portfolio=portfolio,
                 summary=f"Revoked the witness link for {request.witness_name}",
                 witness_request_id=request.id)


@dataclass(frozen=True)
class Testimony:
    statement: str
    dated: date
    not_relative: bool
    verification_contact: str
    signed_name: str
    confirmed: bool


def submit_testimony(request: WitnessRequest, unit: Unit, testimony: Testimony,
                     now: datetime) -> Evidence:
    """The witness signs: a witness-testimony evidence item, authored by them, is created."""
    state = request.state(now)
    if state != "waiting":
        raise DomainError(f"This link has been {state} and accepts nothing.")
    portfolio = request.portfolio
    ensure_unlocked(portfolio)
    if not testimony.statement.strip():
        raise DomainError("Describe what you saw.")
    if not testimony.not_relative:
        raise DomainError("A witness testimony cannot come from a relative of the learner.")
    if not testimony.verification_contact.strip():
        raise DomainError("Give a phone number or email address so the centre can check this "
                          "testimony with you.")
    if not testimony.signed_name.strip() or not testimony.confirmed:
        raise DomainError("Sign by typing your full name and ticking the confirmation.")
    if testimony.dated > uk_today(now):
        raise DomainError(FUTURE_DATE)
    # Used once: of several submissions at the same instant, only the one whose UPDATE finds
    # the link unused goes on; the others change nothing.
    claimed = db.session.execute(
        update(WitnessRequest).where(WitnessRequest.id == request.id,
                                     WitnessRequest.used_at.is_(None),
                                     WitnessRequest.revoked_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1
    db.session.expire(request, ["used_at", "revoked_at"])
    if not claimed:
        raise DomainError(f"This link has been {request.state(now)} and accepts nothing.")
    evidence = Evidence(
        portfolio=portfolio, author_id=None, method=request.method, dated=testimony.dated,
        title=one_line(f"{_method_name(unit, request.method)}: {request.witness_name}, "
                       f"{request.job_title}"),
        context=f"{request.job_title}; {request.relationship_to_learner}. "
                f"Asked to describe: {request.activity}",
        account_md=testimony.statement.strip())
    db.session.add(evidence)
    request.evidence = evidence
    request.used_at = now
    request.not_relative = True
    request.verification_contact = testimony.verification_contact.strip()
    request.signed_name = " ".join(testimony.signed_name.split())
    db.session.flush()
    record_version(evidence, actor=None, note=f"Signed by {request.signed_name}")
    audit.record(AuditAction.WITNESS_SIGNED, actor=None, portfolio=portfolio,
                 summary=f"{request.signed_name} signed a witness testimony",
                 witness_request_id=request.id, evidence_id=evidence.id,
                 witness_email=request.witness_email,
                 verification_contact=request.verification_contact)
    link = link_to("evidence.detail", evidence_id=evidence.id)
    notify(portfolio.learner, f"{request.witness_name} sent their witness testimony. Tag it to "
           "the criteria it shows.", link=link, portfolio=portfolio)
    notify(portfolio.assessor, f"{request.witness_name} ({request.job_title}) sent a witness "
           f"testimony for {portfolio.learner.name}.", link=link, portfolio=portfolio)
    return evidence
