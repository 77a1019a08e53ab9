"""Keeping and erasing records (issue 18): a portfolio's records are kept RETENTION_YEARS after
the learner's programme ends, then an administrator may erase them, confirming each; nothing
is erased automatically, nothing before its day, and nothing of the learner is left behind
but an anonymised trail."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import MetaData, Table, func, select

from portfolio.ai_use import NO_AI
from portfolio.audit import AuditAction
from portfolio.auth.services import create_user
from portfolio.clock import uk_today
from portfolio.eqa.services import grant_access
from portfolio.errors import DomainError
from portfolio.evidence.services import (
    EvidenceFields,
    Upload,
    add_evidence,
    check_uploads,
    delete_evidence,
    remove_file,
)
from portfolio.iqa.services import CheckInput, add_to_plan, complete_sample, sampled_decisions
from portfolio.keeping import add_years, ended_before, kept_until, past_retention
from portfolio.models import (
    AuditEvent,
    Evidence,
    ExportJob,
    LoginSession,
    Notification,
    Portfolio,
    PortfolioSummary,
    Signature,
    User,
    utcnow,
)
from portfolio.notify import notify
from portfolio.retention.anonymise import ACCOUNT_TABLES, STAFF_ONLY
from portfolio.retention.erase import PORTFOLIO_TABLES, erase
from portfolio.retention.services import record_end, remove_end
from portfolio.storage import EvidenceStore
from portfolio.units import all_units
from portfolio.witness import services as witness

NAME, EMAIL = "Zara Quennell", "zara.quennell@learners.example"
STRONG = "violet tunnel harbour lantern"
WITNESS, WITNESS_EMAIL = "Wendy Whitlock", "wendy.whitlock@witness.example"
TITLE = "Quennell refund letter"
SECRET = f"Private notes by {NAME}: the refund for Mr Hughes.\n".encode()
SHARED = b"The centre's complaints procedure, version 3.\n"
TODAY = uk_today()
LONG_AGO = date(TODAY.year - 8, 3, 2)  # ended here: past 6 years' retention
RECENT = date(TODAY.year - 2, 3, 2)  # ended here: still kept
# What must not be found anywhere once the learner's records are erased.
TRACES = (NAME, EMAIL, WITNESS, WITNESS_EMAIL, TITLE, "Private notes by")


def upload(store, *files: tuple[str, bytes]):
    return check_uploads(store, [Upload(io.BytesIO(data), name) for name, data in files],
                         10_000)


def fields(title: str, account: str = "An account.") -> EvidenceFields:
    return EvidenceFields(title, "product_evidence", TODAY, "", account, NO_AI)


def end_long_ago(db, portfolio, admin, ended=LONG_AGO, reason="completed"):
    """Enrolled two years before `ended` (as imported history would be), ended then."""
    portfolio.created_at = datetime.combine(ended - timedelta(days=730), time(9), tzinfo=UTC)
    record_end(portfolio, ended, reason, actor=admin, today=TODAY)
    db.session.commit()


@pytest.fixture
def centre(app, db, people, make_evidence, browser):
    """Zara's portfolio with something in every table a portfolio has, ended long ago; the
    other learner's, ended recently, sharing one file's bytes with hers."""
    from portfolio.admin.services import enrol

    store = app.extensions["evidence_store"]
    unit = all_units()["unit-40"]
    admin = people["admin"]
    learner = create_user(email=EMAIL, name=NAME, role="learner", password=STRONG, actor=admin)
    own = enrol(learner, unit, people["assessor"], people["iqa"], actor=admin)
    other = enrol(people["other_learner"], unit, people["other_assessor"], people["other_iqa"],
                  actor=admin)
    db.session.commit()
    browser.login(learner, password=STRONG)  # a sign-in held on the server, and its event
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})

    letter = add_evidence(own, unit, fields(TITLE), upload(
        store, ("notes.txt", SECRET), ("procedure.txt", SHARED)), actor=learner, store=store,
        submission_key=None, today=TODAY)
    draft = add_evidence(own, unit, fields("Draft"), upload(
        store, ("old.txt", b"An earlier draft of " + NAME.encode() + b"\n")), actor=learner,
        store=store, submission_key=None, today=TODAY)
    db.session.flush()
    remove_file(draft.files[0], actor=learner)  # its bytes now only in version 1
    gone = add_evidence(own, unit, fields("Deleted one"), upload(
        store, ("deleted.txt", b"Deleted notes of " + NAME.encode() + b"\n")), actor=learner,
        store=store, submission_key=None, today=TODAY)
    db.session.flush()
    delete_evidence(gone, actor=learner)  # its bytes now only named in the audit trail
    add_evidence(other, unit, fields("Procedure"), upload(store, ("procedure.txt", SHARED)),
                 actor=people["other_learner"], store=store, submission_key=None, today=TODAY)
    db.session.commit()
    letter_sha = next(f.sha256 for f in letter.files if f.filename == "notes.txt")
    shared_sha = next(f.sha256 for f in letter.files if f.filename == "procedure.txt")
    # A print copy and a repaired copy made from her file, as an export makes them.
    for put in (lambda p: store.put_print_copy(letter_sha, 1100, p),
                lambda p: store.put_normalised(letter_sha, p)):
        copy = Path(app.config["EVIDENCE_DIR"]) / "copy.tmp"
        copy.write_bytes(SECRET)
        put(copy)

    make_evidence(own, title="Judged", claims={"1.1": "accepted", "1.2": "referred"})
    make_evidence(own, title="Observation", method="direct_observation",
                  claims={"2.1": "accepted"}, by_assessor=True, confirmed=True)
    asked = witness.request_testimony(own, unit, witness.WitnessDetails(
        WITNESS, WITNESS_EMAIL, "Team leader", "Line manager", "The Hughes call."),
        actor=learner)
    witness.pass_on(asked.request, actor=people["assessor"])
    witness.submit_testimony(asked.request, unit, witness.Testimony(
        f"I saw {NAME} handle the call.", TODAY, True, "0113 496 0000", WITNESS, True,
        job_title="Team leader", relationship_kind="line_manager"), now=utcnow())
    for kind, signer, role in (("declaration", learner, "learner"),
                               ("sign_off", people["assessor"], "assessor")):
        db.session.add(Signature(portfolio_id=own.id, kind=kind, signer_id=signer.id,
                                 role=role, typed_name=signer.name, statement="I confirm.",
                                 digest="0" * 64, state_json="{}"))
    sample = add_to_plan(own, actor=people["iqa"])
    complete_sample(sample, {d.id: CheckInput(True) for d in sampled_decisions(own)},
                    "action_required", f"Ask {NAME} for more.", ["Add a testimony."],
                    TODAY + timedelta(days=14), actor=people["iqa"], today=TODAY)
    exports = Path(app.config["EXPORT_DIR"])
    for key in (f"portfolio-{own.id}/2020-01-01-{'a' * 64}.pdf",
                f"portfolio-{own.id}/2020-02-02-{'b' * 64}.pdf",  # from `flask export`: no job
                "packs/pack-9.zip"):
        (exports / key).parent.mkdir(parents=True, exist_ok=True)
        (exports / key).write_bytes(b"%PDF-1.7 " + NAME.encode())
    db.session.add_all([
        ExportJob(portfolio_id=own.id, requested_by_id=learner.id, status="done",
                  file_name="zara-quennell.pdf", key=f"portfolio-{own.id}/2020-01-01-"
                                                     f"{'a' * 64}.pdf", finished_at=utcnow()),
        ExportJob(kind="pack", portfolio_ids=f"{own.id},{other.id}", status="done",
                  requested_by_id=people["iqa"].id, file_name="pack-9.zip",
                  key="packs/pack-9.zip", finished_at=utcnow())])
    notify(learner, "A notice with no portfolio", link="/inbox/")
    grant_access(name="Eve External", email="eve@ab.example", organisation="AB",
                 portfolios=[own, other], days=14, actor=admin)
    db.session.commit()
    end_long_ago(db, own, admin)
    end_long_ago(db, other, admin, ended=RECENT, reason="withdrawn")
    return {"own": own.id, "other": other.id, "learner": learner.id, "letter": letter_sha,
            "shared": shared_sha}


def owned_rows(db, portfolio_id: int) -> dict[str, set]:
    """Every row that belongs to the portfolio: found by following each foreign key from the
    portfolio row, table by table, to whatever refers to it (a new table is found too)."""
    owned: dict[str, list[dict]] = {"portfolio": [dict(r._mapping) for r in db.session.execute(
        select(Portfolio.__table__).where(Portfolio.id == portfolio_id))]}
    grew = True
    while grew:
        grew = False
        for table in db.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                values = {row[fk.column.name] for row in owned.get(parent, [])}
                if not values:
                    continue
                rows = [dict(r._mapping) for r in db.session.execute(
                    select(table).where(fk.parent.in_(values)))]
                known = owned.setdefault(table.name, [])
                new = [r for r in rows if r not in known]
                if new:
                    known.extend(new)
                    grew = True
    return {name: {tuple(r[c.name] for c in db.metadata.tables[name].primary_key)
                   for r in rows} for name, rows in owned.items() if rows}


def dump(db) -> str:
    """Every row of every table, as text."""
    return "\n".join(f"{t.name}: {tuple(r)}" for t in db.metadata.sorted_tables
                     for r in db.session.execute(select(t)))


def files_under(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders if folder.exists()
            for p in folder.rglob("*") if p.is_file()}


def confirm(browser, portfolio_id: int, **data):
    url = f"/admin/retention/{portfolio_id}/erase"
    return browser.submit(url, data)


def test_the_dates(app):
    assert kept_until(date(2021, 7, 31), 6) == date(2027, 7, 31)
    assert kept_until(date(2020, 2, 29), 6) == date(2026, 2, 28)
    assert kept_until(None, 6) is None
    assert not past_retention(date(2021, 7, 31), 6, date(2027, 7, 31))  # kept that day
    assert past_retention(date(2021, 7, 31), 6, date(2027, 8, 1))
    assert not past_retention(None, 6, date(2999, 1, 1))  # never ended: never past


@given(ended=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
       today=st.dates(date(1990, 1, 1), date(2110, 12, 31)), years=st.integers(1, 12))
def test_the_query_cut_off_means_exactly_past_retention(ended, today, years):
    assert (ended < ended_before(today, years)) == past_retention(ended, years, today)
    assert add_years(ended, years) >= ended


def test_recording_the_end_is_audited_checked_and_can_be_corrected(db, people, portfolios):
    own, admin = portfolios["own"], people["admin"]
    enrolled = uk_today(own.created_at)
    with pytest.raises(DomainError, match="cannot be in the future"):
        record_end(own, TODAY + timedelta(days=1), "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="cannot have ended before"):
        record_end(own, enrolled - timedelta(days=1), "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="administrator"):
        record_end(own, TODAY, "completed", actor=people["assessor"], today=TODAY)
    record_end(own, TODAY, "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="Nothing to change"):
        record_end(own, TODAY, "completed", actor=admin, today=TODAY)
    record_end(own, TODAY, "withdrawn", actor=admin, today=TODAY)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.PORTFOLIO_END_RECORDED).order_by(AuditEvent.id)).all()
    assert len(events) == 2 and "(was " in events[1].summary
    assert events[1].detail["before"]["reason"] == "completed"
    remove_end(own, actor=admin)
    db.session.commit()
    assert own.ended_on is None and own.end_reason == ""
    with pytest.raises(DomainError, match="No end is recorded"):
        remove_end(own, actor=admin)


def test_the_end_on_the_portfolio_page(db, client, browser, people, portfolios):
    own = portfolios["own"]
    browser.login(people["admin"])
    page = client.get(f"/portfolios/{own.id}").text
    assert "Programme not ended" in page and "Record the end of this learner" in page
    empty = browser.submit(f"/admin/portfolios/{own.id}/end", {})
    assert empty.status_code == 422 and 'id="error-summary"' in empty.text
    assert "Enter the day the learner" in empty.text and "Choose why" in empty.text
    future = browser.submit(f"/admin/portfolios/{own.id}/end", {
        "ended_on": (TODAY + timedelta(days=3)).isoformat(), "reason": "completed"})
    assert future.status_code == 422 and "cannot be in the future" in future.text
    assert (TODAY + timedelta(days=3)).isoformat() in future.text  # what was typed is kept
    saved = browser.submit(f"/admin/portfolios/{own.id}/end", {
        "ended_on": TODAY.isoformat(), "reason": "transferred"})
    assert saved.status_code == 302
    until = kept_until(TODAY, 6)
    assert f"kept until {until.day} {until:%B %Y}" in client.get(f"/portfolios/{own.id}").text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])  # staff see it, and cannot change it
    page = client.get(f"/portfolios/{own.id}").text
    assert "Programme ended" in page and "Correct the end" not in page
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["learner"])
    assert "Programme ended" not in client.get(f"/portfolios/{own.id}").text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    removed = browser.submit(f"/admin/portfolios/{own.id}/end/remove", {},
                             form_url=f"/admin/portfolios/{own.id}/end")
    assert removed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Portfolio, own.id).ended_on is None


def test_the_dry_run_lists_only_what_is_past_retention_and_changes_nothing(
        app, db, centre, people, make_user):
    from portfolio.admin.services import enrol

    open_ = enrol(make_user("learner", name="Never Ended"), all_units()["unit-40"],
                  people["assessor"], people["iqa"], actor=people["admin"])
    db.session.commit()
    store = files_under(Path(app.config["EVIDENCE_DIR"]), Path(app.config["EXPORT_DIR"]))
    before = dump(db)
    result = app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"portfolio {centre['own']}  unit-40  ended {LONG_AGO.isoformat()}" in result.output
    assert f"kept until {kept_until(LONG_AGO, 6).isoformat()}" in result.output
    assert "1 portfolio(s)" in result.output
    assert f"portfolio {centre['other']} " not in result.output  # still kept
    assert f"portfolio {open_.id} " not in result.output  # no end: kept
    assert "Still within retention: 1; no end recorded (kept): 1" in result.output
    assert NAME not in result.output  # the list names no one
    refused = app.test_cli_runner().invoke(args=["retention"])
    assert refused.exit_code == 2 and "Nothing erased" in refused.output
    db.session.expire_all()
    assert dump(db) == before
    assert files_under(Path(app.config["EVIDENCE_DIR"]),
                       Path(app.config["EXPORT_DIR"])) == store


def test_the_page_lists_what_is_due_with_what_erasing_removes(client, browser, people, centre):
    browser.login(people["admin"])
    page = client.get("/admin/retention").text
    assert NAME in page and people["other_learner"].name not in page
    assert "6 evidence items" not in page  # counts: 5 items (one was deleted)
    assert "5 evidence items, 2 files attached (104 bytes)" in page and "2 signatures" in page
    assert f"/admin/retention/{centre['own']}/erase" in page
    assert "1 portfolio ended and is still within" in page


def test_erasing_before_the_date_is_refused(db, client, browser, people, centre):
    browser.login(people["admin"])
    page = client.get(f"/admin/retention/{centre['other']}/erase")
    assert page.status_code == 200 and "cannot be erased yet" in page.text
    assert 'name="typed_name"' not in page.text
    until = kept_until(RECENT, 6) + timedelta(days=1)
    refused = confirm(browser, centre["other"], typed_name="Other Learner", understood="y")
    assert refused.status_code == 409 and f"erased from {until.day} {until:%B %Y}" in \
        refused.text
    other = db.session.get(Portfolio, centre["other"])
    with pytest.raises(DomainError, match="must be kept until"):
        erase(other, actor=people["admin"], typed_name="Other Learner", today=TODAY, years=6)
    db.session.rollback()
    assert db.session.get(Portfolio, centre["other"]) is not None


def test_only_an_admin_erases_and_only_when_they_confirm(db, client, browser, people, centre):
    own = centre["own"]
    for who in ("assessor", "iqa", "other_learner"):
        browser.login(people[who])
        assert client.get(f"/admin/retention/{own}/erase").status_code == 403
        token = browser.token("/portfolios/")
        assert client.post(f"/admin/retention/{own}/erase", data={
            "csrf_token": token, "typed_name": NAME, "understood": "y"}).status_code == 403
        client.post("/logout", data={"csrf_token": token})
    browser.login(people["admin"])
    empty = confirm(browser, own)
    assert empty.status_code == 422 and 'id="error-summary"' in empty.text
    assert "Type the learner" in empty.text and "cannot be undone" in empty.text
    wrong = confirm(browser, own, typed_name="Zara Q", understood="y")
    assert wrong.status_code == 422 and "not the learner" in wrong.text
    assert 'value="Zara Q"' in wrong.text  # what was typed is kept
    unticked = confirm(browser, own, typed_name=NAME)
    assert unticked.status_code == 422 and "Tick to confirm" in unticked.text
    with pytest.raises(DomainError, match="administrator"):
        erase(db.session.get(Portfolio, own), actor=people["assessor"], typed_name=NAME,
              today=TODAY, years=6)
    db.session.rollback()
    assert db.session.get(Portfolio, own) is not None
    assert db.session.get(User, centre["learner"]).email == EMAIL


def test_erasing_removes_every_row_and_file_and_keeps_an_anonymised_trail(
        app, db, client, browser, people, centre):
    own, other = centre["own"], centre["other"]
    evidence_dir, export_dir = Path(app.config["EVIDENCE_DIR"]), Path(app.config["EXPORT_DIR"])
    store = app.extensions["evidence_store"]
    owned = owned_rows(db, own)
    assert set(owned) >= {"evidence", "evidence_file", "evidence_version", "evidence_response",
                          "claim", "decision", "witness_request", "signature", "sample",
                          "sample_check", "sample_action", "export_job", "notification",
                          "eqa_grant_portfolio", "portfolio_summary"}
    trail = {e.id: (e.actor_id, e.actor_email, e.action, e.summary, e.detail_json,
                    e.created_at) for e in db.session.scalars(select(AuditEvent))}
    mine = set(db.session.scalars(select(AuditEvent.id).where(AuditEvent.portfolio_id == own)))
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == centre["learner"])) == 1
    other_files = files_under(evidence_dir / centre["shared"][:2])
    before_store = files_under(evidence_dir, export_dir)
    assert any(NAME.encode() in data for data in before_store.values())

    browser.login(people["admin"])
    page = client.get(f"/admin/retention/{own}/erase").text
    assert "1 file is kept in the store, because another portfolio has the same file" in page
    assert "The learner’s account: their name" in page
    done = confirm(browser, own, typed_name="  zara   QUENNELL ", understood="y")
    assert done.status_code == 302, done.text
    assert "Erased the records of portfolio" in client.get("/admin/retention").text
    db.session.expire_all()

    # Every row that belonged to the portfolio is gone, and the learner's account with it.
    for table, keys in owned.items():
        pk = db.metadata.tables[table].primary_key.columns
        still = [k for k in keys if db.session.execute(select(db.metadata.tables[table]).where(
            *[c == v for c, v in zip(pk, k, strict=True)])).first() is not None]
        assert not still, f"{table} still holds {still}"
    assert db.session.get(User, centre["learner"]) is None
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == centre["learner"])) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == centre["learner"])) == 0
    # Nothing of her, her witness or her evidence is anywhere in the database...
    text_dump = dump(db)
    for trace in TRACES:
        assert trace.lower() not in text_dump.lower(), trace
    if db.engine.dialect.name == "sqlite":  # ...not even in the file's free pages
        raw = Path(db.engine.url.database).read_bytes().lower()
        for trace in TRACES:
            assert trace.lower().encode() not in raw, trace
    # ...nor in the store: her files and the copies made of them, her exports, the pack.
    after_store = files_under(evidence_dir, export_dir)
    for path, data in after_store.items():
        for trace in TRACES:
            assert trace.encode() not in data, (path, trace)
    assert not store.exists(centre["letter"])
    assert store.print_copy(centre["letter"], 1100) is None
    assert store.normalised(centre["letter"]) is None
    assert not (export_dir / "packs" / "pack-9.zip").exists()
    assert not list((export_dir / f"portfolio-{own}").glob("*"))
    # The file whose bytes the other portfolio has stays, and still downloads there.
    assert store.exists(centre["shared"])
    assert files_under(evidence_dir / centre["shared"][:2]) == other_files
    ev = db.session.scalar(select(Evidence).where(Evidence.portfolio_id == other))
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["other_learner"])
    with client.get(f"/evidence/{ev.id}/files/{ev.files[0].id}") as got:
        assert got.status_code == 200 and got.data == SHARED

    # The trail keeps every event: the portfolio's anonymised, the others untouched.
    now = {e.id: e for e in db.session.scalars(select(AuditEvent))}
    assert set(trail) <= set(now)
    tombstone = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.PORTFOLIO_ERASED))
    assert tombstone.portfolio_id == own and tombstone.actor_id == people["admin"].id
    assert tombstone.detail["enrolled"] == f"{LONG_AGO.year - 2}-03"
    assert tombstone.detail["ended"] == f"{LONG_AGO.year}-03"
    assert tombstone.detail["removed"]["evidence"] == 5
    assert tombstone.detail["removed"]["signatures"] == 2
    assert tombstone.detail["files_kept_shared"] == 1 and tombstone.detail["account"] == \
        "deleted"
    for event_id in mine:
        assert now[event_id].detail == {"erased_with": tombstone.id}
        assert now[event_id].actor_id != centre["learner"]
        assert now[event_id].created_at == trail[event_id][5]
        assert now[event_id].action == trail[event_id][2]
    assert any(now[i].actor_email == "erased learner" for i in mine)
    untouched = [i for i, row in trail.items() if i not in mine and NAME not in row[3]
                 and EMAIL not in row[3] + row[4] and row[0] != centre["learner"]
                 and f'"user_id": {centre["learner"]}' not in row[4]]
    assert untouched  # the other portfolio's events, the staff's accounts...
    for i in untouched:
        e = now[i]
        assert (e.actor_id, e.actor_email, e.action, e.summary, e.detail_json,
                e.created_at) == trail[i]
    grant = next(e for e in now.values() if e.action == "eqa.granted" and e.portfolio_id
                 is None)
    assert "[erased learner]" in grant.summary and people["other_learner"].name in \
        grant.summary
    # The store still verifies: no record names a file that is gone.
    verified = app.test_cli_runner().invoke(args=["store", "verify"])
    assert verified.exit_code == 0, verified.output
    # The portfolio page is gone; the centre trail shows its events, unlinked.
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    assert client.get(f"/portfolios/{own}").status_code == 404
    assert client.get(f"/admin/retention/{own}/erase").status_code == 404
    assert f"#{own} (erased)" in client.get("/admin/audit").text
    # Its number is never given to another portfolio.
    from portfolio.admin.services import enrol

    newcomer = enrol(people["learner"], all_units()["unit-40"], people["assessor"],
                     people["iqa"], actor=people["admin"])
    db.session.commit()
    assert newcomer.id > own


def test_the_account_stays_while_the_learner_has_another_portfolio(
        app, db, people, make_evidence):
    from portfolio.admin.services import enrol

    admin, learner = people["admin"], people["learner"]
    first = enrol(learner, all_units()["unit-40"], people["assessor"], people["iqa"],
                  actor=admin)
    second = Portfolio(learner_id=learner.id, unit_id="unit-mini",
                       assessor_id=people["assessor"].id, iqa_id=people["iqa"].id)
    db.session.add(second)
    db.session.commit()
    make_evidence(first, title="Her first unit's evidence", claims={"1.1": "accepted"})
    kept = make_evidence(second, title="Her second unit's evidence")
    end_long_ago(db, first, admin)
    signed_in = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == learner.id, AuditEvent.portfolio_id.is_(None)))
    erased = erase(first, actor=admin, typed_name=learner.name, today=TODAY, years=6)
    db.session.commit()
    assert erased.account == "kept"
    assert db.session.get(User, learner.id).name == "Learner"
    assert db.session.get(Evidence, kept.id) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == learner.id, AuditEvent.portfolio_id.is_(None))) == signed_in
    assert db.session.scalar(select(PortfolioSummary).where(
        PortfolioSummary.portfolio_id == erased.plan.portfolio_id)) is None
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.portfolio_id == erased.plan.portfolio_id,
        AuditEvent.id != erased.tombstone_id)).all()
    assert events and all("erased_with" in e.detail for e in events)
    assert "kept (another portfolio)" in db.session.get(AuditEvent, erased.tombstone_id).summary


def test_an_erased_portfolios_exported_pdf_is_no_longer_named(app, db, people, portfolios,
                                                              make_evidence):
    """`flask verify` of a PDF kept from before the erasure: the signature still checks, and
    the portfolio it names is no longer in the system; another portfolio's PDF is current."""
    from portfolio.export.services import export_portfolio

    own, other = portfolios["own"], portfolios["other"]
    make_evidence(own, title="Email to a customer")
    make_evidence(other, title="Another learner's email")
    pdfs = {}
    for key, p in (("own", own), ("other", other)):
        made = export_portfolio(p, actor=None, today=TODAY)
        db.session.commit()
        pdfs[key] = Path(app.instance_path) / f"{key}.pdf"
        pdfs[key].write_bytes(made.path.read_bytes())
    end_long_ago(db, own, people["admin"])
    erased = erase(own, actor=people["admin"], typed_name="Learner", today=TODAY, years=6)
    db.session.commit()
    from portfolio.retention.erase import remove_files

    assert remove_files(erased).exports == 1
    runner = app.test_cli_runner()
    gone = runner.invoke(args=["verify", str(pdfs["own"])])
    assert gone.exit_code == 0 and "not in this database" in gone.output
    current = runner.invoke(args=["verify", str(pdfs["other"])])
    assert current.exit_code == 0 and "The digest is current" in current.output


