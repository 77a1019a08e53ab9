"""Append-only audit events, added to the caller's transaction (the caller commits)."""

from __future__ import annotations

import json
from enum import StrEnum

from .extensions import db
from .models import AuditEvent, Portfolio, User


class AuditAction(StrEnum):
    """Every kind of audit event, in one place (the value is what the trail stores)."""

    AUDIT_EXPORTED = "audit.exported"
    AUTH_LOGIN = "auth.login"
    CLAIM_ADDED_BY_ASSESSOR = "claim.added_by_assessor"
    CLAIMS_CHANGED = "claims.changed"
    CLAIM_WITHDRAWN = "claim.withdrawn"
    DECISION_ACCEPTED = "decision.accepted"
    DECISION_REFERRED = "decision.referred"
    EQA_GRANTED = "eqa.granted"
    EQA_INVITATION_ACCEPTED = "eqa.invitation_accepted"
    EQA_REVOKED = "eqa.revoked"
    EQA_VIEWED = "eqa.viewed"
    EVIDENCE_ADDED = "evidence.added"
    EVIDENCE_CHANGED = "evidence.changed"
    EVIDENCE_DELETED = "evidence.deleted"
    EVIDENCE_FILE_DOWNLOADED = "evidence.file_downloaded"
    EVIDENCE_FILE_REMOVED = "evidence.file_removed"
    # Personal data replaced by placeholders, as a new version: what kinds, how many, which
    # files were replaced by redacted copies and whether the original was kept (never the
    # data itself).
    EVIDENCE_REDACTED = "evidence.redacted"
    EVIDENCE_RESUBMITTED = "evidence.resubmitted"
    IQA_RISK_RATED = "iqa.risk_rated"
    LEARNERS_IMPORTED = "learners.imported"
    MFA_DISABLED = "mfa.disabled"  # turned off by the person (password and a code)
    MFA_ENABLED = "mfa.enabled"
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used"
    MFA_RECOVERY_CODES_MADE = "mfa.recovery_codes_made"  # new ones, ending the old
    MFA_RESET = "mfa.reset"  # by an administrator, or `flask users reset-two-step`
    PLAN_DOWNLOADED = "plan.downloaded"
    PORTFOLIO_END_RECORDED = "portfolio.end_recorded"
    PORTFOLIO_END_REMOVED = "portfolio.end_removed"
    PORTFOLIO_ENROLLED = "portfolio.enrolled"
    # The anonymised record that a portfolio existed and was erased after its retention
    # period: unit, months, counts, who and when; never the learner's name or email.
    PORTFOLIO_ERASED = "portfolio.erased"
    PORTFOLIO_EXPORT_DOWNLOADED = "portfolio.export_downloaded"
    PORTFOLIO_EXPORTED = "portfolio.exported"
    PORTFOLIO_REASSIGNED = "portfolio.reassigned"
    PORTFOLIO_REOPENED = "portfolio.reopened"
    PORTFOLIO_UNIT_MOVED = "portfolio.unit_moved"
    PORTFOLIO_VERIFIED = "portfolio.verified"
    # A new version of an evidence item: each quoted passage found again, changed or gone.
    QUOTES_REANCHORED = "quotes.reanchored"
    RECORD_ADDED = "record.added"
    RECORD_AMENDED = "record.amended"
    RECORD_CONFIRMED = "record.confirmed"
    RECORD_DISPUTED = "record.disputed"
    SAMPLE_ACTION_ANSWERED = "sample.action_answered"
    SAMPLE_COMPLETED = "sample.completed"
    SAMPLE_PLANNED = "sample.planned"
    SAMPLE_REMOVED = "sample.removed"
    SAMPLE_PACK_MADE = "sample_pack.made"
    SIGNATURE_COUNTERSIGN = "signature.countersign"
    SIGNATURE_DECLARATION = "signature.declaration"
    SIGNATURE_SIGN_OFF = "signature.sign_off"
    SUGGESTION_DISMISSED = "suggestion.dismissed"
    USER_CREATED = "user.created"
    USER_ERASED = "user.erased"  # a learner's account, with their last portfolio
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105 (an event name, not a password)
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105
    USER_PASSWORD_TEMPORARY = "user.password_temporary"  # noqa: S105
    USER_RESET_REQUESTED = "user.reset_requested"
    USER_CHANGED = "user.changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_SSO_LINKED = "user.sso_linked"
    USER_SSO_UNLINKED = "user.sso_unlinked"
    WITNESS_REQUESTED = "witness.requested"
    WITNESS_REVOKED = "witness.revoked"
    WITNESS_SIGNED = "witness.signed"
    WITNESS_PASSED_ON = "witness.passed_on"
    WITNESS_VERIFIED = "witness.verified"


