"""Internal quality assurance: risk ratings, the sampling plan, sample records and actions.

Every change here writes an audit event in the caller's transaction and tells the person who
has to act. The rules:
- Only the portfolio's IQA samples it, and never one they assessed (any decision, record or
  sign-off of theirs on it): access.ensure_may_sample.
- A sample record agrees or disagrees with every current assessment decision; a disagreement
  says why; "action required" needs at least one action and a due date.
- The assessor answers each action. A countersignature needs a completed sample that upheld
  the decisions of the portfolio as it now stands (see signoff.services).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from .. import audit, summaries
from ..access import Action, can, conflicts, ensure_may_sample
from ..audit import AuditAction
from ..clock import uk_today
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..facts import current_digest, samples_of
from ..models import (
    AssessorRisk,
    Decision,
    Portfolio,
    PortfolioSummary,
    RiskRating,
    Role,
    Sample,
    SampleAction,
    SampleCheck,
    SampleOutcome,
    User,
    utcnow,
)
from ..notify import link_to, notify
from ..sampling import INTERIM, SUMMATIVE, Candidate, Plan, propose
from ..spec import Unit
from ..text import csv_text


def stage_of(portfolio) -> str:
    """A Portfolio, or a row of its columns with locked_at."""
    return SUMMATIVE if portfolio.locked_at else INTERIM


# ---- risk ratings -------------------------------------------------------------------------


def covered_assessors(iqa: User) -> list[User]:
    """The assessors whose portfolios this IQA samples."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(
            select(Portfolio.assessor_id).where(Portfolio.iqa_id == iqa.id)))
        .order_by(User.name)))


def set_risk(assessor: User, rating: str, reasons: str, *, actor: User) -> AssessorRisk:
    if actor.role != Role.ADMIN and not (
            actor.role == Role.IQA and assessor in covered_assessors(actor)):
        raise NotAllowed("Only an IQA who samples this assessor, or an administrator, can "
                         "rate them.")
    try:
        rating = RiskRating(rating)
    except ValueError:
        raise DomainError("Choose a risk rating.") from None
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError("Give the reasons for the rating: the EQA will ask.")
    risk = db.session.scalar(select(AssessorRisk).where(AssessorRisk.assessor_id == assessor.id))
    before = risk.rating if risk else None
    if risk is None:
        risk = AssessorRisk(assessor_id=assessor.id)
        db.session.add(risk)
    risk.rating, risk.reasons, risk.set_by_id, risk.set_at = rating.value, reasons, actor.id, \
        utcnow()
    audit.record(AuditAction.IQA_RISK_RATED, actor=actor,
                 summary=f"Rated {assessor.name}: {rating.label} ({reasons})",
                 assessor_id=assessor.id, rating=rating.value, before=before, reasons=reasons)
    return risk


# ---- the plan -----------------------------------------------------------------------------


@dataclass
class PlanView:
    iqa: User
    plan: Plan
    samples: list[Sample]  # planned and completed, newest first
    risks: dict[int, AssessorRisk]
    addable: list[Candidate]  # not in the plan, may be added by hand
    since: datetime  # the sampling period began then; older samples do not count