def test_a_new_table_referring_to_portfolios_must_be_handled_by_the_erasure(db):
    """Every table that holds a portfolio's rows (a foreign key to it or to one of its
    tables, or a portfolio_id column) is in PORTFOLIO_TABLES, which says what erasure does
    with it; every column naming an account is the portfolio's, the account's own
    (ACCOUNT_TABLES) or staff only (STAFF_ONLY)."""
    assert not unhandled(db.metadata), "\n".join(unhandled(db.metadata))


def test_the_guard_catches_a_table_nobody_taught_the_erasure(db):
    grown = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(grown)
    from sqlalchemy import Column, ForeignKey, Integer, Text

    Table("portfolio_note", grown, Column("id", Integer, primary_key=True),
          Column("portfolio_id", ForeignKey("portfolio.id")), Column("text", Text))
    Table("user_secret", grown, Column("id", Integer, primary_key=True),
          Column("user_id", ForeignKey("users.id")))
    problems = unhandled(grown)
    assert any("portfolio_note" in p for p in problems)
    assert any("user_secret.user_id" in p for p in problems)


def unhandled(metadata) -> list[str]:
    tables = metadata.tables
    held = {"portfolio"}
    grew = True
    while grew:
        grew = False
        for table in tables.values():
            refers = any(fk.column.table.name in held for fk in table.foreign_keys)
            if table.name not in held and (refers or "portfolio_id" in table.c
                                           or "portfolio_ids" in table.c):
                held.add(table.name)
                grew = True
    problems = [f"{name} holds a portfolio's rows: say in retention/erase.py PORTFOLIO_TABLES "
                "what erasing a portfolio does with it, and do it" for name in sorted(held)
                if name not in PORTFOLIO_TABLES]
    problems += [f"{name} is in PORTFOLIO_TABLES but holds no portfolio's rows" for name in
                 sorted(set(PORTFOLIO_TABLES) - held)]
    for table in tables.values():
        for fk in table.foreign_keys:
            name = f"{table.name}.{fk.parent.name}"
            if fk.column.table.name != "users" or table.name in held or name in STAFF_ONLY \
                    or ACCOUNT_TABLES.get(table.name) is not None and \
                    ACCOUNT_TABLES[table.name].name == fk.parent.name:
                continue
            problems.append(f"{name} names an account: add it to ACCOUNT_TABLES (deleted with "
                            "an erased learner's account) or STAFF_ONLY in "
                            "retention/anonymise.py")
    return problems


