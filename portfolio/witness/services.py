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
from .checks import (
    RELATIONSHIP_LABELS,
    contact_problem,
    relationship_problem,
    relative_named,
    same_name,
)


@dataclass(frozen=True)
class WitnessDetails:
    name: str
    email: str
    job_title: str
    relationship: str
    activity: str
    method: str = ""  # one of the unit's witness methods; the first when empty
    request_key: str = ""  # the form's one-time key: the same key never makes a second link


@dataclass(frozen=True)
class Asked:
    request: WitnessRequest
    link: str | None  # shown once, to the assessor only (email off: see pass_on)
    emailed: bool
    repeated: bool = False  # the same form sent again: nothing new was made


def request_testimony(portfolio: Portfolio, unit: Unit, details: WitnessDetails, *,
                      actor: User) -> Asked:
    """Ask a witness. With email on, a one-time link goes to the witness's address only; with
    email off, no link exists yet: the assessor makes it and passes it on (pass_on). Either
    way the learner never sees a link that would let them sign their own testimony."""
    if not can(actor, Action.EDIT_EVIDENCE, portfolio):
        raise NotAllowed("Only the learner asks their witnesses.")
    ensure_unlocked(portfolio)
    key = details.request_key.strip()[:64]
    if key:
        earlier = db.session.scalar(select(WitnessRequest).where(
            WitnessRequest.request_key == key, WitnessRequest.portfolio_id == portfolio.id))
        if earlier is not None:
            return Asked(earlier, None, False, repeated=True)
    method = details.method or next((m.key for m in unit.methods_by("witness")), "")
    if method not in {m.key for m in unit.methods_by("witness")}:
        raise DomainError("This unit does not take witness testimony."
                          if not unit.methods_by("witness") else
                          "Choose the kind of witness from the list.")
    email = details.email.strip().lower()
    account = db.session.scalar(select(User).where(User.email == email))
    if account is not None:
        whose = "your own address" if account.id == portfolio.learner_id else (
            f"the address of an account at this centre ({account.role_label.lower()})")
        raise DomainError(f"{email} is {whose}. A witness is asked at their own email "
                          "address, so that the testimony comes from them.")
    if relative_named(details.relationship):
        raise DomainError("A witness testimony cannot come from a relative. Ask someone who "
                          "saw your work, such as your manager, a colleague or a customer.")
    days = current_app.config.get("WITNESS_LINK_DAYS", 14)
    mail_on = bool(current_app.config.get("MAIL_SERVER"))
    token = new_token() if mail_on else None
    request = WitnessRequest(
        portfolio_id=portfolio.id, requested_by_id=actor.id, witness_name=details.name.strip(),
        witness_email=email, job_title=details.job_title.strip(),
        relationship_to_learner=details.relationship.strip(),
        activity=details.activity.strip(), method=method, request_key=key or None,
        token_hash=hash_token(token) if token else None,
        expires_at=utcnow() + timedelta(days=days))
    db.session.add(request)
    db.session.flush()
    if token:
        _mail_link(request, unit, token, days)
    else:
        notify(portfolio.assessor, f"{portfolio.learner.name} asked {request.witness_name} "
               f"({request.job_title}) for a witness testimony. Email is off: make the link "
               "and pass it on to the witness yourself.",
               link=link_to("portfolios.detail", portfolio_id=portfolio.id,
                            _anchor="witnesses-heading"), portfolio=portfolio)
    audit.record(AuditAction.WITNESS_REQUESTED, actor=actor, portfolio=portfolio,
                 summary=f"Asked {request.witness_name} ({request.job_title}) for a testimony"
                         + (" by email" if token else "; the assessor passes the link on"),
                 witness_request_id=request.id, witness_email=request.witness_email,
                 emailed=bool(token), expires_at=request.expires_at)
    return Asked(request, None, bool(token))


def _mail_link(request: WitnessRequest, unit: Unit, token: str, days: int) -> None:
    portfolio = request.portfolio
    link = absolute(link_to("witness.testimony", token=token))
    queue_mail(
        request.witness_email,
        f"{portfolio.learner.name} asks you for a witness testimony",
        f"Hello {request.witness_name},\n\n{portfolio.learner.name} is working towards "
        f"{unit.name} and has named you as someone who saw their work:\n\n"
        f"  {request.activity}\n\nPlease describe what you saw, in your own words, here "
        f"(the link works once and expires in {days} days; you do not need an account):\n\n"
        f"  {link}\n\nThank you,\n{current_app.config['CENTRE_NAME']}\n")


def pass_on(request: WitnessRequest, *, actor: User) -> str:
    """The assessor makes the link to pass on to the witness (email off), shown to them once;
    making it again replaces the earlier one, which stops working."""
    portfolio = request.portfolio
    if not can(actor, Action.CHECK_WITNESSES, portfolio):
        raise NotAllowed("Only the learner's assessor passes a witness link on.")
    ensure_unlocked(portfolio)
    state = request.state(utcnow())
    if state not in ("waiting", "to pass on"):
        raise DomainError(f"This request is {state}: there is no link to pass on.")
    token = new_token()
    again = request.token_hash is not None
    request.token_hash, request.passed_on_at, request.passed_on_by_id = (
        hash_token(token), utcnow(), actor.id)
    db.session.flush()
    audit.record(AuditAction.WITNESS_PASSED_ON, actor=actor, portfolio=portfolio,
                 summary=f"Made {'a new' if again else 'the'} link for {request.witness_name} "
                         "to pass on" + (" (the earlier one no longer works)" if again else ""),
                 witness_request_id=request.id)
    return absolute(link_to("witness.testimony", token=token))


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
    if state not in ("waiting", "to pass on"):
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
    job_title: str = ""
    relationship_kind: str = ""
    relationship_other: str = ""
    competence: str = ""  # an expert witness's qualification or role
    signed_ip: str = ""  # a fingerprint (checks.fingerprint), for the assessor's flags