def plan_for(iqa: User, units: dict[str, Unit]) -> PlanView:
    """The IQA's plan: targets per assessor, what is sampled, and what the app proposes."""
    # Plain columns, not objects: what a candidate needs of each of hundreds of portfolios,
    # with what was judged in each from the lists' summaries (brought up to date first).
    mine = select(Portfolio.id).where(Portfolio.iqa_id == iqa.id).scalar_subquery()
    summaries.refresh(mine, uk_today())
    learner, assessor = aliased(User), aliased(User)
    portfolios = db.session.execute(
        select(Portfolio.id, Portfolio.unit_id, Portfolio.assessor_id, Portfolio.locked_at,
               learner.name.label("learner"), assessor.name.label("assessor"),
               PortfolioSummary.judged_json)
        .join(learner, learner.id == Portfolio.learner_id)
        .join(assessor, assessor.id == Portfolio.assessor_id)
        .outerjoin(PortfolioSummary, PortfolioSummary.portfolio_id == Portfolio.id)
        .where(Portfolio.iqa_id == iqa.id).order_by(Portfolio.id)).all()
    samples = list(db.session.scalars(
        select(Sample).where(Sample.portfolio_id.in_(mine))
        .options(selectinload(Sample.portfolio).selectinload(Portfolio.learner),
                 selectinload(Sample.actions), selectinload(Sample.checks))
        .order_by(Sample.planned_at.desc(), Sample.id.desc())))
    since = period_start()
    # What counts this period: samples still planned, and those planned since it began.
    in_plan = {s.portfolio_id for s in samples if s.counts_since(since)}
    conflicted = conflicts(iqa, [p.id for p in portfolios])
    candidates: dict[int, Candidate] = {}
    # Many portfolios have the same figures: each distinct one is read once.
    judged: dict[str, tuple[frozenset, frozenset, int]] = {}
    for p in portfolios:
        text = p.judged_json or "{}"
        seen = judged.get(text)
        if seen is None:
            figures = json.loads(text)
            seen = judged[text] = (frozenset(figures.get("methods", ())),
                                   frozenset(figures.get("outcomes", ())),
                                   figures.get("decisions", 0))
        candidates[p.id] = Candidate(
            portfolio_id=p.id, learner=p.learner, assessor_id=p.assessor_id,
            assessor=p.assessor, stage=stage_of(p), methods=seen[0], outcomes=seen[1],
            decisions=seen[2], in_plan=p.id in in_plan, conflict=p.id in conflicted)
    risks = {r.assessor_id: r for r in db.session.scalars(select(AssessorRisk))}
    method_names: dict[str, str] = {}
    outcome_names: dict[str, str] = {}
    in_use = {p.unit_id for p in portfolios}
    for unit in units.values():
        method_names.update({k: m.name for k, m in unit.methods.items()})
        if unit.id in in_use:
            outcome_names.update({o.number: o.title for o in unit.outcomes})
    plan = propose(candidates.values(), {a: r.rating for a, r in risks.items()},
                   current_app.config["SAMPLING_TARGETS"], method_names=method_names,
                   outcome_names=outcome_names)
    proposed = {p.candidate.portfolio_id for p in plan.proposals}
    addable = [c for c in candidates.values()
               if not c.in_plan and not c.conflict and c.portfolio_id not in proposed]
    return PlanView(iqa=iqa, plan=plan, samples=samples, risks=risks, addable=addable,
                    since=since)


def period_start() -> datetime:
    """The start of the current sampling period: SAMPLING_PERIOD_MONTHS back from now."""
    months = current_app.config.get("SAMPLING_PERIOD_MONTHS", 12)
    return utcnow() - timedelta(days=round(months * 365.25 / 12))


def add_to_plan(portfolio: Portfolio, *, actor: User, reason: str = "") -> Sample:
    ensure_may_sample(actor, portfolio)
    waiting = open_sample(portfolio)
    if waiting is not None:
        raise DomainError(f"{portfolio.learner.name}'s portfolio is already in the plan, "
                          "waiting to be sampled.")
    sample = Sample(portfolio_id=portfolio.id, iqa_id=actor.id, stage=stage_of(portfolio),
                    reason=reason.strip() or "Added by the IQA")
    db.session.add(sample)
    db.session.flush()
    audit.record(AuditAction.SAMPLE_PLANNED, actor=actor, portfolio=portfolio,
                 summary=f"Added to the sampling plan ({sample.stage}): {sample.reason}",
                 sample_id=sample.id, stage=sample.stage)
    return sample


def remove_from_plan(sample: Sample, *, actor: User) -> None:
    if not can(actor, Action.SAMPLE, sample.portfolio):
        raise NotAllowed("Only the portfolio's IQA can change its plan.")
    if sample.completed:
        raise DomainError("This sample is recorded; a completed sample record stays on file.")
    audit.record(AuditAction.SAMPLE_REMOVED, actor=actor, portfolio=sample.portfolio,
                 summary="Taken out of the sampling plan before sampling",
                 sample_id=sample.id, reason=sample.reason)
    db.session.delete(sample)