@pytest.mark.parametrize("where", ["local", "s3"])
def test_the_store_erases_a_file_and_every_copy_of_it(request, tmp_path, where):
    import uuid

    if where == "local":
        store = EvidenceStore(tmp_path / "evidence")
    else:
        from portfolio.blobs import S3Blobs

        request.getfixturevalue("s3_server")
        store = EvidenceStore(S3Blobs("portfolio", f"erase-{uuid.uuid4().hex[:8]}",
                                      tmp_path / "cache"), work=tmp_path / "work")
    staged = store.stage(io.BytesIO(SECRET), 10_000)
    keep = store.stage(io.BytesIO(SHARED), 10_000)
    store.commit(staged)
    store.commit(keep)
    for put in (lambda p: store.put_print_copy(staged.sha256, 1100, p),
                lambda p: store.put_normalised(staged.sha256, p)):
        copy = tmp_path / "copy"
        copy.write_bytes(b"copy")
        put(copy)
    preview = store.preview_path(staged.sha256, 1)
    preview.parent.mkdir(parents=True)
    preview.write_bytes(b"png")
    store.path(staged.sha256)  # read once: a cached copy on S3
    assert store.erase(staged.sha256) == 3
    assert not store.exists(staged.sha256) and store.print_copy(staged.sha256, 1100) is None
    assert store.normalised(staged.sha256) is None and not preview.exists()
    assert store.exists(keep.sha256) and store.path(keep.sha256).read_bytes() == SHARED
    if where == "s3":
        assert not any(SECRET in p.read_bytes() for p in (tmp_path / "cache").rglob("*")
                       if p.is_file())
