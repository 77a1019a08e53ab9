"""What the retention and erasure tests share: a learner whose portfolio has a row in every
table a portfolio has, ended long ago, and ways to look for what is left of her."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from portfolio import totp
from portfolio.admin.importing import stage
from portfolio.ai_use import NO_AI
from portfolio.auth import two_step
from portfolio.auth.services import create_user
from portfolio.clock import uk_today
from portfolio.eqa.services import grant_access
from portfolio.evidence.services import (
    EvidenceFields,
    Upload,
    add_evidence,
    check_uploads,
    delete_evidence,
    remove_file,
)
from portfolio.iqa.services import CheckInput, add_to_plan, complete_sample, sampled_decisions
from portfolio.models import ExportJob, PasswordReset, Portfolio, Signature, utcnow
from portfolio.notify import notify
from portfolio.retention.services import record_end
from portfolio.tokens import hash_token, new_token
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


def make_centre(app, db, people, make_evidence, browser):
    """(The `centre` fixture of the tests.) Zara's portfolio with something in every table a portfolio has, ended long ago; the
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
    # The account's own rows: a reset link asked for, two-step sign-in with recovery codes.
    db.session.add(PasswordReset(token_hash=hash_token(new_token()), user_id=learner.id,
                                 expires_at=utcnow() + timedelta(hours=1)))
    secret = two_step.start_enrolment(learner)
    earlier = utcnow() - timedelta(seconds=60)
    two_step.confirm_enrolment(learner, totp.code_at(secret, earlier), now=earlier,
                               keep_session=None)
    # A suggested criterion the learner set aside, with their reason.
    from portfolio.suggestions.services import dismiss
    dismiss(letter, unit, "1.1", f"Not in {NAME}'s letter", actor=learner)
    # An administrator's CSV import still waiting, which names the learner.
    stage(f"name,email\n{NAME},{EMAIL}\n".encode(), "leavers.csv", admin=admin,
          max_bytes=10_000, max_rows=10)
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