# What each kind of event is called on pages and in the PDF, in words.
LABELS = {
    "audit.exported": "Audit trail downloaded", "auth.login": "Signed in",
    "claim.added_by_assessor": "Claim added by the assessor", "claims.changed": "Claims changed",
    "claim.withdrawn": "Claim withdrawn", "decision.accepted": "Claim accepted",
    "decision.referred": "Claim referred", "eqa.granted": "EQA access granted",
    "eqa.invitation_accepted": "EQA invitation accepted", "eqa.revoked": "EQA access withdrawn",
    "eqa.viewed": "Viewed by an EQA", "mfa.disabled": "Two-step sign-in turned off",
    "mfa.enabled": "Two-step sign-in turned on", "mfa.reset": "Two-step sign-in reset",
    "mfa.recovery_code_used": "Recovery code used",
    "mfa.recovery_codes_made": "New recovery codes made", "evidence.added": "Evidence added",
    "evidence.changed": "Evidence changed", "evidence.deleted": "Evidence deleted",
    "evidence.file_downloaded": "File opened", "evidence.file_removed": "File removed",
    "evidence.redacted": "Personal data redacted",
    "evidence.resubmitted": "Evidence resubmitted", "iqa.risk_rated": "Assessor risk rated",
    "learners.imported": "Learners imported from a CSV file",
    "plan.downloaded": "Sampling plan downloaded", "portfolio.enrolled": "Learner enrolled",
    "portfolio.end_recorded": "End of programme recorded",
    "portfolio.end_removed": "End of programme removed",
    "portfolio.erased": "Records erased after the retention period",
    "portfolio.export_downloaded": "PDF downloaded", "portfolio.exported": "PDF exported",
    "portfolio.reassigned": "Assessor or IQA changed", "portfolio.reopened": "Portfolio reopened",
    "portfolio.unit_moved": "Moved to a new unit version",
    "portfolio.verified": "PDF verified",
    "quotes.reanchored": "Quoted passages found again in a new version",
    "record.added": "Assessor's record added",
    "record.amended": "Assessor's record amended", "record.confirmed": "Record confirmed",
    "record.disputed": "Record disputed", "sample.action_answered": "IQA action answered",
    "sample.completed": "IQA sample recorded", "sample.planned": "Added to the sampling plan",
    "sample.removed": "Taken out of the sampling plan",
    "sample_pack.made": "Included in an EQA sample pack",
    "signature.countersign": "Countersigned by the IQA",
    "signature.declaration": "Declaration signed by the learner",
    "signature.sign_off": "Signed off by the assessor",
    "suggestion.dismissed": "Suggested criterion set aside", "user.created": "Account created",
    "user.password_set": "Password set", "user.sso_linked": "College account linked",
    "user.sso_unlinked": "College account unlinked",
    "user.erased": "Learner's account erased", "witness.requested": "Witness asked",
    "witness.revoked": "Witness link revoked", "witness.signed": "Witness testimony signed",
    "witness.passed_on": "Witness link made to pass on",
    "witness.verified": "Witness testimony verified",
}


def label(action: str) -> str:
    """An event's name for people; an unknown one (a newer kind) reads from its code."""
    return LABELS.get(action) or action.replace("_", " ").replace(".", ": ").capitalize()


# Reads, downloads and quality assurance are not activity on the learner's portfolio.
READS = tuple(a.value for a in (
    AuditAction.EVIDENCE_FILE_DOWNLOADED, AuditAction.EQA_VIEWED, AuditAction.EQA_GRANTED,
    AuditAction.PORTFOLIO_EXPORTED, AuditAction.PORTFOLIO_EXPORT_DOWNLOADED,
    AuditAction.PORTFOLIO_VERIFIED, AuditAction.AUDIT_EXPORTED, AuditAction.SAMPLE_PACK_MADE))


def record(action: AuditAction | str, *, actor: User | None, portfolio: Portfolio | None = None,
           portfolio_id: int | None = None, summary: str = "", **detail) -> AuditEvent:
    """Add an audit event to the session; it is saved with the change it describes.

    `portfolio_id` names a portfolio without loading it (for example a page an EQA viewed)."""
    event = AuditEvent(
        action=AuditAction(action).value,  # an unknown action is a ValueError, not a new kind
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "",
        portfolio_id=portfolio.id if portfolio else portfolio_id,
        summary=summary,
        detail_json=json.dumps(detail, default=str, sort_keys=True),
    )
    db.session.add(event)
    return event
