"""The demo centre: seven accounts, one learner halfway through Unit 40, one starting, one
signed off and countersigned (demo_summative), the assessor rated for sampling, and an EQA who
may read the halfway and the signed-off portfolios (only) for 30 days.

Idempotent: running it again resets the demo passwords (and turns off any two-step sign-in
tried out on a demo login) and adds nothing twice.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import select

from .admin.services import enrol
from .ai_use import NO_AI, AiUse
from .assessment.services import record_decision
from .auth import two_step
from .auth.services import create_user, find_user, random_password, set_password
from .clock import uk_today
from .demo_summative import signed_off
from .eqa.services import grant_access
from .evidence.claims import set_claims
from .evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from .extensions import db
from .iqa.services import set_risk
from .models import AssessorRisk, Portfolio, Role, User, current_grants
from .units import all_units

UNIT_ID = "unit-40"
PEOPLE = [
    ("admin@demo.test", "Alex Morgan", Role.ADMIN),
    ("assessor@demo.test", "Dawn Matthews", Role.ASSESSOR),
    ("iqa@demo.test", "Graham Okoye", Role.IQA),
    ("learner@demo.test", "Priya Shah", Role.LEARNER),
    ("learner2@demo.test", "Tom Reilly", Role.LEARNER),
    ("learner3@demo.test", "Aisha Khan", Role.LEARNER),
    ("eqa@demo.test", "Ruth Adeyemi", Role.EQA),
]
EQA_DAYS = 30


def seed_demo(password: str | None = None) -> list[tuple[str, str, str]]:
    """Create or refresh the demo centre. Returns (email, role, password) per login."""
    logins, people = [], {}
    for email, name, role in PEOPLE:
        pw = password or random_password()
        user = find_user(email)
        if user is None:
            user = create_user(email=email, name=name, role=role, password=pw, actor=None)
        else:
            set_password(user, pw, actor=None)
            if two_step.record_of(user) is not None:  # tried out: the new password is enough
                two_step.reset(user, actor=None)
        people[email] = user
        logins.append((email, role.value, pw))
    unit = all_units()[UNIT_ID]
    assessor, iqa = people["assessor@demo.test"], people["iqa@demo.test"]
    for email in ("learner@demo.test", "learner2@demo.test", "learner3@demo.test"):
        portfolio = _portfolio(people[email], unit.id)
        if portfolio is None:
            portfolio = enrol(people[email], unit, assessor, iqa, actor=people["admin@demo.test"])
        if email == "learner@demo.test" and not portfolio.evidence:
            _halfway(portfolio, unit, people[email], assessor)
        if email == "learner3@demo.test" and not portfolio.evidence:
            signed_off(portfolio, unit, people[email], assessor, iqa, _add)
    _quality(people, unit)
    return logins


def _quality(people: dict[str, User], unit) -> None:
    """A risk rating for the assessor, and a current EQA grant for the halfway and the
    signed-off portfolios."""
    assessor, iqa, eqa = (people[e] for e in ("assessor@demo.test", "iqa@demo.test",
                                              "eqa@demo.test"))
    if db.session.scalar(select(AssessorRisk).where(
            AssessorRisk.assessor_id == assessor.id)) is None:
        set_risk(assessor, "under_development", "Qualified last year; first learners on "
                 "Unit 40. Sample half until two summative samples are upheld.", actor=iqa)
    named = [_portfolio(people[e], unit.id) for e in ("learner@demo.test", "learner3@demo.test")]
    grants = current_grants(eqa)
    if not grants:
        grant, _link, _emailed = grant_access(
            name=eqa.name, email=eqa.email, organisation="Demo Awarding Body",
            portfolios=named, days=EQA_DAYS, actor=people["admin@demo.test"])
        grant.invite_used_at = grant.created_at  # the demo sets the password directly
    elif named[1] not in grants[0].portfolios:  # a demo made before the third learner
        grants[0].portfolios.append(named[1])


def _portfolio(learner: User, unit_id: str) -> Portfolio | None:
    return db.session.scalar(select(Portfolio).where(Portfolio.learner_id == learner.id,
                                                     Portfolio.unit_id == unit_id))


def _files(*named: tuple[str, bytes]):
    store = current_app.extensions["evidence_store"]
    uploads = [Upload(io.BytesIO(data), name) for name, data in named]
    return check_uploads(store, uploads, current_app.config["MAX_UPLOAD_BYTES"])


def _add(portfolio, unit, learner, *, title, method, days_ago, context, account, files=(),
         claims, ranges=None, quotes=None, ai_use: AiUse = NO_AI):
    store = current_app.extensions["evidence_store"]
    evidence = add_evidence(
        portfolio, unit,
        EvidenceFields(title=title, method=method, dated=uk_today() - timedelta(days=days_ago),
                       context=context, account_md=account, ai_use=ai_use),
        _files(*files), actor=learner, store=store, submission_key=None, today=uk_today())
    set_claims(evidence, unit, claims, actor=learner, ranges=ranges, quotes=quotes)
    return evidence


def _judge(evidence, assessor, decisions: dict[str, tuple[str, str]]):
    for claim in evidence.claims:
        if claim.criterion_id in decisions:
            outcome, feedback = decisions[claim.criterion_id]
            record_decision(claim, outcome, feedback, assessor=assessor)


def _halfway(portfolio, unit, learner, assessor) -> None:
    reflective = _add(
        portfolio, unit, learner, method="reflective_account", days_ago=40,
        title="Reflective account: refund complaint about a faulty kettle",
        # Spelling help only: declared, and the account still meets what it claims.
        ai_use=AiUse(used=True, tools="Microsoft Word Editor", purposes=("spelling",)),
        context="Customer service adviser, Northgate Home Appliances contact centre. "
                "The customer phoned, then followed up by email.",
        account=REFLECTIVE_ACCOUNT,
        claims={
            "1.3": "Paragraphs 3 and 4: how I used questions to find the root cause, and "
                   "offered the allowable concession (free next-day replacement) before a refund.",
            "1.4": "Paragraph 2: how I stayed calm, acknowledged Mr Hughes's frustration and "
                   "let him finish before explaining the options.",
            "1.5": "Paragraph 5: our three-stage complaints procedure, what each stage is for, "
                   "and the 48-hour acknowledgement rule.",
            "1.6": "Paragraph 6: why I did not need to escalate this one.",
            "1.8": "Last paragraph: why a replacement kept the customer, and where a goodwill "
                   "voucher would have cost more than it saved.",
            "2.2": "The whole account: I kept the case from the first call to the close.",
        },
        # The passages that meet three of them, quoted: the assessor sees them highlighted.
        quotes={
            "1.4": "I let him explain everything without interrupting, then said back to him "
                   "what I had heard",
            "1.5": "Our procedure has three stages: resolve at first contact where we can, pass "
                   "to a team leader if not, then a formal review by the customer relations "
                   "manager.",
            "1.6": "I did not need to escalate this complaint because the solution was within "
                   "my authority and the customer accepted it.",
        })
    _judge(reflective, assessor, {
        "1.3": ("accepted", "Clear explanation of questioning and allowable concessions."),
        "1.4": ("accepted", "Good: calm, empathy, root cause, alternatives."),
        "1.5": ("accepted", ""),
        "1.6": ("referred", "You explain why this case did not need escalating, but not when a "
                            "complaint should be escalated. Explain the limits of your own "
                            "authority (for example refunds over £150) and who you pass a "
                            "complaint to, and when."),
        "1.8": ("accepted", ""),
    })
    emails = _add(
        portfolio, unit, learner, method="product_evidence", days_ago=38,
        title="Email exchange with Mr Hughes (complaint ref NHA-20418)",
        context="Email thread following the phone call; customer details kept with permission.",
        account="The full email thread is attached. My first reply acknowledges the problem and "
                "confirms what happened; the second sets out the two options; the third "
                "confirms the replacement was dispatched.",
        files=[("NHA-20418 email thread.eml", _email_thread(days_ago=38))],
        claims={
            "2.1": "My first reply confirms the fault, the cause (a batch fault on model K-200) "
                   "and what it meant for him (no kettle for a week).",
            "2.3": "First reply: I acknowledge that he had already waited a week and say I "
                   "understand why he is annoyed.",
            "2.6": "Second and third emails: I tell him when the courier is booked and when it "
                   "has been dispatched.",
            "2.7": "Second email: the two options I offered, both within my authority "
                   "(replacement or refund up to £150), and his reply agreeing.",
        }, ranges={"2.3": ["email"]},
        quotes={"2.1": "I have confirmed that your K-200 kettle is affected by a fault in one "
                       "batch of this model, so the problem is with the product, not with how "
                       "it was used."})
    _judge(emails, assessor, {
        "2.1": ("accepted", "Cause and implications clearly confirmed with the customer."),
        "2.3": ("accepted", ""),
        "2.6": ("accepted", ""),
    })
    log = _add(
        portfolio, unit, learner, method="product_evidence", days_ago=37,
        title="Complaint log entry NHA-20418",
        context="Export of the case from our complaints log (CRM), with other customers removed.",
        account="",
        files=[("complaint-log-NHA-20418.csv", COMPLAINT_LOG.encode())],
        claims={"2.8": "The closed case record: outcome, root cause code and follow-up date."})
    _judge(log, assessor, {"2.8": ("accepted", "")})
    _add(
        portfolio, unit, learner, method="rpl", days_ago=3 * 365,
        title="Level 2 Customer Service certificate (RPL)",
        context="Completed at my previous employer.",
        account="Unit 7 of my Level 2 Customer Service certificate covered customer "
                "feedback cards and satisfaction surveys, and how to judge which suit a "
                "small business. The certificate is held by my previous employer.",
        claims={"1.1": "Unit 7 of the certificate covered monitoring techniques and their "
                       "suitability."})


REFLECTIVE_ACCOUNT = """\
On a Tuesday morning Mr Hughes phoned about a kettle that had stopped working after three weeks. \
He had already waited a week for a call back from the shop and was angry.