def open_sample(portfolio: Portfolio) -> Sample | None:
    return db.session.scalar(select(Sample).where(Sample.portfolio_id == portfolio.id,
                                                  Sample.completed_at.is_(None)))


# ---- the sample record --------------------------------------------------------------------


def sampled_decisions(portfolio: Portfolio) -> list[Decision]:
    """What a sample reviews: the decision standing on each claim of the current evidence."""
    out = []
    for evidence in portfolio.evidence:
        out += evidence.decisions_on_current()
    return out


@dataclass(frozen=True)
class CheckInput:
    agrees: bool | None  # None: not answered
    comment: str = ""


def complete_sample(sample: Sample, checks: dict[int, CheckInput], outcome: str,
                    feedback: str, actions: list[str], due: date | None, *, actor: User,
                    today: date) -> Sample:
    portfolio = sample.portfolio
    ensure_may_sample(actor, portfolio)
    if sample.completed:
        raise DomainError("This sample is already recorded; open a new sample to review the "
                          "portfolio again.")
    decisions = sampled_decisions(portfolio)
    if not decisions:
        raise DomainError("There are no assessment decisions to sample in this portfolio yet.")
    problems = []
    for d in decisions:
        check = checks.get(d.id)
        label = f"AC {d.claim.criterion_id} on “{d.claim.evidence.title}”"
        if check is None or check.agrees is None:
            problems.append(f"Say whether you agree with the decision on {label}.")
        elif not check.agrees and not check.comment.strip():
            problems.append(f"Say why you disagree with the decision on {label}.")
    try:
        outcome = SampleOutcome(outcome)
    except ValueError:
        problems.append("Choose the outcome: decisions upheld, or action required.")
        outcome = None
    actions = [a.strip() for a in actions if a.strip()]
    disagreed = [d for d in decisions if checks.get(d.id) and checks[d.id].agrees is False]
    if outcome == SampleOutcome.UPHELD and disagreed:
        problems.append(f"You disagree with {len(disagreed)} decision"
                        f"{'' if len(disagreed) == 1 else 's'}, so the outcome is “action "
                        "required”, with the actions for the assessor.")
    if outcome == SampleOutcome.ACTION_REQUIRED:
        if not actions:
            problems.append("Write at least one action for the assessor.")
        if due is None:
            problems.append("Give the date the actions are due.")
        elif due < today:
            problems.append("The due date is in the past.")
    if not (feedback or "").strip():
        problems.append("Write your feedback to the assessor.")
    if problems:
        raise DomainError(" ".join(problems))
    for d in decisions:
        c = checks[d.id]
        sample.checks.append(SampleCheck(decision_id=d.id, agrees=bool(c.agrees),
                                         comment=c.comment.strip()))
    for text in actions:
        sample.actions.append(SampleAction(text=text, due=due))
    sample.outcome, sample.feedback = outcome.value, feedback.strip()
    sample.stage = stage_of(portfolio)
    sample.completed_at = utcnow()
    sample.digest = current_digest(portfolio)
    db.session.flush()
    audit.record(AuditAction.SAMPLE_COMPLETED, actor=actor, portfolio=portfolio,
                 summary=f"Sampled ({sample.stage}): {outcome.label}; agreed with "
                         f"{len(decisions) - len(disagreed)} of {len(decisions)} decisions"
                         + (f"; {len(actions)} action(s) due {due.isoformat()}"
                            if actions else ""),
                 sample_id=sample.id, outcome=outcome.value, digest=sample.digest,
                 disagreed=[d.id for d in disagreed], actions=actions,
                 due=due.isoformat() if due else None)
    notify(portfolio.assessor,
           f"{actor.name} sampled {portfolio.learner.name}'s portfolio: {outcome.label}"
           + (f" ({len(actions)} action{'' if len(actions) == 1 else 's'} for you, due "
              f"{due.day} {due:%B %Y})" if actions else "") + ".",
           link=link_to("iqa.sample", sample_id=sample.id), portfolio=portfolio)
    return sample