def testimony_problems(request: WitnessRequest, unit: Unit, t: Testimony,
                       now: datetime) -> list[str]:
    """Every reason the statement cannot be taken, in words for the witness."""
    out = []
    if not t.statement.strip():
        out.append("Describe what you saw.")
    if not t.job_title.strip():
        out.append("Give your job title.")
    if problem := relationship_problem(t.relationship_kind, t.relationship_other):
        out.append(problem)
    if not t.not_relative:
        out.append("A witness testimony cannot come from a relative of the learner.")
    if not t.verification_contact.strip():
        out.append("Give a phone number or email address so the centre can check this "
                   "testimony with you.")
    elif problem := contact_problem(t.verification_contact):
        out.append(problem)
    method = unit.methods.get(request.method)
    if method is not None and method.competence and not t.competence.strip():
        out.append("As an expert witness, say what makes you occupationally competent: your "
                   "qualification or role.")
    if not t.signed_name.strip() or not t.confirmed:
        out.append("Sign by typing your full name and ticking the confirmation.")
    elif not same_name(t.signed_name, request.witness_name):
        out.append(f"The typed name “{' '.join(t.signed_name.split())}” is not the name "
                   f"this request was made to ({request.witness_name}). Type that name; if "
                   "it is wrong, ask the learner to ask you again with the right one.")
    if t.dated > uk_today(now):
        out.append(FUTURE_DATE)
    return out


def submit_testimony(request: WitnessRequest, unit: Unit, testimony: Testimony,
                     now: datetime) -> Evidence:
    """The witness signs: a witness-testimony evidence item, authored by them, is created."""
    state = request.state(now)
    if state != "waiting":
        raise DomainError(f"This link has been {state} and accepts nothing.")
    portfolio = request.portfolio
    ensure_unlocked(portfolio)
    problems = testimony_problems(request, unit, testimony, now)
    if problems:
        raise DomainError(" ".join(problems))
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
    if testimony.job_title.strip() != request.job_title:
        request.job_title = testimony.job_title.strip()[:120]  # the witness's own word
    request.relationship_kind = testimony.relationship_kind
    if testimony.relationship_kind == "other":
        relationship = testimony.relationship_other.strip()
    else:
        relationship = RELATIONSHIP_LABELS[testimony.relationship_kind]
    request.competence = testimony.competence.strip()
    request.signed_ip = testimony.signed_ip
    evidence = Evidence(
        portfolio=portfolio, author_id=None, method=request.method, dated=testimony.dated,
        title=one_line(f"{_method_name(unit, request.method)}: {request.witness_name}, "
                       f"{request.job_title}"),
        context=one_line(f"{request.job_title}; {relationship} (the learner: "
                         f"{request.relationship_to_learner}). Asked to describe: "
                         f"{request.activity}"),
        account_md=testimony.statement.strip())
    db.session.add(evidence)
    request.evidence = evidence
    request.used_at = now
    request.not_relative = True
    request.verification_contact = testimony.verification_contact.strip()
    request.signed_name = " ".join(testimony.signed_name.split())
    db.session.flush()
    request.relationship_to_learner = relationship[:200]
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


def verify(request: WitnessRequest, how: str, on: date, note: str, *, actor: User) -> None:
    """The assessor records how and when they checked that the witness wrote the statement:
    from then on it can meet criteria (where the unit asks for verification)."""
    from .checks import VERIFICATION_LABELS

    portfolio = request.portfolio
    if not can(actor, Action.CHECK_WITNESSES, portfolio):
        raise NotAllowed("Only the learner's assessor verifies a witness testimony.")
    if request.evidence is None:
        raise DomainError("The witness has not signed yet: there is nothing to verify.")
    if how not in VERIFICATION_LABELS:
        raise DomainError("Choose how you checked it with the witness.")
    if on > uk_today():
        raise DomainError(FUTURE_DATE)
    if request.used_at and on < uk_today(request.used_at):
        raise DomainError("The check must be on or after the day the witness signed.")
    ensure_unlocked(portfolio)
    request.verified_how, request.verified_on = how, on
    request.verified_note, request.verified_by_id = note.strip()[:500], actor.id
    request.verified_at = utcnow()
    db.session.flush()
    audit.record(AuditAction.WITNESS_VERIFIED, actor=actor, portfolio=portfolio,
                 summary=f"Verified {request.witness_name}'s testimony: "
                         f"{VERIFICATION_LABELS[how].lower()} on {on.isoformat()}"
                         + (f" ({request.verified_note})" if request.verified_note else ""),
                 witness_request_id=request.id, evidence_id=request.evidence_id,
                 how=how, on=on.isoformat())
