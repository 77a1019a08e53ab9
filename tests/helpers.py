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
