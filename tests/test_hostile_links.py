"""One-time things used at the same instant, and sign-off racing a change: each thread has its
own app context and database session, on the test's SQLite file, as two requests would."""

import threading
import time
from datetime import date, timedelta

import pytest
from helpers import make_complete
from sqlalchemy import func, select

from portfolio import create_app
from portfolio.auth.services import authenticate
from portfolio.eqa.services import accept_invitation, find_invitation
from portfolio.evidence.services import EvidenceFields, add_evidence
from portfolio.extensions import db as _db
from portfolio.facts import current_digest
from portfolio.models import (
    AuditEvent,
    EqaGrant,
    Evidence,
    Portfolio,
    Signature,
    User,
    WitnessRequest,
    utcnow,
)
from portfolio.saving import saving
from portfolio.signoff.services import sign
from portfolio.tokens import hash_token, new_token
from portfolio.units import all_units
from portfolio.witness import services as witness
from portfolio.witness.services import WitnessDetails, find_request, request_testimony

TODAY = date.today()
UNIT = "unit-40"


@pytest.fixture
def app(tmp_path):
    """conftest's app, with a generous SQLite busy timeout: the racing threads queue for the
    database's write lock instead of failing with "database is locked"."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 15}},
        "EVIDENCE_DIR": str(tmp_path / "evidence"), "EXPORT_DIR": str(tmp_path / "exports"),
    }, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def in_threads(app, *jobs):
    """Run each job in its own thread, app context and session; return what each returned
    (or raised)."""
    results = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            try:
                results[index] = job()
            except Exception as exc:  # the test looks at it
                results[index] = exc
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def saved(change) -> str | None:
    """Run a service the way a view does: commit, or roll back and keep the refusal."""
    with saving() as outcome:
        change()
    return outcome.error


# ---------------------------------------------------------------- the witness link

SIGNED = witness.Testimony("I saw the call and the follow-up letter.", TODAY, True, "0113 496 0000",
                           "Sam Carter", True, job_title="Team leader",
                           relationship_kind="line_manager")


def test_ten_submissions_of_one_witness_link_make_one_testimony(app, db, people, portfolios):
    unit = all_units()[UNIT]
    asked = request_testimony(portfolios["own"], unit, WitnessDetails(
        "Sam Carter", "sam@northgate.example", "Team leader", "Line manager", "The call."),
        actor=people["learner"])
    link = witness.pass_on(asked.request, actor=people["assessor"])
    db.session.commit()
    token = link.rsplit("/", 1)[1]
    barrier = threading.Barrier(10)

    def submit():
        request = find_request(token)
        request.portfolio.locked  # noqa: B018  (loaded, as the page has it)
        barrier.wait()
        return saved(lambda: witness.submit_testimony(request, unit, SIGNED, utcnow()))

    errors = in_threads(app, *[submit] * 10)
    assert errors.count(None) == 1, errors
    assert all(e == "This link has been signed and accepts nothing." for e in errors if e)
    db.session.expire_all()
    (evidence,) = db.session.scalars(select(Evidence)).all()
    request = db.session.scalar(select(WitnessRequest))
    assert request.used_at is not None and request.evidence_id == evidence.id
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "witness.signed")) == 1


# ---------------------------------------------------------------- the EQA invitation

def test_ten_uses_of_one_eqa_invitation_set_one_password(app, db, people, portfolios,
                                                         make_user):
    eqa = make_user("eqa", name="Eva External")
    token = new_token()
    grant = EqaGrant(eqa_id=eqa.id, granted_by_id=people["admin"].id, organisation="AB",
                     expires_at=utcnow() + timedelta(days=14), invite_token_hash=hash_token(token))
    grant.portfolios = [portfolios["own"]]
    db.session.add(grant)
    db.session.commit()
    barrier = threading.Barrier(10)

    def use(n):
        def job():
            found = find_invitation(token)
            found.eqa  # noqa: B018  (loaded, as the page has it)
            barrier.wait()
            password = f"password number {n}"
            return saved(lambda: accept_invitation(found, password, password, now=utcnow()))
        return job

    errors = in_threads(app, *[use(n) for n in range(10)])
    assert errors.count(None) == 1, errors
    assert all("already been used" in e for e in errors if e)
    winner = errors.index(None)
    db.session.expire_all()
    assert authenticate(eqa.email, f"password number {winner}") is not None
    # The others' passwords were never set (checked against the hash directly: nine wrong
    # sign-ins in a row would lock the account).
    from werkzeug.security import check_password_hash
    assert not any(check_password_hash(eqa.password_hash, f"password number {n}")
                   for n in range(10) if n != winner)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "eqa.invitation_accepted")) == 1


# ---------------------------------------------------------------- the password reset link

def test_ten_uses_of_one_reset_link_set_one_password(app, db, people):
    from werkzeug.security import check_password_hash

    from portfolio.auth.resets import find_link, use_link
    from portfolio.models import PasswordReset

    learner = people["learner"]
    token = new_token()
    db.session.add(PasswordReset(token_hash=hash_token(token), user_id=learner.id,
                                 expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    barrier = threading.Barrier(10)

    def use(n):
        def job():
            found = find_link(token)
            barrier.wait()
            password = f"reset passphrase number {n}"
            return saved(lambda: use_link(found, password, password, now=utcnow()))
        return job

    errors = in_threads(app, *[use(n) for n in range(10)])
    assert errors.count(None) == 1, errors
    assert all("already been used" in e or "just used" in e for e in errors if e)
    winner = errors.index(None)
    db.session.expire_all()
    assert [check_password_hash(learner.password_hash, f"reset passphrase number {n}")
            for n in range(10)] == [n == winner for n in range(10)]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "user.password_reset")) == 1


def test_wrong_passwords_sent_at_once_all_count(app, db, people):
    learner = people["learner"]
    email = learner.email  # read here: the threads do not share this test's session
    barrier = threading.Barrier(8)

    def guess():
        barrier.wait()
        return authenticate(email, "a wrong guess")

    assert in_threads(app, *[guess] * 8) == [None] * 8
    db.session.expire_all()
    assert learner.failed_logins == 8 and learner.locked_until is not None


# ---------------------------------------------------------------- sign-off against a change

@pytest.fixture
def ready(db, people, portfolios, make_evidence):
    """The learner's portfolio: complete and declared, ready for the assessor's sign-off."""
    own = portfolios["own"]
    make_complete(own, make_evidence)
    learner = people["learner"]
    sign(own, all_units()[UNIT], "declaration", learner.name, True, signer=learner,
         today=TODAY)
    db.session.commit()
    return own.id, people["assessor"].id, learner.id


def sign_off(ids):
    portfolio_id, assessor_id, _ = ids

    def job():
        portfolio, assessor = _db.session.get(Portfolio, portfolio_id), \
            _db.session.get(User, assessor_id)
        return saved(lambda: sign(portfolio, all_units()[UNIT], "sign_off", assessor.name,
                                  True, signer=assessor, today=TODAY))
    return job


def add_late_evidence(ids, before=lambda: None):
    portfolio_id, _, learner_id = ids

    def job():
        portfolio, learner = _db.session.get(Portfolio, portfolio_id), \
            _db.session.get(User, learner_id)
        portfolio.locked  # noqa: B018  (loaded, as the page has it)
        before()
        return saved(lambda: add_evidence(
            portfolio, all_units()[UNIT], EvidenceFields(
                "Late letter", "product_evidence", TODAY, "", "Written at the same instant."),
            [], actor=learner, store=None, submission_key=None, today=TODAY))
    return job


def assert_nothing_locked_unsigned(db, portfolio_id):
    """A locked portfolio holds exactly what its sign-off's digest covers."""
    db.session.expire_all()
    portfolio = db.session.get(Portfolio, portfolio_id)
    late = db.session.scalar(select(Evidence).where(Evidence.title == "Late letter"))
    if portfolio.locked:
        sign_off_sig = db.session.scalar(select(Signature).where(
            Signature.portfolio_id == portfolio_id, Signature.kind == "sign_off"))
        assert current_digest(portfolio) == sign_off_sig.digest, \
            "evidence inside a locked portfolio that its sign-off does not cover"
    else:
        assert late is not None  # the sign-off was refused because the evidence came first
    return portfolio.locked, late is not None


