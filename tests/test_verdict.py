"""The verdict in the app: sign-off refusals, withdrawn claims, range items from the learner to
the assessor's confirmation, unit versions under a live portfolio, and the words on the page."""

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import make_complete, uphold_sample
from sqlalchemy import select

from portfolio import create_app
from portfolio.admin.services import move_to_version
from portfolio.assessment.services import (
    RecordFields,
    record_decision,
    respond_to_record,
    save_record,
    withdraw_claim,
)
from portfolio.clock import uk_today
from portfolio.coverage import months_before
from portfolio.errors import DomainError
from portfolio.evidence.services import set_claims
from portfolio.extensions import db as _db
from portfolio.facts import coverage_for, current_digest, portfolio_state
from portfolio.facts import signature_statuses as statuses
from portfolio.models import AuditEvent, Portfolio, Signature, UnitVersion
from portfolio.signoff.services import sign
from portfolio.units import all_units, pin, unit_for

TODAY = uk_today()
CRITERIA = Path(__file__).resolve().parent.parent / "criteria"


def unit():
    return all_units()["unit-40"]


def declare_and_sign_off(portfolio, people):
    sign(portfolio, unit(), "declaration", "Learner", True, signer=people["learner"],
         today=TODAY)
    return sign(portfolio, unit(), "sign_off", "Assessor", True, signer=people["assessor"],
                today=TODAY)


# ---- sign-off is refused, saying why --------------------------------------------------------


