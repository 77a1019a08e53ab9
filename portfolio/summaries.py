"""Each portfolio's figures for the lists (the caseload, the IQA's and the admin's lists),
kept in portfolio_summary so that a list of 500 learners reads 500 small rows and computes
nothing, where it used to load every item, claim and decision and judge them all.

The figures are written from the pure verdict (coverage.py), never worked out another way:
- in the same transaction as each change: every change to evidence, claims, decisions,
  records, witness statements, sign-off and a unit move goes through access.claim_portfolio,
  which notes the portfolio; before that transaction commits, its summary is written again;
- and, for what no change marks, when a list finds a summary stale: missing, computed at an
  earlier lock_version or unit version, or past `valid_through`, the last day on which no
  evidence can have left the currency window (coverage.unchanged_through).
"""

from __future__ import annotations

import json
from datetime import date

from flask import current_app
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from .coverage import ACCEPTED, AWAITING, REFERRED, Coverage, unchanged_through
from .extensions import db
from .models import Portfolio, PortfolioSummary, utcnow

CHANGED = "summaries.changed"  # session.info: ids of portfolios changed in this transaction


def figures(portfolio: Portfolio, coverage: Coverage) -> dict:
    """The summary's columns, from the verdict."""
    judged = [v for c in coverage.criteria for v in c.claims
              if v.state in (ACCEPTED, REFERRED)]
    return {
        "portfolio_id": portfolio.id, "lock_version": portfolio.lock_version,
        "unit_version": portfolio.unit_version or "", "valid_through": unchanged_through(coverage),
        "met": coverage.met, "total": coverage.total,
        "outcomes_json": json.dumps([[o.outcome.number, o.met, o.total]
                                     for o in coverage.outcomes]),
        "awaiting": coverage.claims_in(AWAITING), "referred": coverage.claims_in(REFERRED),
        "disputed": coverage.disputed, "resubmitted": coverage.resubmitted,
        "complete": coverage.complete, "computed_at": utcnow(),
        "judged_json": json.dumps({
            "methods": sorted({v.evidence.method for v in judged}),
            "outcomes": sorted({c.criterion.outcome for c in coverage.criteria
                                if any(v in judged for v in c.claims)}),
            "decisions": len(judged)}),
    }


def changed(session: Session, portfolio_id: int) -> None:
    """Note that this transaction changed the portfolio (access.claim_portfolio calls it)."""
    session.info.setdefault(CHANGED, set()).add(portfolio_id)


def stale_query(portfolio_ids, today: date):
    """The portfolios among `portfolio_ids` (a list or a subquery) whose summary is stale."""
    s = PortfolioSummary
    return (select(Portfolio).outerjoin(s, s.portfolio_id == Portfolio.id)
            .where(Portfolio.id.in_(portfolio_ids),
                   or_(s.portfolio_id.is_(None), s.lock_version != Portfolio.lock_version,
                       s.unit_version != Portfolio.unit_version, s.valid_through < today)))


def write(portfolios: list[Portfolio], today: date) -> int:
    """Judge these portfolios and write their summaries (insert or replace). Returns how many."""
    from .facts import coverages_for  # facts imports models; summaries sits beside it
    from .units import units_for

    if not portfolios:
        return 0
    coverages = coverages_for(portfolios, units_for(portfolios), today)
    rows = [figures(p, coverages[p.id]) for p in portfolios if coverages[p.id] is not None]
    if rows:
        _upsert(rows)
    return len(rows)


def _upsert(rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT (portfolio_id) DO UPDATE, on SQLite and PostgreSQL: two
    requests refreshing the same summary at once both succeed."""
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(PortfolioSummary).values(rows)
    columns = {c: getattr(statement.excluded, c) for c in rows[0] if c != "portfolio_id"}
    db.session.execute(statement.on_conflict_do_update(index_elements=["portfolio_id"],
                                                       set_=columns))


def refresh(portfolio_ids, today: date) -> int:
    """Bring the summaries of these portfolios up to date (only the stale ones are judged);
    commits. Returns how many were written."""
    stale = db.session.scalars(stale_query(portfolio_ids, today)).all()
    written = write(stale, today)
    if written:
        db.session.commit()
    return written


@event.listens_for(Session, "before_commit")
def _write_changed(session: Session) -> None:
    """Before a change commits, the summaries of the portfolios it changed are written in the
    same transaction. A failure here is logged and leaves the summary stale for the next list
    to refresh: it never stops the change itself (on PostgreSQL the write is a savepoint, so
    a failed statement does not spoil the transaction; SQLite's does not)."""
    ids = session.info.pop(CHANGED, None)
    if not ids:
        return
    from .clock import uk_today

    nested = session.get_bind().dialect.name == "postgresql"
    savepoint = None
    try:
        savepoint = session.begin_nested() if nested else None
        portfolios = session.scalars(select(Portfolio).where(Portfolio.id.in_(ids))).all()
        write(list(portfolios), uk_today())
        if savepoint is not None:
            savepoint.commit()
    except Exception:  # logged; the list refreshes a stale summary itself
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()
        current_app.logger.exception("could not write the summaries of portfolios %s",
                                     sorted(ids))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(CHANGED, None)
