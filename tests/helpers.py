"""Constants the tests share (conftest.py holds the fixtures)."""

from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery"
# Hashing is slow on purpose; hash once for the whole run.
PASSWORD_HASH = generate_password_hash(PASSWORD)


def uphold_sample(portfolio, iqa, feedback="Sound decisions, well evidenced."):
    """The portfolio's IQA samples it as it stands and upholds every decision (commits)."""
    from datetime import date

    from portfolio.extensions import db
    from portfolio.iqa.services import (
        CheckInput,
        add_to_plan,
        complete_sample,
        open_sample,
        sampled_decisions,
    )

    sample = open_sample(portfolio) or add_to_plan(portfolio, actor=iqa)
    checks = {d.id: CheckInput(True) for d in sampled_decisions(portfolio)}
    complete_sample(sample, checks, "upheld", feedback, [], None, actor=iqa,
                    today=date.today())
    db.session.commit()
    return sample


# Every Unit 40 criterion and the decision on it.
ALL = {c: "accepted" for c in ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1",
                               "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9"]}


def make_complete(portfolio, make_evidence, title="Complaint file"):
    """Evidence that meets every Unit 40 rule, all accepted: a work product for most criteria
    (email channel for 2.3), and the assessor's confirmed observation of a complaint call for
    2.1 (its second example), 2.3 (telephone) and 2.9, and LO2's required observation.
    Returns the work product."""
    product = make_evidence(portfolio, title=title, ranges={"2.3": ["email"]},
                            claims={k: v for k, v in ALL.items() if k != "2.9"})
    make_evidence(portfolio, title="Observation of a complaint call", method="direct_observation",
                  claims={"2.1": "accepted", "2.3": "accepted", "2.9": "accepted"},
                  ranges={"2.3": ["telephone"]}, by_assessor=True, confirmed=True)
    return product


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        self.tls = True

    def login(self, user, password):
        self.user = user

    def send_message(self, msg):
        FakeSMTP.sent.append(msg)