def answer_action(action: SampleAction, response: str, *, actor: User) -> None:
    portfolio = action.sample.portfolio
    if actor.id != portfolio.assessor_id or actor.role != Role.ASSESSOR:
        raise NotAllowed("Only the assessor answers the IQA's actions.")
    response = (response or "").strip()
    if not response:
        raise DomainError("Write what you have done about this action.")
    if action.responded_at is not None:
        raise DomainError("This action is already answered.")
    action.response, action.responded_at, action.responded_by_id = response, utcnow(), actor.id
    audit.record(AuditAction.SAMPLE_ACTION_ANSWERED, actor=actor, portfolio=portfolio,
                 summary=f"Answered the IQA's action “{action.text}”: {response}",
                 sample_id=action.sample_id, action_id=action.id)
    notify(action.sample.iqa, f"{actor.name} answered your action on "
           f"{portfolio.learner.name}'s portfolio.",
           link=link_to("iqa.sample", sample_id=action.sample_id), portfolio=portfolio)


def countersign_problem(portfolio: Portfolio, digest: str) -> str | None:
    """Why the portfolio may not be countersigned yet, or None."""
    done = [s for s in samples_of(portfolio) if s.completed]
    if not done:
        return ("Sample this portfolio first: a countersignature needs a completed sample "
                "record.")
    current = [s for s in done if s.digest == digest]
    if not current:
        return ("The portfolio has changed since it was last sampled: sample it again as it "
                "stands before countersigning.")
    if current[0].outcome != SampleOutcome.UPHELD:
        return ("The latest sample asked the assessor for action; countersign once a sample "
                "upholds the decisions.")
    return None


# ---- downloads ----------------------------------------------------------------------------


def plan_csv(view: PlanView, visible: set[int] | None = None) -> str:
    """The plan as CSV: targets per assessor, then each sample (only `visible` ones if given)."""
    rows: list[list] = [["Sampling plan", view.iqa.name, uk_today().isoformat(),
                         "period from", view.since.date().isoformat()], [],
                        ["Assessor", "Risk rating", "Reasons", "Target %", "Portfolios",
                         "Target", "In plan", "Target met"]]
    for t in view.plan.targets:
        risk = view.risks.get(t.assessor_id)
        rows.append([t.assessor, RiskRating(t.rating).label + ("" if risk else " (not rated)"),
                     risk.reasons if risk else "", t.percent, t.portfolios, t.target,
                     t.sampled, "yes" if t.met else "no"])
    rows += [[], ["Learner", "Assessor", "Unit", "Stage", "Planned", "Reason", "Outcome",
                  "Sampled", "Actions", "Actions answered", "This period"]]
    for s in view.samples:
        if visible is not None and s.portfolio_id not in visible:
            continue
        rows.append([s.portfolio.learner.name, s.portfolio.assessor.name, s.portfolio.unit_id,
                     s.stage_label, s.planned_at.date().isoformat(), s.reason,
                     s.outcome_label, s.completed_at.date().isoformat() if s.completed else "",
                     len(s.actions), s.actions_answered,
                     "yes" if s.counts_since(view.since) else "no"])
    return csv_text(rows)


def records_csv(samples: list[Sample]) -> str:
    """Every completed sample's checks, one row per sampled decision, with the outcome."""
    rows: list[list] = [["Learner", "Assessor", "IQA", "Stage", "Sampled", "Outcome",
                         "Criterion", "Evidence", "Assessor's decision", "IQA agrees",
                         "IQA comment", "Feedback", "Actions"]]
    for s in samples:
        if not s.completed:
            continue
        actions = "; ".join(f"{a.text} (due {a.due.isoformat()}"
                            + (f", answered: {a.response})" if a.responded_at else ")")
                            for a in s.actions)
        for c in s.checks:
            rows.append([s.portfolio.learner.name, s.portfolio.assessor.name, s.iqa.name,
                         s.stage_label, s.completed_at.date().isoformat(), s.outcome_label,
                         c.decision.claim.criterion_id, c.decision.claim.evidence.title,
                         c.decision.outcome, "yes" if c.agrees else "no", c.comment,
                         s.feedback, actions])
    return csv_text(rows)