def test_evidence_added_while_the_sign_off_is_being_worked_out_refuses_the_sign_off(
        app, db, ready, monkeypatch):
    """The sign-off reads the state; the evidence is added and saved; then the sign-off
    tries to lock what it read."""
    import portfolio.signoff.services as signoff
    read, added = threading.Event(), threading.Event()
    original = signoff.portfolio_state

    def slow_state(portfolio):
        state = original(portfolio)
        read.set()
        added.wait(10)
        return state
    monkeypatch.setattr(signoff, "portfolio_state", slow_state)

    def add_then_tell():
        read.wait(10)
        try:
            return add_late_evidence(ready)()
        finally:
            added.set()

    signed_off, add = in_threads(app, sign_off(ready), add_then_tell)
    assert add is None
    assert signed_off and "changed while you were signing" in signed_off
    assert assert_nothing_locked_unsigned(db, ready[0]) == (False, True)


def test_a_sign_off_while_evidence_is_being_saved_waits_and_never_locks_it_out_of_sight(
        app, db, ready, monkeypatch):
    """The add has passed its lock check and is still saving when the sign-off runs."""
    import portfolio.evidence.services as evidence_services
    checked = threading.Event()
    original = evidence_services._validate

    def slow_validate(*args):
        checked.set()
        time.sleep(1)
        return original(*args)
    monkeypatch.setattr(evidence_services, "_validate", slow_validate)

    def sign_when_checked():
        checked.wait(10)
        return sign_off(ready)()

    add, signed_off = in_threads(app, add_late_evidence(ready), sign_when_checked)
    assert add is None  # the add came first, so it lands
    locked, landed = assert_nothing_locked_unsigned(db, ready[0])
    assert landed and (locked or "changed while you were signing" in signed_off)


def test_sign_off_and_evidence_at_the_same_instant(app, db, ready):
    barrier = threading.Barrier(2)
    signed_off, add = in_threads(app, lambda: (barrier.wait(), sign_off(ready)())[1],
                                 add_late_evidence(ready, before=barrier.wait))
    assert signed_off is None or add is None
    locked, landed = assert_nothing_locked_unsigned(db, ready[0])
    assert landed == (add is None) and locked == (signed_off is None)