def test_sign_off_is_refused_while_a_claim_awaits_a_decision(db, people, portfolios,
                                                             make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    make_evidence(own, title="Late email", claims={"2.6": None})
    with pytest.raises(DomainError, match="1 claim.s. still await a decision: AC 2.6 on "
                                          "“Late email”. Judge them, or withdraw them"):
        declare_and_sign_off(own, people)


def test_sign_off_is_refused_while_a_claim_stands_referred(db, people, portfolios,
                                                           make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    make_evidence(own, title="Draft log", claims={"2.8": "referred"})
    with pytest.raises(DomainError, match="stand referred: AC 2.8 on “Draft log”"):
        declare_and_sign_off(own, people)


@pytest.mark.parametrize("answer,words", [(None, "has not yet confirmed"),
                                          ("disputed", "disputes")])
def test_sign_off_is_refused_until_the_learner_confirms_every_record(
        db, people, portfolios, make_evidence, answer, words):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    record = save_record(own, unit(), RecordFields("professional_discussion", TODAY, None, 20,
                                                   "", "Why?", "She explained."),
                         {"2.4": "Weighed the options."}, assessor=people["assessor"],
                         today=TODAY)
    if answer:
        respond_to_record(record, unit(), answer, "That is not what I said.",
                          learner=people["learner"])
    db.session.commit()
    with pytest.raises(DomainError, match=f"The learner {words} your record"):
        declare_and_sign_off(own, people)


def test_sign_off_judges_currency_on_the_day(db, people, portfolios, make_evidence):
    """Accepted while current, aged out since: flagged in progress, refused at sign-off."""
    own = portfolios["own"]
    make_complete(own, make_evidence)
    old = make_evidence(own, title="Old log", dated=months_before(TODAY, 30),
                        claims={"2.8": "accepted"})
    for d in old.claims[0].decisions:  # judged back when the log was current
        d.decided_at = d.decided_at - timedelta(days=365)
    product = next(e for e in own.evidence if e.title == "Complaint file")
    product.claims[[c.criterion_id for c in product.claims].index("2.8")].decisions.clear()
    withdraw_claim(product.claims[[c.criterion_id for c in product.claims].index("2.8")],
                   "Only the old log shows the outcome.", assessor=people["assessor"])
    db.session.commit()
    coverage = coverage_for(own, unit(), TODAY)
    assert coverage.complete and coverage.warnings  # met in progress, and flagged
    assert "fallen out of the 24-month currency window" in coverage.warnings[0]
    with pytest.raises(DomainError, match="judged as at today .still open: AC 2.8"):
        declare_and_sign_off(own, people)


def test_a_signed_portfolio_keeps_its_verdict_ten_years_on(db, people, portfolios,
                                                           make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    declare_and_sign_off(own, people)
    _db.session.commit()
    later = TODAY + timedelta(days=3653)
    coverage = coverage_for(own, unit(), later)
    assert coverage.complete and coverage.met == 17 and coverage.signed_on == TODAY


# ---- withdrawn claims -----------------------------------------------------------------------


def test_the_assessor_withdraws_a_claim_instead_of_judging_it(db, client, browser, people,
                                                              portfolios, make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    draft = make_evidence(own, title="Colleague's email", claims={"2.6": None})
    claim = draft.claims[0]
    browser.login(people["assessor"])
    url = f"/evidence/{draft.id}"
    empty = browser.submit(f"/claims/{claim.id}/withdraw", {f"w{claim.id}-reason": ""},
                           form_url=url)
    assert empty.status_code == 422 and "Give the reason" in empty.text
    done = browser.submit(f"/claims/{claim.id}/withdraw",
                          {f"w{claim.id}-reason": "A colleague wrote this email."},
                          form_url=url, follow_redirects=True)
    assert "stays on the record and counts for nothing" in done.text
    assert "Withdrawn</span> by Assessor" in done.text and "A colleague wrote this email." in \
        done.text
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.withdrawn"))
    coverage = coverage_for(own, unit(), TODAY)
    assert coverage.cell(draft.id, "2.6").withdrawn and coverage.claims_in("awaiting") == 0
    with pytest.raises(DomainError, match="was withdrawn: it takes no decision"):
        record_decision(db.session.get(type(claim), claim.id), "accepted", "",
                        assessor=people["assessor"])
    # Nothing awaits now: the sign-off goes through, and the state it signed names the
    # withdrawal.
    signature = declare_and_sign_off(db.session.get(Portfolio, own.id), people)
    state = json.loads(signature.state_json)
    assert state["evidence"][str(draft.id)]["claims"]["2.6"]["withdrawn"]["reason"] == \
        "A colleague wrote this email."


def test_only_the_assessor_withdraws_and_always_with_a_reason(db, people, portfolios,
                                                              make_evidence):
    claim = make_evidence(portfolios["own"], claims={"2.6": None}).claims[0]
    with pytest.raises(DomainError, match="Only this learner's assessor"):
        withdraw_claim(claim, "No.", assessor=people["iqa"])
    with pytest.raises(DomainError, match="Give the reason"):
        withdraw_claim(claim, "  ", assessor=people["assessor"])


# ---- range: the learner claims, the assessor confirms --------------------------------------


def test_range_items_go_from_the_learners_claim_to_the_assessors_confirmation(
        db, client, browser, people, portfolios, make_evidence):
    own = portfolios["own"]
    call = make_evidence(own, title="Observed call", method="direct_observation",
                         claims={"2.3": "accepted"}, ranges={"2.3": ["telephone"]},
                         by_assessor=True, confirmed=True)
    email = make_evidence(own, title="Email thread")
    browser.login(people["learner"])
    form = client.get(f"/evidence/{email.id}/claims").text
    assert "Channels this evidence shows for AC 2.3" in form
    browser.submit(f"/evidence/{email.id}/claims",
                   {"claim_2_3": "y", "rationale_2_3": "My first reply.",
                    "range_2_3": ["email", "face_to_face"]})
    claim = db.session.scalar(select(type(call.claims[0])).where(
        type(call.claims[0]).evidence_id == email.id))
    assert claim.range_items == ["email", "face_to_face"]
    page = client.get(f"/portfolios/{own.id}").text
    assert "Awaiting assessment: “Email thread”." in page
    client.post("/logout", data={"csrf_token": browser.token(f"/portfolios/{own.id}")})
    # The assessor sees the learner's items ticked, and confirms only what the email shows.
    browser.login(people["assessor"])
    detail = client.get(f"/evidence/{email.id}").text
    assert f'name="claim{claim.id}-range" id="claim{claim.id}-range-email" value="email" ' \
           'checked' in detail
    browser.submit(f"/claims/{claim.id}/decision",
                   {f"claim{claim.id}-outcome": "accepted",
                    f"claim{claim.id}-range": ["email"]}, form_url=f"/evidence/{email.id}")
    db.session.expire_all()
    cc = next(c for c in coverage_for(own, unit(), TODAY).criteria if c.criterion.id == "2.3")
    assert cc.met and cc.covered == ("Telephone", "Email")
    with pytest.raises(DomainError, match="AC 2.3 has no range item carrier pigeon"):
        set_claims(email, unit(), {"2.3": "x"}, actor=people["learner"],
                   ranges={"2.3": ["carrier pigeon"]})


def test_the_gap_panel_says_what_is_still_needed_in_words(db, client, browser, people,
                                                          portfolios, make_evidence):
    own = portfolios["own"]
    make_evidence(own, title="Email thread", claims={"2.1": "accepted", "2.3": "accepted"},
                  ranges={"2.3": ["email"]})
    make_evidence(own, title="Reflective account", method="reflective_account",
                  claims={"2.4": "accepted"})
    browser.login(people["learner"])
    page = client.get(f"/portfolios/{own.id}").text
    assert "One more example needed: AC 2.1 needs 2 separate pieces of accepted evidence " \
           "(1 so far)." in page
    assert "Range still needed: 1 more of telephone or face to face" in page
    assert "Learning outcome 2 needs at least one direct observation" in page
    assert "AC 2.4 is met by professional discussion, direct observation or product " \
           "evidence." in page
    reasons = [r for c in coverage_for(own, unit(), TODAY).criteria for r in c.reasons]
    assert not any("simulation" in r.lower() for r in reasons)  # only the unit's own text
    assert "The unit’s assessment requirements" in page
    rules = client.get(f"/portfolios/{own.id}/unit").text
    assert "Assessment requirements" in rules and "Simulation is not allowed" in rules
    assert "2 separate pieces of accepted evidence" in rules
    assert "Required at least once in this outcome:</span> direct observation" in rules


# ---- unit versions --------------------------------------------------------------------------


@pytest.fixture
def criteria_copy(tmp_path):
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(CRITERIA / "unit-40.toml", folder)
    return folder


def app_on(tmp_path, criteria):
    return create_app({"TESTING": True, "SECRET_KEY": "t", "CRITERIA_DIR": str(criteria),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'v.sqlite3'}",
                       "EVIDENCE_DIR": str(tmp_path / "evidence")},
                      instance_path=str(tmp_path / "instance"))


def test_a_unit_file_changed_under_a_live_portfolio(tmp_path, criteria_copy):
    from portfolio.models import User

    first = app_on(tmp_path, criteria_copy)
    with first.app_context():
        _db.create_all()
        people = [User(email=f"{r}@t.example", name=r.title(), role=r, password_hash="x")
                  for r in ("learner", "assessor", "iqa", "admin")]
        _db.session.add_all(people)
        _db.session.flush()
        portfolio = Portfolio(learner_id=people[0].id, unit_id="unit-40",
                              assessor_id=people[1].id, iqa_id=people[2].id)
        pin(portfolio, all_units()["unit-40"])
        _db.session.add(portfolio)
        _db.session.commit()
        old_version, pid = portfolio.unit_version, portfolio.id
        digest_before = current_digest(portfolio)
        _db.engine.dispose()
    # The centre edits the file: 2.1 now needs three examples, and its wording changes.
    path = criteria_copy / "unit-40.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min_evidence = 2", "min_evidence = 3").replace(
        "Confirm the nature, cause and implications of customers’ complaint",
        "Confirm the nature and cause of complaints"), encoding="utf-8")
    second = app_on(tmp_path, criteria_copy)
    with second.app_context():
        portfolio = _db.session.get(Portfolio, pid)
        judged = unit_for(portfolio)
        assert judged.version == old_version != all_units()["unit-40"].version
        assert judged.criterion("2.1").min_evidence == 2  # still the version it enrolled on
        assert judged.criterion("2.1").text.startswith("Confirm the nature, cause")
        assert _db.session.scalar(select(UnitVersion.text).where(
            UnitVersion.version == old_version)) == text
        client = second.test_client()
        second.config["WTF_CSRF_ENABLED"] = False
        admin = _db.session.scalar(select(User).where(User.role == "admin"))
        from portfolio.auth.services import set_password
        set_password(admin, "a long password here", actor=None)
        _db.session.commit()
        client.post("/login", data={"email": admin.email, "password": "a long password here"})
        page = client.get(f"/portfolios/{pid}").text
        assert "The unit’s file has changed since" in page and "Move it to the new version" in \
            page
        assert "Confirm the nature, cause and implications" in page
        client.post(f"/admin/portfolios/{pid}/unit-version")
        _db.session.expire_all()
        portfolio = _db.session.get(Portfolio, pid)
        assert portfolio.unit_version == all_units()["unit-40"].version
        assert unit_for(portfolio).criterion("2.1").min_evidence == 3
        event = _db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "portfolio.unit_moved"))
        assert json.loads(event.detail_json)["before"] == old_version
        assert current_digest(portfolio) != digest_before  # the digest covers the version
        with pytest.raises(DomainError, match="already judged against this version"):
            move_to_version(portfolio, all_units()["unit-40"], actor=admin)
        _db.session.remove()
        _db.engine.dispose()


