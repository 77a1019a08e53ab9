"""Append-only audit events, added to the caller's transaction (the caller commits)."""

from __future__ import annotations

import json

from .extensions import db
from .models import AuditEvent, Portfolio, User

# Reads, downloads and quality assurance are not activity on the learner's portfolio.
READS = ("evidence.file_downloaded", "eqa.viewed", "eqa.granted", "portfolio.exported",
         "portfolio.export_downloaded", "portfolio.verified", "audit.exported",
         "sample_pack.made")


def record(action: str, *, actor: User | None, portfolio: Portfolio | None = None,
           portfolio_id: int | None = None, summary: str = "", **detail) -> AuditEvent:
    """Add an audit event to the session; it is saved with the change it describes.

    `portfolio_id` names a portfolio without loading it (for example a page an EQA viewed)."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "",
        portfolio_id=portfolio.id if portfolio else portfolio_id,
        summary=summary,
        detail_json=json.dumps(detail, default=str, sort_keys=True),
    )
    db.session.add(event)
    return event