I let him explain everything without interrupting, then said back to him what I had heard: the \
kettle had failed, he had been left without one, and nobody had called him back. I told him I \
was sorry he had been let down and that I would deal with it myself until it was sorted.

I asked when he bought it, what happened when it failed and whether the base still lit up. The \
answers matched a batch fault on model K-200 that our quality team had flagged the week before, \
so I knew the cause was the product and not how he had used it.

Our policy lets advisers offer a replacement or a refund up to £150 without a manager. I \
explained both options: a replacement could be with him the next day, a refund would take three \
to five working days. He chose the replacement.

Our procedure has three stages: resolve at first contact where we can, pass to a team leader \
if not, then a formal review by the customer relations manager. Every complaint is acknowledged \
within 48 hours and logged on the CRM so that repeated faults are spotted.

I did not need to escalate this complaint because the solution was within my authority and the \
customer accepted it.

Offering a replacement kept Mr Hughes as a customer and he said he would shop with us again. \
I considered adding a £10 goodwill voucher, but the replacement already solved the problem and \
a voucher would have added cost without changing the outcome.
"""

COMPLAINT_LOG = """\
case_ref,opened,channel,customer,product,category,root_cause,action,authority,outcome,closed,follow_up
NHA-20418,Tue 09:12,phone,D. Hughes,K-200 kettle,product fault,batch fault K-200 (QA-311),\
next-day replacement,adviser (within £150),resolved - customer satisfied,Thu 16:40,call in 14 days
"""


def _email_thread(days_ago: int) -> bytes:
    sent = datetime.combine(uk_today() - timedelta(days=days_ago), time(11, 2), tzinfo=UTC)
    msg = EmailMessage()
    msg["From"] = "Priya Shah <customer.care@northgate-appliances.example>"
    msg["To"] = "Daniel Hughes <d.hughes@example.com>"
    msg["Subject"] = "Re: Your complaint NHA-20418 - faulty kettle"
    msg["Date"] = format_datetime(sent)
    msg.set_content(
        "Dear Mr Hughes,\n\n"
        "Thank you for your time on the phone this morning, and I am sorry you were left "
        "without a kettle for a week and without the call back you were promised.\n\n"
        "I have confirmed that your K-200 kettle is affected by a fault in one batch of this "
        "model, so the problem is with the product, not with how it was used.\n\n"
        "As we discussed, I can offer either:\n"
        "  1. a replacement kettle delivered tomorrow by courier, or\n"
        "  2. a full refund of £34.99, which takes three to five working days.\n\n"
        "You chose the replacement; I have booked it and will email you when it is "
        "dispatched.\n\n"
        "Kind regards,\nPriya Shah\nCustomer Care, Northgate Home Appliances\n\n"
        f"> On {sent:%d %b %Y}, Daniel Hughes wrote:\n"
        "> Replacement please, as long as it really comes tomorrow.\n")
    return bytes(msg)
