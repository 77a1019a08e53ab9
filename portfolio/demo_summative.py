"""The demo's third learner: a Unit 40 portfolio complete by every rule, signed off by the
assessor after the learner's declaration, sampled and upheld by the IQA, and countersigned, so
an IQA and an EQA can open a summative portfolio at once.

The evidence is what the unit's guidance names: a reflective account for the knowledge, the
learner's emails and complaint log, the assessor's observation of a complaint call and a
professional discussion (both confirmed by the learner).
"""

from __future__ import annotations

from datetime import time, timedelta

from .assessment.services import RecordFields, record_decision, respond_to_record, save_record
from .clock import uk_today
from .iqa.services import CheckInput, add_to_plan, complete_sample, sampled_decisions
from .models import Portfolio, User
from .signoff.services import sign
from .spec import Unit


def signed_off(portfolio: Portfolio, unit: Unit, learner: User, assessor: User, iqa: User,
               add) -> None:
    """Build the evidence, judge it, and take it through every signature. `add` is the demo's
    helper that adds a learner's evidence item and tags it."""
    today = uk_today()
    account = add(
        portfolio, unit, learner, method="reflective_account", days_ago=70,
        title="Reflective account: what complaints have taught me",
        context="Complaints adviser, Riverside Energy customer relations team.",
        account=KNOWLEDGE_ACCOUNT,
        claims={f"1.{i}": f"Paragraph {i} of my account." for i in range(1, 9)})
    emails = add(
        portfolio, unit, learner, method="product_evidence", days_ago=64,
        title="Email thread with Mrs Patel (complaint RE-7781, billing error)",
        context="Complaint received by email; details kept with the customer's permission.",
        account="My four emails to Mrs Patel: acknowledgement and cause, two progress updates, "
                "and the agreed resolution.",
        claims={"2.1": "First email: I confirm the estimated reading caused the £212 bill "
                       "and what it meant for her direct debit.",
                "2.3": "First email: I say I understand why a bill twice the usual size "
                       "worried her.",
                "2.6": "Second and third emails: progress on the meter read and the "
                       "recalculation.",
                "2.7": "Fourth email: the corrected bill and a £25 credit, within my £50 "
                       "goodwill limit, which she accepted."},
        ranges={"2.3": ["email"]})
    log = add(
        portfolio, unit, learner, method="product_evidence", days_ago=60,
        title="CRM case record RE-7781",
        context="The closed case from our complaints system.", account="The closed record.",
        claims={"2.8": "The case record: outcome, root cause (estimated read) and credit."})
    for item in (account, emails, log):
        for claim in item.claims:
            record_decision(claim, "accepted", "", assessor=assessor, unit=unit)
    observation = save_record(
        portfolio, unit,
        RecordFields("direct_observation", today - timedelta(days=45), time(10, 30), 25,
                     "Riverside Energy contact centre, Bristol: complaints desk", "",
                     "Aisha took a call from Mr Doyle about a missed engineer visit. She let him "
                     "explain, confirmed what had happened and what it had cost him (a day's "
                     "leave), kept him informed while she checked the engineer's diary, and "
                     "agreed a new visit and a £30 credit within her authority. She followed the "
                     "complaints procedure and logged the call as she went."),
        {"2.1": "Confirmed nature (missed visit), cause (diary error) and implications.",
         "2.3": "Acknowledged the lost day's leave and his frustration, on the telephone.",
         "2.6": "Told him what she was checking and how long it would take.",
         "2.7": "Agreed a new visit and a £30 credit, within her authority.",
         "2.9": "Followed the procedure: identity check, complaint logged, no admission beyond "
                "policy."},
        assessor=assessor, today=today, ranges={"2.3": ["telephone"]})
    discussion = save_record(
        portfolio, unit,
        RecordFields("professional_discussion", today - timedelta(days=44), None, 35, "",
                     "1. Why did you keep the Doyle case yourself?\n2. What options did you "
                     "weigh for Mrs Patel, and why?\n3. What did each option mean for the "
                     "company?",
                     "Aisha explained that she owns a complaint until it is closed, and weighed "
                     "refund, credit and a payment plan for the customer (speed, certainty) and "
                     "for the company (cost, repeat contact, regulator's view)."),
        {"2.2": "Explained how she owns a complaint from first contact to close.",
         "2.4": "Weighed refund, credit and a payment plan for the customer.",
         "2.5": "Weighed the same options for the company: cost, repeat contact, Ofgem."},
        assessor=assessor, today=today)
    for record in (observation, discussion):
        respond_to_record(record, unit, "confirmed", "", learner=learner)
    sign(portfolio, unit, "declaration", learner.name, True, signer=learner, today=today)
    sign(portfolio, unit, "sign_off", assessor.name, True, signer=assessor, today=today)
    sample = add_to_plan(portfolio, actor=iqa, reason="Summative sample of a signed-off "
                                                      "portfolio.")
    checks = {d.id: CheckInput(True) for d in sampled_decisions(portfolio)}
    complete_sample(sample, checks, "upheld", "Decisions sound and well evidenced; the "
                    "observation and discussion cover learning outcome 2 as the guidance asks.",
                    [], None, actor=iqa, today=today)
    sign(portfolio, unit, "countersign", iqa.name, True, signer=iqa, today=today)


KNOWLEDGE_ACCOUNT = """\
1. We monitor complaints through post-call surveys, web feedback and social media mentions; \
surveys suit us best because they link to the case, while social media catches what surveys miss.

2. A complaint that shows a pattern (several estimated-bill complaints in a week) or could \
damage our reputation or breach Ofgem's rules should prompt a review of the service.

3. I negotiate by asking open questions to find the root cause, showing empathy, and using the \
concessions I am allowed (credits up to £50) before suggesting alternatives.

4. With upset customers I stay calm, let them finish, acknowledge the feeling and explore \
solutions with them; if I lose control of the call I escalate.

5. Our procedure has an informal stage (resolve at first contact) and a formal one (team leader, \
then customer relations manager); its purpose is to resolve quickly and learn from complaints.

6. I escalate when a remedy is beyond my £50 limit, when I lack the knowledge, or when the \
customer asks for a manager or threatens to go to the Energy Ombudsman.

7. Admitting liability can mean compensation, fines from Ofgem and a case at the Energy \
Ombudsman, as well as damage to our brand.

8. Compensation keeps customers and our reputation, but it costs money, customers may still \
switch, and a good outcome is rarely known widely.
"""