def test_moving_a_portfolio_supersedes_its_signatures_and_needs_it_unlocked(
        db, people, portfolios, make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    pin(own, unit())
    db.session.commit()
    declare_and_sign_off(own, people)
    db.session.commit()
    with pytest.raises(DomainError, match="reopen it first"):
        move_to_version(own, unit(), actor=people["admin"])
    own.locked_at = None  # as a reopen would
    own.unit_version = "0" * 64  # judged against another version until now
    db.session.commit()
    before = statuses(own)
    assert not any(s.current for s in before)  # the version changed under the signatures
    assert any("Moved to another version of the unit" in c for s in before for c in s.changes)


def test_a_signature_made_before_versions_were_kept_stays_current(db, people, portfolios,
                                                                  make_evidence):
    own = portfolios["own"]
    make_complete(own, make_evidence)
    signature = declare_and_sign_off(own, people)
    db.session.commit()
    legacy = json.loads(signature.state_json)
    legacy.pop("unit_version")
    from portfolio.signing import digest_of
    signature.state_json, signature.digest = json.dumps(legacy), digest_of(legacy)
    pin(own, unit())  # the upgrade records the version afterwards
    db.session.commit()
    assert all(s.current for s in statuses(own) if s.signature.id == signature.id)


def test_init_db_pins_portfolios_enrolled_before_versions(tmp_path, criteria_copy):
    app = app_on(tmp_path, criteria_copy)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        from portfolio.models import User
        users = [User(email=f"{r}@t.example", name=r, role=r, password_hash="x")
                 for r in ("learner", "assessor", "iqa")]
        _db.session.add_all(users)
        _db.session.flush()
        _db.session.add(Portfolio(learner_id=users[0].id, unit_id="unit-40",
                                  assessor_id=users[1].id, iqa_id=users[2].id))
        _db.session.commit()
        _db.engine.dispose()
    again = runner.invoke(args=["init-db"])
    assert "Recorded the unit version of 1 portfolio(s)." in again.output
    with app.app_context():
        assert _db.session.scalar(select(Portfolio.unit_version)) == \
            all_units()["unit-40"].version
        _db.engine.dispose()


def test_the_digest_covers_the_unit_version(db, portfolios):
    own = portfolios["own"]
    before = portfolio_state(own)
    own.unit_version = "f" * 64
    assert portfolio_state(own)["unit_version"] == "f" * 64 != before["unit_version"]


def test_the_signed_pdf_says_what_the_sign_off_rests_on(app, db, people, portfolios,
                                                        make_evidence):
    from portfolio.export.document import build

    own = portfolios["own"]
    make_complete(own, make_evidence)
    stray = make_evidence(own, title="Colleague's email", claims={"2.6": None})
    withdraw_claim(stray.claims[0], "A colleague wrote it.", assessor=people["assessor"])
    declare_and_sign_off(own, people)
    db.session.commit()
    uphold_sample(own, people["iqa"])
    with app.test_request_context():
        html = build(own, unit(), today=date.today(),
                     store=app.extensions["evidence_store"]).html
    assert "What the sign-off rests on" in html and "Assessment requirements" in html
    assert "⊘ Withdrawn by Assessor" in html and "A colleague wrote it." in html
    assert "judged as at the sign-off on" in html
    assert "channels confirmed: Telephone" in html
    assert db.session.scalar(select(Signature).where(Signature.kind == "sign_off"))
