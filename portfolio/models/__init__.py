"""Database models. Rules the database can hold are named CheckConstraints.

Split by domain, all re-exported here (import models from `portfolio.models`):
`base` (UTC column type, `utcnow`), `accounts` (users and roles), `portfolios` (the portfolio,
its evidence, and witness requests), `assessment` (claims and decisions), `signatures`,
`quality` (internal and external quality assurance: samples, assessor risk ratings, EQA
grants), `two_step` (TOTP secrets and recovery codes), `jobs` (exports), `records`
(notifications and the audit log), `units` (the text of every unit version in use) and
`imports` (CSV imports of learners awaiting confirmation).
"""

from .accounts import LoginSession, PasswordReset, Role, UnknownSignIn, User
from .assessment import Claim, ClaimOutcome, Decision, QuoteFlag, SuggestionDismissal
from .base import UTCDateTime, utcnow
from .imports import StagedImport
from .jobs import ExportJob
from .portfolios import (
    Evidence,
    EvidenceFile,
    EvidenceResponse,
    EvidenceVersion,
    Portfolio,
    RecordResponse,
    WitnessRequest,
)
from .quality import (
    AssessorRisk,
    EqaGrant,
    RiskRating,
    Sample,
    SampleAction,
    SampleCheck,
    SampleOutcome,
    SampleStage,
    current_grants,
)
from .records import AuditEvent, Notification
from .signatures import Signature, SignatureKind
from .summaries import PortfolioSummary
from .two_step import RecoveryCode, UserTotp
from .units import UnitVersion

__all__ = [
    "AssessorRisk",
    "LoginSession",
    "PasswordReset",
    "AuditEvent",
    "Claim",
    "ClaimOutcome",
    "Decision",
    "EqaGrant",
    "Evidence",
    "EvidenceFile",
    "EvidenceResponse",
    "EvidenceVersion",
    "ExportJob",
    "Notification",
    "PortfolioSummary",
    "QuoteFlag",
    "Portfolio",
    "RecordResponse",
    "RecoveryCode",
    "RiskRating",
    "Role",
    "Sample",
    "SampleAction",
    "SampleCheck",
    "SampleOutcome",
    "SampleStage",
    "Signature",
    "SignatureKind",
    "StagedImport",
    "SuggestionDismissal",
    "UTCDateTime",
    "UnitVersion",
    "User",
    "UnknownSignIn",
    "UserTotp",
    "WitnessRequest",
    "current_grants",
    "utcnow",
]
