"""Audit trails, filterable and as CSV: a portfolio's (for its assessor, its IQA and admins)
and the whole centre's (admins: also accounts, enrolments, risk ratings, EQA grants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..access import Action, get_portfolio
from ..audit import AuditAction
from ..clock import uk_today
from ..extensions import db
from ..models import AuditEvent, Portfolio
from ..text import csv_text
from . import bp

PAGE = 500


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(portfolio_id: int | None, args):
    query = select(AuditEvent)
    if portfolio_id is not None:
        query = query.where(AuditEvent.portfolio_id == portfolio_id)
    chosen = {"action": args.get("action", ""), "actor": args.get("actor", ""),
              "since": _day(args.get("since")), "until": _day(args.get("until"))}
    if chosen["action"]:
        # "decision" matches decision.accepted and decision.referred
        query = query.where((AuditEvent.action == chosen["action"])
                            | AuditEvent.action.startswith(chosen["action"] + "."))
    if chosen["actor"]:
        query = query.where(AuditEvent.actor_email == chosen["actor"])
    if chosen["since"]:
        query = query.where(AuditEvent.created_at >= datetime.combine(
            chosen["since"], time(), tzinfo=UTC))
    if chosen["until"]:
        query = query.where(AuditEvent.created_at < datetime.combine(
            chosen["until"] + timedelta(days=1), time(), tzinfo=UTC))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()), chosen


@bp.route("/<int:portfolio_id>/audit")
@login_required
def audit_trail(portfolio_id: int):
    return audit_page(get_portfolio(portfolio_id, Action.AUDIT))


def audit_page(portfolio):
    """The trail of `portfolio`, or of the whole centre when it is None (the caller checks
    who may see it)."""
    query, chosen = _filtered(portfolio.id if portfolio else None, request.args)
    if request.args.get("format") == "csv":
        rows = db.session.scalars(query).all()
        audit.record(AuditAction.AUDIT_EXPORTED, actor=current_user, portfolio=portfolio,
                     summary=f"Downloaded the audit trail ({len(rows)} events) as CSV",
                     filters={k: str(v or "") for k, v in chosen.items()})
        db.session.commit()
        text = csv_text([["time (UTC)", "who", "action", "summary", "detail"]] + [
            [e.created_at.isoformat(), e.actor_email, e.action, e.summary, e.detail_json]
            for e in rows])
        name = (f"audit-portfolio-{portfolio.id}" if portfolio else "audit-centre") + \
            f"-{uk_today().isoformat()}.csv"
        return Response(text, mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})
    events = db.session.scalars(query.limit(PAGE)).all()
    base = select(AuditEvent)
    if portfolio is not None:
        base = base.where(AuditEvent.portfolio_id == portfolio.id)
    actions = sorted({a.split(".")[0] for a in db.session.scalars(
        base.with_only_columns(AuditEvent.action).distinct())})
    actors = sorted(e for e in db.session.scalars(
        base.with_only_columns(AuditEvent.actor_email).distinct()) if e)
    # Portfolios erased after their retention period keep their anonymised events, unlinked.
    named = {e.portfolio_id for e in events if e.portfolio_id is not None}
    live = set(db.session.scalars(select(Portfolio.id).where(Portfolio.id.in_(named)))) \
        if named else set()
    return render_template("portfolios/audit.html", portfolio=portfolio, events=events,
                           live=live,
                           chosen=chosen, actions=actions, actors=actors, limit=PAGE,
                           query_string=request.query_string.decode(),
                           here=request.path)
